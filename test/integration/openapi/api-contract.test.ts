/**
 * Every answer of a real local stack, success or problem, checked against the OpenAPI document: the
 * status is documented for the route and the body passes the documented (zod) schema. At the end,
 * every (route, status) the document promises must have been seen at least once.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../shared/observability/logger';
import { createApp } from '../../../shared/http/app';
import { problemStatuses, routeDocs, routeKey } from '../../../shared/http/openapi';
import { type LocalStack, startLocalStack } from '../../../local/local-stack';
import { type ApiClient, waitFor } from '../../helpers/http';
import { appConfig, digestOf, pushEnvelope, serviceConfig } from '../../helpers/local-config';
import { ScriptedVerifier } from '../../helpers/scripted-verifier';
import { checkedClient, checkedRequest } from './contract';
import { blueGreenSteps } from '../../../shared/core/blue-green';
import { Secret } from '../../../shared/config/webhooks-schema';
import { signSlackRequest } from '../../../shared/notifications/slack-signature';

const VIEWER_TOKEN = 'viewer-token-0123456789';
const SLACK_SECRET = 'slack-signing-secret-0123456789';
/** Nothing listens there: a reply to a click goes nowhere (and never to Slack). */
const SLACK_RESPONSES = 'http://127.0.0.1:9/actions/';
const ELB = 'arn:aws:elasticloadbalancing:us-east-1:000000000000';
/** A blue-green service: its rollouts are PROMOTING for a while after the switch. */
const shop = serviceConfig('shop', {
  steps: blueGreenSteps({ autoPromote: false }),
  blueGreen: { previewListenerRule: `${ELB}:listener-rule/app/shop/00000000000000a1/00000000000000b2/00000000000000c4`, autoPromote: false, scaleDownDelay: 300 },
  traffic: { alb: { listenerRule: `${ELB}:listener-rule/app/shop/00000000000000a1/00000000000000b1/00000000000000c3`, targetGroups: [`${ELB}:targetgroup/shop-blue/00000000000000d1`, `${ELB}:targetgroup/shop-green/00000000000000d2`] } },
  alarms: [],
});
const config = {
  ...appConfig([serviceConfig('web'), serviceConfig('worker', { steps: [{ setWeight: 50 }, { pause: {} }, { setWeight: 100 }], alarms: ['worker-errors'] }), shop]),
  access: {
    tokens: [{ name: 'vic', sha256: createHash('sha256').update(VIEWER_TOKEN).digest('hex'), role: 'viewer' as const }],
    slack: { team: 'T0CONTRACT', users: { U0VIC: { person: 'vic@example.com', role: 'viewer' as const } } },
  },
  slack: { signingSecretEnv: 'SLACK_SIGNING_SECRET', signingSecret: new Secret(SLACK_SECRET) },
};
const verifier = new ScriptedVerifier();
const seen = new Set<string>();
const UNKNOWN_ID = '0000000000zzzzzzzzzzzzzzzz';
const V1 = { 'content-type': 'application/vnd.docker.distribution.events.v1+json' };

let stack: LocalStack;
let api: ApiClient;
let hook: ApiClient;
let anonymous: ApiClient;
let viewer: ApiClient;
/** The same orchestrator served as in AWS: no local alarms, live updates, metrics or approval links. */
let aws: ReturnType<typeof createApp>;
let nextDigest = 500;

beforeAll(async () => {
  stack = await startLocalStack({ config, port: 0, taskStartMs: 10, steadyPollMs: 10, verifier, logger: silentLogger, webhookToken: 'hook-token', apiToken: 'api-token', slack: { responseUrlPrefix: SLACK_RESPONSES, timeoutMs: 500 } });
  api = checkedClient(stack.url, stack.apiToken, seen);
  hook = checkedClient(stack.url, stack.webhookToken, seen);
  anonymous = checkedClient(stack.url, 'wrong-token', seen);
  viewer = checkedClient(stack.url, VIEWER_TOKEN, seen);
  aws = createApp({ orchestrator: stack.orchestrator, webhookToken: 'h', apiToken: 'a', interactionClaims: stack.store });
});
afterAll(async () => stack?.stop());

async function push(service: string, tag: string, digest = digestOf(nextDigest++)): Promise<string> {
  const res = await hook('POST', '/webhooks/registry', pushEnvelope(`team/${service}`, tag, digest), V1);
  expect(res.status).toBe(202);
  // The answer plans the rollout; the delivery's outcome says it started (or why not).
  const outcome = await untilProcessed(res.body.deliveryId);
  expect(outcome.accepted.map((a: { rolloutId: string }) => a.rolloutId)).toEqual(res.body.accepted.map((a: { rolloutId: string }) => a.rolloutId));
  return res.body.accepted[0].rolloutId;
}

const untilProcessed = (deliveryId: string) =>
  waitFor(`delivery ${deliveryId} to be processed`, async () => {
    const d = (await api('GET', `/deliveries/${deliveryId}`)).body;
    return d.status === 'PROCESSED' ? d : undefined;
  });

const untilStatus = (id: string, status: string) =>
  waitFor(`rollout ${id} to be ${status}`, async () => {
    const r = (await api('GET', `/rollouts/${id}`)).body;
    return r.status === status ? r : undefined;
  });

/** Waits for a service's lock to be free, so that each scenario starts its own rollout at once. */
const untilFree = (service: string) => waitFor(`${service} free`, async () => (await api('GET', `/services/${service}`)).body.activeRollout === null || undefined);

describe('the API answers as its OpenAPI document says', () => {
  it('for a rollout approved to success, and commands refused once it has ended', async () => {
    for (const path of ['/healthz', '/openapi.json', '/docs']) expect((await anonymous('GET', path)).status).toBe(200);
    const id = await push('web', 'v2');
    const paused = await untilStatus(id, 'PAUSED');
    expect(paused.wait).toEqual({ for: 'approval' });
    expect((await api('GET', '/rollouts?service=web&status=PAUSED&limit=5')).body.items[0].id).toBe(id);

    expect((await api('POST', `/rollouts/${id}/approve`, { by: 'ann', comment: 'ok' })).status).toBe(200);
    await untilStatus(id, 'SUCCEEDED');
    for (const command of ['approve', 'reject', 'abort', 'promote', 'pause', 'resume']) expect((await api('POST', `/rollouts/${id}/${command}`, { by: 'ann' })).status).toBe(409);
    expect((await api('POST', `/rollouts/${id}/retry`, { by: 'ann' })).status).toBe(409);
    expect((await api('GET', '/rollouts')).status).toBe(200);
    expect((await api('GET', '/services')).body.items).toHaveLength(3);
    expect((await api('GET', '/services/web')).body.activeRollout).toBeNull();
  });

  it('for rollouts aborted, retried, rejected, promoted, waiting for a signature or refused', async () => {
    await untilFree('worker');
    const aborted = await push('worker', 'v2');
    expect((await api('POST', `/rollouts/${aborted}/abort`, { by: 'bob', reason: 'wrong build' })).status).toBe(200);
    await untilStatus(aborted, 'ROLLED_BACK');
    const retry = await api('POST', `/rollouts/${aborted}/retry`);
    expect(retry.status).toBe(201);
    expect((await api('POST', `/rollouts/${retry.body.id}/reject`, { by: 'bob', comment: 'still wrong' })).status).toBe(200);
    await untilStatus(retry.body.id, 'ROLLED_BACK');

    await untilFree('web');
    const promoted = await push('web', 'v3');
    await waitFor('first weight', async () => (await api('GET', `/rollouts/${promoted}`)).body.canaryWeight === 20 || undefined);
    expect((await api('POST', `/rollouts/${promoted}/pause`, { by: 'pat', reason: 'a look first' })).body.wait).toMatchObject({ for: 'manual', by: 'pat' });
    expect((await api('POST', `/rollouts/${promoted}/resume`, { by: 'pat' })).body.status).toBe('PROGRESSING');
    expect((await api('POST', `/rollouts/${promoted}/promote`, { by: 'pat' })).status).toBe(200);
    await untilStatus(promoted, 'SUCCEEDED');

    const unsigned = digestOf(nextDigest++);
    verifier.set(unsigned, 'missing');
    const pending = await push('web', 'v4', unsigned);
    expect((await api('GET', `/rollouts/${pending}`)).body).toMatchObject({ status: 'PENDING', wait: { for: 'signature' } });
    expect((await api('POST', `/rollouts/${pending}/abort`, { by: 'pat' })).status).toBe(200);

    const forged = digestOf(nextDigest++);
    verifier.set(forged, 'rejected');
    const refused = await push('web', 'v5', forged);
    expect((await untilStatus(refused, 'REJECTED')).reason).toMatch(/not signed/);
  });

  it('for alarms in local mode, and their routes outside it', async () => {
    await untilFree('worker');
    const id = await push('worker', 'v6');
    await untilStatus(id, 'PAUSED');
    expect((await api('PUT', '/local/alarms/worker-errors', { state: 'ALARM', reason: '5xx' })).body.rolledBack).toEqual([id]);
    expect((await api('GET', '/local/alarms')).body['worker-errors'].state).toBe('ALARM');
    expect(Object.keys((await api('GET', '/local/endpoints')).body).sort()).toEqual(['cloudwatch', 'dynamodb', 'ecs', 'elbv2', 'signer', 'stepfunctions']);
    expect((await api('PUT', '/local/alarms/worker-errors', { state: 'OK' })).status).toBe(200);
    expect((await api('PUT', '/local/alarms/worker-errors', { state: 'RED' })).status).toBe(400);

    expect((await checkedRequest(aws, seen, 'GET', '/local/alarms', { token: 'a' })).status).toBe(404);
    expect((await checkedRequest(aws, seen, 'GET', '/local/endpoints', { token: 'a' })).status).toBe(404);
    expect((await checkedRequest(aws, seen, 'PUT', '/local/alarms/x', { token: 'a', body: '{"state":"OK"}' })).status).toBe(404);
  });

  it('for the dashboard, its live updates and metrics, and their routes outside local mode', async () => {
    for (const path of ['/', '/dashboard/app.js', '/dashboard/app.css']) expect((await anonymous('GET', path)).status).toBe(200);
    expect((await api('GET', '/metrics')).status).toBe(200);
    expect((await checkedRequest(stack.app, seen, 'GET', '/events', { token: stack.apiToken })).body).toMatch(/event: ready/);
    for (const path of ['/events', '/metrics']) expect((await checkedRequest(aws, seen, 'GET', path, { token: 'a' })).status).toBe(404);
  });

  it('for signed approval links: shown, used once, expired, forged, and not enabled', async () => {
    await untilFree('worker');
    const id = await push('worker', 'v7');
    await untilStatus(id, 'PAUSED');
    const links = stack.operator.appDeps.approvalLinks!;
    const rollout = await stack.orchestrator.get(id);
    const path = (url: string) => new URL(url).pathname;
    const fresh = path((await links.issue(rollout, { name: 'ops', linkTtlSeconds: 600 }))!.approveUrl);
    const expired = path((await links.issue(rollout, { name: 'ops', linkTtlSeconds: -60 }))!.approveUrl);
    const forged = `${fresh.slice(0, -4)}AAAA`;
    for (const method of ['GET', 'POST']) {
      expect((await anonymous(method, expired)).status).toBe(410);
      expect((await anonymous(method, forged)).status).toBe(403);
      expect((await checkedRequest(aws, seen, method, fresh)).status).toBe(404);
    }
    expect((await anonymous('GET', fresh)).body).toMatchObject({ rolloutId: id, action: 'approve', step: 1 });
    expect((await anonymous('POST', fresh)).body).toMatchObject({ rolloutId: id, action: 'approve', by: 'link:ops' });
    for (const method of ['GET', 'POST']) expect((await anonymous(method, fresh)).status).toBe(409);
    await untilStatus(id, 'SUCCEEDED');
  });

  it('for a viewer: reads allowed, commands and local controls forbidden', async () => {
    expect((await viewer('GET', '/rollouts')).status).toBe(200);
    const id = (await viewer('GET', '/rollouts?limit=1')).body.items[0].id;
    for (const command of ['approve', 'reject', 'abort', 'promote', 'pause', 'resume', 'retry']) expect((await viewer('POST', `/rollouts/${id}/${command}`, { by: 'vic' })).status).toBe(403);
    expect((await viewer('PUT', '/local/alarms/x', { state: 'OK' })).status).toBe(403);
    expect((await viewer('GET', '/local/alarms')).status).toBe(403);
    expect((await viewer('GET', '/local/endpoints')).status).toBe(403);
  });

  it('for bad input: unknown ids, services and parameters, invalid bodies, webhook envelopes and blob pushes', async () => {
    for (const query of ['?status=NOPE', '?limit=0', '?bogus=1']) expect((await api('GET', `/rollouts${query}`)).status).toBe(400);
    expect((await api('GET', '/rollouts?service=nope')).status).toBe(404);
    expect((await api('GET', `/rollouts/${UNKNOWN_ID}`)).status).toBe(404);
    expect((await api('GET', '/rollouts/not-an-id')).status).toBe(404);
    expect((await api('GET', '/services/nope')).status).toBe(404);
    for (const command of ['approve', 'reject', 'abort', 'promote', 'pause', 'resume', 'retry']) expect((await api('POST', `/rollouts/${UNKNOWN_ID}/${command}`, { by: 'x' })).status).toBe(404);
    expect((await api('POST', `/rollouts/${UNKNOWN_ID}/approve`, {})).body.detail).toMatch(/by: is required/);
    expect((await api('POST', `/rollouts/${UNKNOWN_ID}/approve`, { comment: 'no by' })).body.errors).toEqual([expect.stringMatching(/^by: /)]);

    expect((await hook('POST', '/webhooks/registry', { events: 'no' }, V1)).status).toBe(400);
    const blob = pushEnvelope('team/web', null, digestOf(nextDigest++));
    blob.events[0]!.target.mediaType = 'application/octet-stream';
    expect((await api('GET', `/deliveries/${UNKNOWN_ID}`)).status).toBe(404);
    const ignored = await hook('POST', '/webhooks/registry', blob, V1);
    expect(ignored.body).toMatchObject({ deliveryId: expect.any(String), accepted: [], ignored: [{ reason: expect.any(String) }] });
    expect((await hook('POST', '/webhooks/registry', pushEnvelope('team/unknown', 'v1', digestOf(nextDigest++)), V1)).body.ignored).toHaveLength(1);
  });

  it('for every route that takes a body: malformed JSON, a wrong content type and an oversized body', async () => {
    for (const doc of routeDocs().filter((d) => d.body && (d.security === 'apiToken' || d.security === 'webhookToken'))) {
      const client = doc.security === 'apiToken' ? api : hook;
      const path = doc.path.replace(/\{[^}]+\}/g, (p) => (p === '{id}' ? UNKNOWN_ID : 'x'));
      const method = doc.method.toUpperCase();
      expect((await client(method, path, '{"by":', { 'content-type': 'application/json' })).status, `${method} ${path}`).toBe(400);
      expect((await client(method, path, 'by=me', { 'content-type': 'text/plain' })).status, `${method} ${path}`).toBe(415);
      // In process: over a socket, the server answers 413 and closes before the client has sent it all.
      const token = doc.security === 'apiToken' ? stack.apiToken : stack.webhookToken;
      expect((await checkedRequest(stack.app, seen, method, path, { token, body: `"${'x'.repeat(1024 * 1024)}"` })).status, `${method} ${path}`).toBe(413);
    }
  });

  it('for every authenticated route, webhook senders included: 401 without a token or with a wrong one', async () => {
    const bare = checkedClient(stack.url, '', seen);
    for (const doc of routeDocs().filter((d) => d.security !== 'none')) {
      const path = doc.path.replace(/\{[^}]+\}/g, 'x');
      const method = doc.method.toUpperCase();
      const body = doc.body ? {} : undefined;
      expect((await anonymous(method, path, body)).status, `${method} ${path} with a wrong token`).toBe(401);
      expect((await bare(method, path, body, { authorization: '' })).status, `${method} ${path} without a token`).toBe(401);
    }
  });

  it('for Slack interactions: an ephemeral reason, a malformed payload, and a stale signature', async () => {
    const click = (payload: unknown, timestamp = Math.floor(Date.now() / 1000)) => {
      const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
      const headers = { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signSlackRequest(SLACK_SECRET, String(timestamp), body) };
      return checkedRequest(stack.app, seen, 'POST', '/webhooks/slack/interactions', { body, headers });
    };
    const payload = {
      type: 'block_actions',
      team: { id: 'T0CONTRACT', domain: 'contract' },
      user: { id: 'U0VIC', username: 'vic', team_id: 'T0CONTRACT' },
      actions: [{ action_id: 'rollout.approve', block_id: 'rollout.decision', value: `${UNKNOWN_ID}:1`, type: 'button', action_ts: '1.2' }],
      response_url: `${SLACK_RESPONSES}T0CONTRACT/1/abc`,
      trigger_id: '1.2.abc',
    };
    const viewerClick = await click(payload);
    expect(viewerClick.status).toBe(200);
    expect(viewerClick.body).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(/is a viewer/) });
    expect((await click({ ...payload, type: 'view_submission' })).status).toBe(400);
    expect((await click(payload, Math.floor(Date.now() / 1000) - 600)).status).toBe(401);
  });

  it('for a blue-green rollout previewed, switched (PROMOTING) and aborted within its scaleDownDelay', async () => {
    const id = await push('shop', 'v2');
    const paused = await untilStatus(id, 'PAUSED');
    expect(paused).toMatchObject({ canaryWeight: 0, blueGreen: { autoPromote: false, scaleDownDelaySeconds: 300 } });
    expect((await api('POST', `/rollouts/${id}/approve`, { by: 'ann' })).status).toBe(200);
    const promoting = await untilStatus(id, 'PROMOTING');
    expect(promoting).toMatchObject({ canaryWeight: 100, wait: { for: 'bake' } });
    expect((await api('GET', '/rollouts?service=shop&status=PROMOTING')).body.items.map((r: { id: string }) => r.id)).toEqual([id]);
    for (const command of ['approve', 'pause', 'promote', 'resume']) expect((await api('POST', `/rollouts/${id}/${command}`, { by: 'ann' })).status).toBe(409);
    expect((await api('POST', `/rollouts/${id}/abort`, { by: 'ann', reason: 'checkout broken' })).status).toBe(200);
    expect(await untilStatus(id, 'ROLLED_BACK')).toMatchObject({ canaryWeight: 0, trafficShare: 0 });
  });

  it('has shown every documented (route, status) at least once', () => {
    const missing = routeDocs()
      // Other senders' webhook routes have their own tests; here they are checked for 401 (and 400/413/415) above.
      .filter((d) => !d.path.startsWith('/webhooks/') || d.path === '/webhooks/registry')
      .flatMap((d) => [...Object.keys(d.responses).map(Number), ...problemStatuses(d).keys()].map((s) => `${routeKey(d.method, d.path)} ${s}`))
      .filter((key) => !seen.has(key));
    expect(missing).toEqual([]);
  });
});
