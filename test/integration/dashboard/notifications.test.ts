/**
 * Notifications from a local stack to a local receiver: signed webhooks and Slack messages on state
 * changes, and the approval links they carry (single-use, expiring, tamper-proof).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../../local/local-stack';
import { jsonLogger } from '../../../shared/observability/logger';
import type { NotifyTarget } from '../../../shared/config/notifications-schema';
import { signLink } from '../../../shared/notifications/approval-links';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyBodySignature } from '../../../shared/notifications/signing';
import { type ApiClient, apiClient, waitFor } from '../../helpers/http';
import { appConfig, digestOf, pushEnvelope, serviceConfig } from '../../helpers/local-config';
import { ScriptedVerifier } from '../../helpers/scripted-verifier';
import { type Receiver, startReceiver } from './receiver';
import { Secret } from '../../../shared/config/secret';

const HMAC_SECRET = 'hmac-secret-for-the-ops-webhook';
const LINK_SECRET = 'link-secret-of-this-orchestrator';
const base = { on: ['PAUSED', 'SUCCEEDED', 'ROLLED_BACK', 'REJECTED', 'FAILED'] as const, linkTtlSeconds: 3600 };

let receiver: Receiver;
let stack: LocalStack;
let api: ApiClient;
const logs: string[] = [];
let nextDigest = 0x7000;

beforeAll(async () => {
  receiver = await startReceiver();
  receiver.status['/broken'] = 500;
  const notify: NotifyTarget[] = [
    { kind: 'webhook', name: 'ops', url: `${receiver.url}/ops`, secretEnv: 'OPS_SECRET', secret: new Secret(HMAC_SECRET), ...base, on: [...base.on] },
    { kind: 'slack', name: 'team-web', webhookUrlEnv: 'SLACK_URL', webhookUrl: new Secret(`${receiver.url}/slack/T000/B000/XXXX`), ...base, on: ['PAUSED', 'ROLLED_BACK'] },
    // A receiver that always fails: the rollout must not notice.
    { kind: 'webhook', name: 'broken', url: `${receiver.url}/broken`, secretEnv: 'BROKEN_SECRET', secret: new Secret('another-hmac-secret-value'), ...base, on: [...base.on] },
  ];
  stack = await startLocalStack({
    config: appConfig([serviceConfig('web', { notify })]),
    port: 0,
    taskStartMs: 15,
    steadyPollMs: 15,
    verifier: new ScriptedVerifier(),
    logger: jsonLogger((line) => logs.push(line), 'info'),
    webhookToken: 'hook-token-notifications',
    apiToken: 'api-token-notifications',
    operator: { linkSecret: LINK_SECRET, notifyTimeoutMs: 2000, env: {} },
  });
  api = apiClient(stack.url, stack.apiToken);
});
afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

async function pausedRollout(): Promise<string> {
  const res = await apiClient(stack.url, stack.webhookToken)('POST', '/webhooks/registry', pushEnvelope('team/web', 'v1', digestOf(nextDigest++)));
  const id = res.body.accepted[0].rolloutId as string;
  await waitFor('PAUSED', async () => (await api('GET', `/rollouts/${id}`)).body.status === 'PAUSED' || undefined);
  return id;
}

const delivered = (path: string, type: string, id: string) =>
  waitFor(`${type} at ${path}`, async () =>
    receiver.received.find((r) => r.path.startsWith(path) && (r.json?.type === type || (path.startsWith('/slack') && r.json?.text?.includes(type))) && r.raw.includes(id)),
  );

const link = (url: string, init: RequestInit = {}) => fetch(url, init).then(async (res) => ({ status: res.status, type: res.headers.get('content-type'), text: await res.text() }));

describe('notifications', () => {
  it('asks for approval with a signed webhook and a Slack message, and approves once through the link', async () => {
    const id = await pausedRollout();
    const hook = await delivered('/ops', 'rollout.approval_requested', id);
    expect(verifyBodySignature(HMAC_SECRET, hook.raw, hook.headers[SIGNATURE_HEADER] as string)).toBe(true);
    expect(verifyBodySignature('not-the-secret-value', hook.raw, hook.headers[SIGNATURE_HEADER] as string)).toBe(false);
    expect(hook.headers[TIMESTAMP_HEADER]).toBe(String(hook.json.timestamp));
    expect(hook.json).toMatchObject({ rollout: { id, service: 'web', status: 'PAUSED', previousStatus: 'PROGRESSING', canaryWeight: 50, currentStep: 3 }, approval: { step: 3 } });
    const { approveUrl, abortUrl } = hook.json.approval;
    expect(approveUrl).toMatch(new RegExp(`^${stack.url}/approvals/[\\w-]+\\.[\\w-]+$`));

    const slack = await waitFor('the Slack message', async () => receiver.received.find((r) => r.path.startsWith('/slack') && r.raw.includes(id)));
    expect(slack.json.text).toMatch(/^web: rollout of v1 .* waits for approval at step 4 of 5/);
    const buttons = slack.json.blocks.find((b: any) => b.type === 'actions').elements;
    expect(buttons.map((b: any) => b.text.text)).toEqual(['Approve…', 'Abort…']);
    expect(buttons[0].url).not.toBe(approveUrl); // each target has its own links (approvals record which)

    // A GET shows what would happen and changes nothing: link scanners and chat previews fetch links.
    const preview = await link(approveUrl, { headers: { accept: 'text/html' } });
    expect(preview.status).toBe(200);
    expect(preview.text).toContain('Approve the web rollout?');
    expect(preview.text).toContain('<form method="post">');
    expect((await link(approveUrl)).text).toContain('"action":"approve"');
    expect((await api('GET', `/rollouts/${id}`)).body.status).toBe('PAUSED');

    const approved = await link(approveUrl, { method: 'POST' });
    expect(approved.status).toBe(200);
    expect(JSON.parse(approved.text)).toMatchObject({ rolloutId: id, action: 'approve', by: 'link:ops' });
    expect((await api('GET', `/rollouts/${id}`)).body.approvals).toEqual([expect.objectContaining({ by: 'link:ops', credential: 'link:ops', step: 3 })]);

    const again = await link(approveUrl, { method: 'POST' });
    expect(again.status).toBe(409);
    expect(again.type).toMatch(/problem\+json/);
    expect(JSON.parse(again.text).detail).toMatch(/already been used/);
    expect((await link(approveUrl)).status).toBe(409);
    // The abort link of the same request: the rollout no longer waits there.
    expect((await link(abortUrl, { method: 'POST' })).status).toBe(409);

    const done = await delivered('/ops', 'rollout.succeeded', id);
    expect(verifyBodySignature(HMAC_SECRET, done.raw, done.headers[SIGNATURE_HEADER] as string)).toBe(true);
    expect(done.json.approval).toBeNull();
    // Slack was set to PAUSED and ROLLED_BACK only.
    expect(receiver.received.filter((r) => r.path.startsWith('/slack') && r.raw.includes(id))).toHaveLength(1);
  });

  it('refuses a tampered, a foreign and an expired link, and aborts through a link from a browser form', async () => {
    const id = await pausedRollout();
    const hook = await delivered('/ops', 'rollout.approval_requested', id);
    const { approveUrl, abortUrl } = hook.json.approval as { approveUrl: string; abortUrl: string };
    const token = approveUrl.split('/approvals/')[1]!;
    const [payload, mac] = token.split('.') as [string, string];

    // Another action or another rollout in the payload, with the original mac.
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as unknown[];
    const forged = Buffer.from(JSON.stringify([claims[0], claims[1], 'approve', claims[3], (claims[4] as number) + 86400, claims[5]])).toString('base64url');
    expect((await link(`${stack.url}/approvals/${forged}.${mac}`, { method: 'POST' })).status).toBe(403);
    expect((await link(`${stack.url}/approvals/${payload}.${mac.slice(0, -2)}AA`, { method: 'POST' })).status).toBe(403);
    expect((await link(`${stack.url}/approvals/not-a-token`, { method: 'POST' })).status).toBe(403);
    const foreign = signLink('some-other-orchestrator-secret', { rolloutId: id, action: 'approve', step: 3, expiresAt: 4102444800, target: 'ops' });
    expect((await link(`${stack.url}/approvals/${foreign}`, { method: 'POST' })).status).toBe(403);
    const expired = signLink(LINK_SECRET, { rolloutId: id, action: 'approve', step: 3, expiresAt: Math.floor(Date.now() / 1000) - 1, target: 'ops' });
    const gone = await link(`${stack.url}/approvals/${expired}`, { method: 'POST', headers: { accept: 'text/html' } });
    expect(gone.status).toBe(410);
    expect(gone.text).toContain('This link has expired');
    expect((await api('GET', `/rollouts/${id}`)).body.status).toBe('PAUSED');

    // What a browser's form submission sends.
    const aborted = await link(abortUrl, { method: 'POST', headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    expect(aborted.status).toBe(200);
    expect(aborted.text).toContain('Aborted: web');
    const rolledBack = await delivered('/ops', 'rollout.rolled_back', id);
    expect(rolledBack.json.rollout.reason).toBe('aborted by link:ops (link:ops): aborted through a notification link');
    await delivered('/slack', 'rolled back', id);
  });

  it('logs a failing receiver without failing the rollout, and never logs a secret', async () => {
    await waitFor('the broken receiver tried twice', async () => receiver.received.filter((r) => r.path === '/broken').length >= 4 || undefined);
    await stack.operator.notifier.drain();
    const failures = logs.map((l) => JSON.parse(l)).filter((l) => l.message === 'notification failed' && l.target === 'broken');
    expect(failures.length).toBeGreaterThan(0);
    expect(failures[0]).toMatchObject({ level: 'warn', rolloutId: expect.any(String), service: 'web', error: 'the receiver answered HTTP 500', attempts: 2 });
    const text = logs.join('\n');
    for (const secret of [HMAC_SECRET, LINK_SECRET, 'another-hmac-secret-value', '/slack/T000/B000/XXXX', stack.apiToken, stack.webhookToken]) expect(text).not.toContain(secret);
    const tokens = receiver.received.flatMap((r) => [...r.raw.matchAll(/approvals\/([\w-]+\.[\w-]+)/g)].map((m) => m[1]!));
    expect(tokens.length).toBeGreaterThan(0);
    for (const token of tokens) expect(text).not.toContain(token);
  });
});
