/**
 * What an unauthenticated caller can make the API do with a bearer header: nothing but a 401 for a
 * malformed or wrong credential, never a 500; a 503 with Retry-After when the identity provider cannot
 * be reached; no more than a bounded number of fetches from the identity provider whatever it sends;
 * and, after repeated failures from one address, a 429 with Retry-After — while the right credential
 * from that same address still passes.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Orchestrator } from '../../../shared/orchestration/orchestrator';
import type { AppConfig } from '../../../shared/config/types';
import { createApp } from '../../../shared/http/app';
import { appConfig, serviceConfig } from '../../helpers/local-config';
import { ScriptedVerifier } from '../../helpers/scripted-verifier';
import { FakeEcs, MemStore, RecordingWorkflow } from '../../unit/orchestration/fakes';

const sha = (t: string) => createHash('sha256').update(t).digest('hex');
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

function jwt(header: unknown, claims: Record<string, unknown>, key: KeyObject = privateKey) {
  const head = `${enc(header)}.${enc(claims)}`;
  return `${head}.${sign('sha256', Buffer.from(head), key).toString('base64url')}`;
}

/** An identity provider that counts what it is asked, and can be taken down. */
let idp: Server;
let issuer: string;
const hits = { discovery: 0, jwks: 0 };
let down = false;

beforeAll(async () => {
  idp = createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') hits.discovery++;
    if (req.url === '/jwks') hits.jwks++;
    if (down) return res.writeHead(503).end('maintenance');
    if (req.url === '/.well-known/openid-configuration') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
    if (req.url === '/jwks') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'RS256' }] }));
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => idp.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => idp.close(() => r())));

function setup() {
  hits.discovery = 0;
  hits.jwks = 0;
  down = false;
  const config: AppConfig = {
    ...appConfig([serviceConfig('web')]),
    access: {
      tokens: [{ name: 'ann-cli', sha256: sha('ann-secret'), role: 'operator', person: 'ann@example.com' }],
      oidc: { issuer, audience: 'rollouts', claim: 'email', role: 'operator' },
    },
  };
  const o = new Orchestrator({ config, store: new MemStore(), ecs: new FakeEcs(), verifier: new ScriptedVerifier(), workflow: new RecordingWorkflow() });
  const app = createApp({ orchestrator: o, webhookToken: 'hook-token-0123456789', apiToken: 'integration-secret' });
  const call = async (authorization: string | null, from = '192.0.2.10', path = '/services') => {
    const post = path.startsWith('/webhooks/');
    const headers: Record<string, string> = authorization === null ? {} : { authorization };
    const init: RequestInit = post ? { method: 'POST', body: '{"events":[]}', headers: { ...headers, 'content-type': 'application/json' } } : { headers };
    const res = await app.request(path, init, { incoming: { socket: { remoteAddress: from } } });
    const text = await res.text();
    return { status: res.status, retryAfter: res.headers.get('retry-after'), type: res.headers.get('content-type'), body: text ? (JSON.parse(text) as any) : null };
  };
  return { call };
}

const good = () => jwt({ alg: 'RS256', kid: 'k1', typ: 'JWT' }, { iss: issuer, aud: 'rollouts', email: 'dana@example.com', exp: now() + 300 });

describe('a malformed credential is a 401, never a 500', () => {
  it.each([
    ['a header that is the JSON null', () => `${enc(null)}.${enc({})}.${'a'.repeat(43)}`],
    ['a header that is a string', () => `${enc('x')}.${enc({})}.${'a'.repeat(43)}`],
    ['a header that is not JSON', () => `${Buffer.from('{').toString('base64url')}.${enc({})}.abc`],
    ['alg constructor', () => jwt({ alg: 'constructor', kid: 'k1' }, { iss: issuer })],
    ['alg toString', () => jwt({ alg: 'toString', kid: 'k1' }, { iss: issuer })],
    ['alg __proto__', () => jwt({ alg: '__proto__', kid: 'k1' }, { iss: issuer })],
    ['alg none', () => `${enc({ alg: 'none' })}.${enc({ iss: 'x' })}.`],
    ['alg HS256 over the public key', () => `${enc({ alg: 'HS256', kid: 'k1' })}.${enc({ iss: 'x' })}.abc`],
    ['a kid that is an object', () => jwt({ alg: 'RS256', kid: { toString: 1 } }, { iss: issuer })],
    ['claims that are null', () => jwt({ alg: 'RS256', kid: 'k1' }, null as never)],
    ['a 10 kB token', () => `${'a'.repeat(5000)}.${'b'.repeat(5000)}.c`],
  ])('%s', async (_what, token) => {
    const { call } = setup();
    const res = await call(`Bearer ${token()}`);
    expect(res.status).toBe(401);
    expect(res.type).toMatch(/^application\/problem\+json/);
  });

  it.each([['Bearer'], ['Bearer    '], ['Basic YTpi'], ['bearer\tx'], ['\u00ff\u00fe']])('the header %j', async (header) => {
    const { call } = setup();
    expect((await call(header)).status).toBe(401);
  });

  it('accepts a good token', async () => {
    const { call } = setup();
    expect((await call(`Bearer ${good()}`)).status).toBe(200);
  });
});

describe('the identity provider', () => {
  it('is asked for its keys a bounded number of times, whatever kid twenty callers send', async () => {
    const { call } = setup();
    for (let i = 0; i < 20; i++) {
      const res = await call(`Bearer ${jwt({ alg: 'RS256', kid: `unknown-${i}` }, { iss: issuer, aud: 'rollouts', email: 'x@y', exp: now() + 60 })}`, `198.51.100.${i}`);
      expect(res.status).toBe(401);
    }
    expect(hits.discovery).toBeLessThanOrEqual(1);
    expect(hits.jwks).toBeLessThanOrEqual(2);
  });

  it('down: a 503 with Retry-After, and it is not asked again at every request', async () => {
    const { call } = setup();
    down = true;
    for (let i = 0; i < 10; i++) {
      const res = await call(`Bearer ${good()}`, `203.0.113.${i}`);
      expect(res.status).toBe(503);
      expect(Number(res.retryAfter)).toBeGreaterThan(0);
      expect(res.type).toMatch(/^application\/problem\+json/);
      expect(res.body.detail).toMatch(/identity provider/);
    }
    expect(hits.discovery).toBe(1);
    expect(hits.jwks).toBe(0);
  });
});

describe('repeated failed authentications from one address', () => {
  it('are slowed down with 429 and Retry-After, while the right credentials from that address still pass', async () => {
    const { call } = setup();
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await call(`Bearer wrong-${i}`, '192.0.2.66')).status);
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(401));
    expect(statuses.at(-1)).toBe(429);
    const limited = await call('Bearer wrong-again', '192.0.2.66');
    expect(limited.status).toBe(429);
    expect(Number(limited.retryAfter)).toBeGreaterThan(0);
    expect(limited.type).toMatch(/^application\/problem\+json/);
    // The valid credentials are never locked out.
    expect((await call('Bearer ann-secret', '192.0.2.66')).status).toBe(200);
    expect((await call('Bearer integration-secret', '192.0.2.66')).status).toBe(200);
    expect((await call(`Bearer ${good()}`, '192.0.2.66')).status).toBe(200);
    // Another address is not affected.
    expect((await call('Bearer wrong', '192.0.2.67')).status).toBe(401);
  });

  it('do not count requests that present no credential at all (a browser, a probe)', async () => {
    const { call } = setup();
    for (let i = 0; i < 30; i++) expect((await call(null, '192.0.2.88')).status).toBe(401);
  });

  it('on the webhook routes too, with the right webhook token passing', async () => {
    const { call } = setup();
    let last = 0;
    for (let i = 0; i < 30; i++) last = (await call(`Bearer wrong-${i}`, '192.0.2.77', '/webhooks/registry')).status;
    expect(last).toBe(429);
    expect((await call('Bearer hook-token-0123456789', '192.0.2.77', '/webhooks/registry')).status).toBe(202);
    expect((await call('Bearer wrong', '192.0.2.78', '/webhooks/registry')).status).toBe(401);
  });
});
