/**
 * The API function (functions/api.ts) as it runs in AWS, against local stand-ins: the table in
 * dynalite, every secret in a Secrets Manager stand-in read through the real client. Every kind of
 * credential works as in local mode (per-source bearer tokens and HMAC with a replay window, named
 * tokens, the API token, approval links), and a secret that cannot be read is answered 503
 * problem+json naming it, logged with why, while the routes that do not need it keep working.
 */
import { createHash, generateKeyPairSync, sign as signWith } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoRolloutStore } from '../../../shared/adapters/dynamodb/dynamo-rollout-store';
import { signLink } from '../../../shared/notifications/approval-links';
import { PUBLIC_PEM } from '../../infra/infra-fixtures';
import { useAwsEndpoints } from '../../helpers/aws-endpoints';
import { useDynalite } from '../../helpers/dynamodb';
import { httpApiEvent } from '../../helpers/lambda-events';
import { type SecretsManagerStandIn, startSecretsManagerStandIn } from '../../helpers/secrets-manager-stand-in';
import { rolloutStates } from '../../unit/observability/rollout-states';
import { fixture, sha256, sign } from '../webhooks/webhook-harness';

const VALUES = {
  ROLLOUT_WEBHOOK_TOKEN: 'shared-webhook-token-0123456789',
  ROLLOUT_API_TOKEN: 'api-token-0123456789abcdef',
  ROLLOUT_LINK_SECRET: 'link-secret-0123456789abcdef',
  REGISTRY_PASSWORD: 'registry-password',
  GITHUB_WEBHOOK_SECRET: 'github-secret-0123456789abcdef',
  DOCKERHUB_TOKEN: 'dockerhub-token-0123456789abcdef',
  CI_WEBHOOK_SECRET: 'ci-secret-0123456789abcdef',
  NOTIFY_SECRET: 'notify-secret-0123456789abcdef',
};
type Variable = keyof typeof VALUES;
const VIEWER_TOKEN = 'viewer-token-0123456789abcdef';

const oidcKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
let issuerServer: Server;
let issuer: string;
/** An OIDC token of the test issuer for dana, valid for 5 minutes. */
function oidcToken(): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const claims = { iss: issuer, aud: 'rollouts', email: 'dana@example.com', exp: Math.floor(Date.now() / 1000) + 300 };
  const head = `${enc({ alg: 'RS256', kid: 'k1', typ: 'JWT' })}.${enc(claims)}`;
  return `${head}.${signWith('sha256', Buffer.from(head), oidcKey.privateKey).toString('base64url')}`;
}

const config = () => `
registries:
  registry.example.com: { username: ci, passwordEnv: REGISTRY_PASSWORD }
webhooks:
  github: { secretEnv: GITHUB_WEBHOOK_SECRET }
  dockerhub: { tokenEnv: DOCKERHUB_TOKEN }
  generic: { secretEnv: CI_WEBHOOK_SECRET, timestampHeader: X-Rollout-Timestamp }
access:
  tokens:
    - { name: dashboard, sha256: ${createHash('sha256').update(VIEWER_TOKEN).digest('hex')}, role: viewer }
  oidc: { issuer: '${issuer}', audience: rollouts }
services:
  web:
    cluster: prod
    service: web
    image: registry.example.com/team/web
    verify: { keys: [keys/web.pub] }
    steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 100 }]
    notify:
      - webhook: { url: https://hooks.example.com/rollouts, secretEnv: NOTIFY_SECRET, name: ops }
`;

const dynamo = useDynalite();
let sm: SecretsManagerStandIn;
let dir: string;
let tableName: string;
let restoreEnv: (() => void) | undefined;
const logs: Record<string, unknown>[] = [];

beforeAll(async () => {
  sm = await startSecretsManagerStandIn();
  for (const [variable, value] of Object.entries(VALUES)) sm.put(`prod/${variable}`, value);
  dir = mkdtempSync(join(tmpdir(), 'api-secrets-'));
  mkdirSync(join(dir, 'keys'));
  writeFileSync(join(dir, 'keys', 'web.pub'), PUBLIC_PEM);
  issuerServer = createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jwks_uri: `${issuer}/jwks` }));
    if (req.url === '/jwks') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [{ ...oidcKey.publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig' }] }));
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => issuerServer.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${(issuerServer.address() as AddressInfo).port}`;
  writeFileSync(join(dir, 'rollout.config.yaml'), config());
  tableName = await dynamo.newTable();
  const write = process.stdout.write.bind(process.stdout);
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = String(chunk);
    if (text.startsWith('{')) for (const line of text.trim().split('\n')) logs.push(JSON.parse(line) as Record<string, unknown>);
    else return write(chunk, ...(rest as []));
    return true;
  });
});

afterEach(() => {
  restoreEnv?.();
  restoreEnv = undefined;
  logs.length = 0;
});

afterAll(async () => {
  vi.restoreAllMocks();
  await sm.close();
  await new Promise((r) => issuerServer.close(r));
  rmSync(dir, { recursive: true, force: true });
});

/** A fresh API function (a new execution environment) whose secrets are those named, by variable. */
async function apiFunction(ids: Partial<Record<Variable, string>> = {}) {
  const secrets = Object.fromEntries(Object.keys(VALUES).map((v) => [v, ids[v as Variable] ?? `prod/${v}`]));
  restoreEnv = useAwsEndpoints(
    { dynamodb: dynamo.endpoint, ecs: 'http://127.0.0.1:9', sfn: 'http://127.0.0.1:9', secretsManager: sm.endpoint },
    {
      ROLLOUT_CONFIG: join(dir, 'rollout.config.yaml'),
      ROLLOUT_TABLE_NAME: tableName,
      ROLLOUT_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:rollouts',
      ROLLOUT_SECRETS: JSON.stringify(secrets),
      ROLLOUT_PUBLIC_URL: 'https://rollouts.example.com',
      LOG_LEVEL: 'info',
    },
  );
  vi.resetModules();
  const { handler } = await import('../../../functions/api');
  return async (method: string, path: string, options: { headers?: Record<string, string>; body?: unknown; query?: string } = {}) => {
    const res = (await handler(httpApiEvent(method, path, options) as never, { awsRequestId: 'req-1' } as never)) as { statusCode: number; headers: Record<string, string>; body: string };
    const json = res.headers['content-type']?.includes('json') ? (JSON.parse(res.body) as Record<string, any>) : null;
    return { status: res.statusCode, headers: res.headers, body: json };
  };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const unmatched = { events: [] };

describe('the API function, reading its secrets from Secrets Manager', () => {
  it('takes every kind of credential: API token, named token, OIDC, per-source tokens and HMAC with a replay window', async () => {
    const call = await apiFunction();
    expect((await call('GET', '/rollouts', { headers: bearer(VALUES.ROLLOUT_API_TOKEN) })).status).toBe(200);
    expect((await call('GET', '/rollouts', { headers: bearer(VALUES.GITHUB_WEBHOOK_SECRET) })).status).toBe(401);
    const viewer = await call('GET', '/rollouts', { headers: bearer(VIEWER_TOKEN) });
    expect(viewer.status).toBe(200);
    expect((await call('GET', '/rollouts', { headers: bearer(oidcToken()) })).status).toBe(200);
    // The dashboard polls these routes in AWS: its page is served, and the live stream says to poll.
    expect((await call('GET', '/')).status).toBe(200);
    expect((await call('GET', '/events', { headers: bearer(VIEWER_TOKEN) })).body?.detail).toMatch(/poll GET \/rollouts/);

    expect((await call('POST', '/webhooks/registry', { headers: { ...bearer(VALUES.ROLLOUT_WEBHOOK_TOKEN), 'content-type': 'application/json' }, body: unmatched })).status).toBe(202);
    const hub = { push_data: { tag: 'v1' }, repository: { repo_name: 'team/unknown' } };
    expect((await call('POST', '/webhooks/dockerhub', { query: `token=${VALUES.DOCKERHUB_TOKEN}`, headers: { 'content-type': 'application/json' }, body: hub })).status).toBe(202);
    expect((await call('POST', '/webhooks/dockerhub', { query: `token=${VALUES.ROLLOUT_WEBHOOK_TOKEN}`, headers: { 'content-type': 'application/json' }, body: hub })).status).toBe(401);

    const { text } = fixture('github/github-package-published-ghcr-multiarch-real.json');
    const github = (secret: string) => call('POST', '/webhooks/github', { headers: { 'content-type': 'application/json', 'x-github-event': 'package', 'x-hub-signature-256': sign(secret, text) }, body: text });
    expect((await github(VALUES.GITHUB_WEBHOOK_SECRET)).status).toBe(202);
    expect((await github(VALUES.ROLLOUT_WEBHOOK_TOKEN)).status).toBe(401);

    const body = JSON.stringify({ image: `registry.example.com/team/other@${sha256('x')}`, tag: 'v1' });
    const generic = (at: number) =>
      call('POST', '/webhooks/generic', { headers: { 'content-type': 'application/json', 'x-rollout-timestamp': String(at), 'x-signature-256': sign(VALUES.CI_WEBHOOK_SECRET, `${at}.${body}`) }, body });
    const now = Math.floor(Date.now() / 1000);
    expect((await generic(now)).status).toBe(202);
    const replayed = await generic(now - 600);
    expect(replayed.status).toBe(401);
    expect(replayed.body?.detail).toMatch(/replayed delivery/);
  });

  it('serves single-use approval links signed with the link secret of the stack', async () => {
    const ID = '01jaaaaaaaaaaaaaaaaaaaaaaa';
    const call = await apiFunction();
    const paused = rolloutStates().paused;
    const store = new DynamoRolloutStore({ client: dynamo.client, tableName });
    await store.create({ ...paused, id: ID });
    const expiresAt = Math.floor(Date.now() / 1000) + 600;
    const token = signLink(VALUES.ROLLOUT_LINK_SECRET, { rolloutId: ID, action: 'approve', step: paused.currentStep!, expiresAt, target: 'ops' });
    const link = await call('GET', `/approvals/${token}`, { headers: { accept: 'application/json' } });
    expect(link).toMatchObject({ status: 200, body: { rolloutId: ID, action: 'approve' } });
    const forged = signLink('another-secret-0123456789', { rolloutId: ID, action: 'approve', step: paused.currentStep!, expiresAt, target: 'ops' });
    expect((await call('GET', `/approvals/${forged}`, { headers: { accept: 'application/json' } })).status).toBe(403);
  });

  it('answers 503 problem+json naming a webhook secret that does not exist, logs why, and serves the other routes', async () => {
    const call = await apiFunction({ CI_WEBHOOK_SECRET: 'prod/NOT_CREATED' });
    const at = String(Math.floor(Date.now() / 1000));
    const res = await call('POST', '/webhooks/generic', { headers: { 'content-type': 'application/json', 'x-rollout-timestamp': at, 'x-signature-256': sign('guess', `${at}.{}`) }, body: '{}' });
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.headers['retry-after']).toBe('30');
    expect(res.body).toEqual({
      type: 'about:blank',
      title: 'Secret unavailable',
      status: 503,
      detail: 'the secret CI_WEBHOOK_SECRET cannot be read: secret prod/NOT_CREATED: it does not exist (create it, or name an existing one with -c secrets)',
      instance: '/webhooks/generic',
    });
    expect(JSON.stringify(res.body)).not.toMatch(/\n\s+at /);
    expect(logs).toContainEqual(expect.objectContaining({ level: 'error', message: 'secret unavailable', variable: 'CI_WEBHOOK_SECRET', id: 'prod/NOT_CREATED', reason: expect.stringMatching(/does not exist/) }));
    expect((await call('POST', '/webhooks/registry', { headers: { ...bearer(VALUES.ROLLOUT_WEBHOOK_TOKEN), 'content-type': 'application/json' }, body: unmatched })).status).toBe(202);
    expect((await call('GET', '/rollouts', { headers: bearer(VALUES.ROLLOUT_API_TOKEN) })).status).toBe(200);
    // Put in after the fact: the next request reads it (a failed read is not kept).
    sm.put('prod/NOT_CREATED', VALUES.CI_WEBHOOK_SECRET);
    const body = '{"image":"registry.example.com/team/other@' + sha256('y') + '","tag":"v1"}';
    const signed = await call('POST', '/webhooks/generic', { headers: { 'content-type': 'application/json', 'x-rollout-timestamp': at, 'x-signature-256': sign(VALUES.CI_WEBHOOK_SECRET, `${at}.${body}`) }, body });
    expect(signed.status).toBe(202);
  });

  it('answers 503 for the API token and links it cannot read, while named tokens, OIDC and webhooks keep working', async () => {
    sm.put('prod/DENIED_API_TOKEN', VALUES.ROLLOUT_API_TOKEN);
    sm.deny('prod/DENIED_API_TOKEN');
    const call = await apiFunction({ ROLLOUT_API_TOKEN: 'prod/DENIED_API_TOKEN', ROLLOUT_LINK_SECRET: 'prod/NO_LINK_SECRET' });
    const res = await call('GET', '/rollouts', { headers: bearer(VALUES.ROLLOUT_API_TOKEN) });
    expect(res.status).toBe(503);
    expect(res.body?.detail).toMatch(/^the secret ROLLOUT_API_TOKEN cannot be read: secret prod\/DENIED_API_TOKEN: this function may not read it/);
    expect((await call('GET', '/rollouts', { headers: bearer(VIEWER_TOKEN) })).status).toBe(200);
    expect((await call('GET', '/rollouts', { headers: bearer(oidcToken()) })).status).toBe(200);
    expect((await call('POST', '/webhooks/registry', { headers: { ...bearer(VALUES.ROLLOUT_WEBHOOK_TOKEN), 'content-type': 'application/json' }, body: unmatched })).status).toBe(202);
    const link = await call('GET', '/approvals/anything.at-all', { headers: { accept: 'application/json' } });
    expect(link.status).toBe(503);
    expect(link.body?.detail).toMatch(/ROLLOUT_LINK_SECRET/);
    // Each request asks again (the named-token request too: it might have been the API token), and says so.
    expect(new Set(logs.filter((l) => l.message === 'secret unavailable').map((l) => l.variable))).toEqual(new Set(['ROLLOUT_API_TOKEN', 'ROLLOUT_LINK_SECRET']));
  });
});
