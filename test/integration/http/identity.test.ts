/**
 * Who approves: the identity behind the credential, with roles. Named tokens from `access.tokens`
 * (stored as sha256), OIDC JWTs checked against a JWKS served here, and the integration token.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Orchestrator } from '../../../shared/orchestration/orchestrator';
import type { AppConfig } from '../../../shared/config/types';
import { createApp } from '../../../shared/http/app';
import { appConfig, digestOf, serviceConfig } from '../../helpers/local-config';
import { ScriptedVerifier } from '../../helpers/scripted-verifier';
import { FakeEcs, MemStore, RecordingWorkflow } from '../../unit/orchestration/fakes';

const sha = (t: string) => createHash('sha256').update(t).digest('hex');
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
let jwks: Server;
let issuer: string;

function jwt(claims: Record<string, unknown>, key: KeyObject = privateKey, kid = 'k1') {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = `${enc({ alg: 'RS256', kid, typ: 'JWT' })}.${enc(claims)}`;
  return `${head}.${sign('sha256', Buffer.from(head), key).toString('base64url')}`;
}

beforeAll(async () => {
  jwks = createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jwks_uri: `${issuer}/jwks` }));
    if (req.url === '/jwks') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig' }] }));
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => jwks.close(() => r())));

function setup() {
  const base = appConfig([serviceConfig('web', { steps: [{ setWeight: 10 }, { pause: { approvals: 2 } }, { setWeight: 100 }] })]);
  const config: AppConfig = {
    ...base,
    access: {
      tokens: [
        { name: 'ann-cli', sha256: sha('ann-secret'), role: 'operator', person: 'ann@example.com' },
        { name: 'bob-cli', sha256: sha('bob-secret'), role: 'operator', person: 'bob@example.com' },
        { name: 'dashboard-ro', sha256: sha('viewer-secret'), role: 'viewer' },
        { name: 'olga-cli', sha256: sha('olga-secret'), role: 'operator', person: 'olga@example.com' },
      ],
      oidc: { issuer, audience: 'rollouts', claim: 'email', role: 'operator' },
    },
  };
  const store = new MemStore();
  const ecs = new FakeEcs();
  const o = new Orchestrator({ config, store, ecs, verifier: new ScriptedVerifier(), workflow: new RecordingWorkflow(), options: { rollbackBackoffMs: 1 } });
  const app = createApp({ orchestrator: o, webhookToken: 'hook', apiToken: 'integration-secret' });
  const call = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await app.request(path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, body: (await res.json()) as any };
  };
  const pausedRollout = async () => {
    const id = (await o.ingest([{ registry: '127.0.0.1:5000', repository: 'team/web', tag: 'v1', digest: digestOf(1), source: 'test' }])).accepted[0]!.rolloutId;
    await o.advance(id);
    ecs.settle();
    await o.advance(id);
    return id;
  };
  return { call, pausedRollout };
}

const now = () => Math.floor(Date.now() / 1000);

describe('who approves', () => {
  it('records the person behind a named token, not the name in the body, and needs two different people', async () => {
    const { call, pausedRollout } = setup();
    const id = await pausedRollout();
    const first = await call('ann-secret', 'POST', `/rollouts/${id}/approve`, { by: 'mallory', comment: 'lgtm' });
    expect(first.status).toBe(200);
    expect(first.body.status).toBe('PAUSED');
    expect(first.body.approvals).toEqual([expect.objectContaining({ by: 'ann@example.com', credential: 'token:ann-cli', comment: 'lgtm' })]);
    const again = await call('ann-secret', 'POST', `/rollouts/${id}/approve`, {});
    expect(again.status).toBe(409);
    expect(again.body.detail).toMatch(/ann@example.com already approved/);
    const second = await call('bob-secret', 'POST', `/rollouts/${id}/approve`, {});
    expect(second.body.status).toBe('PROGRESSING');
    expect(second.body.events.filter((e: any) => e.type === 'APPROVED').map((e: any) => e.message)).toEqual([
      'step 2/3 approved by ann@example.com (token:ann-cli) (1 of 2): lgtm',
      'step 2/3 approved by bob@example.com (token:bob-cli) (2 of 2)',
    ]);
  });

  it('counts one person once whatever the case of the address: an operator, then the integration for the same person', async () => {
    const { call, pausedRollout } = setup();
    const id = await pausedRollout();
    expect((await call('olga-secret', 'POST', `/rollouts/${id}/approve`, {})).status).toBe(200);
    for (const by of ['OLGA@example.com', ' olga@EXAMPLE.com ', 'olga@example.com']) {
      const again = await call('integration-secret', 'POST', `/rollouts/${id}/approve`, { by });
      expect(again.status).toBe(409);
      expect(again.body.detail).toMatch(/olga@example.com already approved/);
    }
    const other = await call('integration-secret', 'POST', `/rollouts/${id}/approve`, { by: 'Zoe\u0301@example.com' });
    expect(other.body.status).toBe('PROGRESSING');
  });

  it('counts a name in another Unicode form (NFD, NFC) as the same person', async () => {
    const { call, pausedRollout } = setup();
    const id = await pausedRollout();
    expect((await call('integration-secret', 'POST', `/rollouts/${id}/approve`, { by: 'Zo\u00eb' })).status).toBe(200);
    expect((await call('integration-secret', 'POST', `/rollouts/${id}/approve`, { by: 'Zoe\u0308' })).status).toBe(409);
  });

  it('lets a viewer read but not decide (403), and refuses unknown tokens (401)', async () => {
    const { call, pausedRollout } = setup();
    const id = await pausedRollout();
    expect((await call('viewer-secret', 'GET', `/rollouts/${id}`)).status).toBe(200);
    const denied = await call('viewer-secret', 'POST', `/rollouts/${id}/approve`, {});
    expect(denied.status).toBe(403);
    expect(denied.body.detail).toBe('dashboard-ro (token:dashboard-ro) is a viewer; this needs the operator role');
    expect((await call('viewer-secret', 'PUT', '/local/alarms/web-5xx', { state: 'ALARM' })).status).toBe(403);
    expect((await call('nope', 'GET', `/rollouts/${id}`)).status).toBe(401);
    expect((await call('viewer-secret', 'GET', `/rollouts/${id}`)).body.approvals).toEqual([]);
  });

  it('lets the integration token act for a named person, who must be named', async () => {
    const { call, pausedRollout } = setup();
    const id = await pausedRollout();
    const missing = await call('integration-secret', 'POST', `/rollouts/${id}/approve`, {});
    expect(missing.status).toBe(400);
    expect(missing.body.detail).toMatch(/by: is required/);
    const ok = await call('integration-secret', 'POST', `/rollouts/${id}/approve`, { by: 'carol (via chatops)' });
    expect(ok.body.approvals[0]).toMatchObject({ by: 'carol (via chatops)', credential: 'ROLLOUT_API_TOKEN' });
  });

  it('accepts an OIDC JWT from the issuer and records the person its claim names', async () => {
    const { call, pausedRollout } = setup();
    const id = await pausedRollout();
    const token = jwt({ iss: issuer, aud: 'rollouts', sub: 'u-1', email: 'dana@example.com', exp: now() + 300 });
    const res = await call(token, 'POST', `/rollouts/${id}/approve`, {});
    expect(res.status).toBe(200);
    expect(res.body.approvals[0]).toMatchObject({ by: 'dana@example.com', credential: `oidc:${issuer}` });
  });

  it.each([
    ['an expired token', { exp: now() - 3600 }, undefined, /expired/],
    ['another audience', { aud: 'other' }, undefined, /audience is not rollouts/],
    ['another issuer', { iss: 'https://evil.example' }, undefined, /issuer is not/],
    ['no email claim', { email: undefined }, undefined, /no email claim/],
    ['a signature by another key', {}, other.privateKey, /bad signature/],
  ])('refuses %s with 401', async (_what, overrides, key, detail) => {
    const { call, pausedRollout } = setup();
    const id = await pausedRollout();
    const claims = { iss: issuer, aud: 'rollouts', email: 'dana@example.com', exp: now() + 300, ...overrides };
    const res = await call(jwt(claims, key), 'POST', `/rollouts/${id}/approve`, {});
    expect(res.status).toBe(401);
    expect(res.body.detail).toMatch(detail);
  });

  it('refuses a JWT naming a key the issuer does not have', async () => {
    const { call, pausedRollout } = setup();
    const id = await pausedRollout();
    const res = await call(jwt({ iss: issuer, aud: 'rollouts', email: 'd@x', exp: now() + 60 }, privateKey, 'k-unknown'), 'GET', `/rollouts/${id}`);
    expect(res.status).toBe(401);
    expect(res.body.detail).toMatch(/the issuer has no key for it/);
  });
});
