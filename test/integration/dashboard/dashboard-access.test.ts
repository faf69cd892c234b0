/**
 * The dashboard's live stream and local mode's metrics take every credential the API takes: a named
 * token of any role and an OIDC user, as well as ROLLOUT_API_TOKEN; a wrong one is a 401.
 */
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../../local/local-stack';
import { appConfig, serviceConfig } from '../../helpers/local-config';
import { ScriptedVerifier } from '../../helpers/scripted-verifier';

const sha = (t: string) => createHash('sha256').update(t).digest('hex');
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
let idp: Server;
let issuer: string;
let stack: LocalStack;

function jwt(claims: Record<string, unknown>) {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = `${enc({ alg: 'RS256', kid: 'k1' })}.${enc(claims)}`;
  return `${head}.${sign('sha256', Buffer.from(head), privateKey).toString('base64url')}`;
}

beforeAll(async () => {
  idp = createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jwks_uri: `${issuer}/jwks` }));
    if (req.url === '/jwks') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1' }] }));
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => idp.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
  stack = await startLocalStack({
    config: {
      ...appConfig([serviceConfig('web')]),
      access: {
        tokens: [
          { name: 'viewer', sha256: sha('viewer-token-secret'), role: 'viewer' },
          { name: 'ann-cli', sha256: sha('operator-token-secret'), role: 'operator', person: 'ann@example.com' },
        ],
        oidc: { issuer, audience: 'rollouts', claim: 'email', role: 'viewer' },
      },
    },
    port: 0,
    verifier: new ScriptedVerifier(),
    webhookToken: 'hook-token-dashboard-access',
    apiToken: 'api-token-dashboard-access',
    operator: { heartbeatMs: 100, env: {} },
  });
});
afterAll(async () => {
  await stack?.stop();
  await new Promise<void>((r) => idp.close(() => r()));
});

const credentials = () => [
  ['ROLLOUT_API_TOKEN', 'api-token-dashboard-access'],
  ['a named viewer token', 'viewer-token-secret'],
  ['a named operator token', 'operator-token-secret'],
  ['an OIDC user', jwt({ iss: issuer, aud: 'rollouts', email: 'dana@example.com', exp: Math.floor(Date.now() / 1000) + 300 })],
];

describe('dashboard routes in local mode', () => {
  it.each(credentials().map(([what]) => [what!]))('GET /metrics and GET /events take %s', async (what) => {
    const token = credentials().find(([w]) => w === what)![1]!;
    const headers = { authorization: `Bearer ${token}` };
    expect((await fetch(`${stack.url}/services`, { headers })).status).toBe(200);
    const metrics = await fetch(`${stack.url}/metrics`, { headers });
    expect(metrics.status).toBe(200);
    const abort = new AbortController();
    const events = await fetch(`${stack.url}/events`, { headers: { ...headers, accept: 'text/event-stream' }, signal: abort.signal });
    expect(events.status).toBe(200);
    expect(events.headers.get('content-type')).toMatch(/^text\/event-stream/);
    abort.abort();
    await events.body?.cancel().catch(() => {});
  });

  it('refuses a wrong token with 401', async () => {
    for (const path of ['/metrics', '/events']) expect((await fetch(`${stack.url}${path}`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
  });
});
