import { describe, expect, it, vi } from 'vitest';
import { jsonLogger } from '../../../shared/observability/logger';
import type { NotifyTarget, SlackNotifyTarget } from '../../../shared/config/notifications-schema';
import { SecretUnavailableError } from '../../../shared/errors';
import { ApprovalLinks } from '../../../shared/notifications/approval-links';
import { Notifier } from '../../../shared/notifications/notifier';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyBodySignature } from '../../../shared/notifications/signing';
import { appConfig, serviceConfig } from '../../helpers/local-config';
import { T0 } from '../core/rollout-builders';
import { rolloutStates } from '../observability/rollout-states';
import { MemoryClaims } from './memory-claims';
import { Secret } from '../../../shared/config/secret';

const SLACK_URL = 'https://hooks.slack.com/services/T1/B1/very-secret-path';
const HMAC = 'webhook-hmac-secret-1234';
const all = ['PAUSED', 'SUCCEEDED', 'ROLLED_BACK', 'REJECTED', 'FAILED'] as const;
const targets: NotifyTarget[] = [
  { kind: 'slack', name: 'team', webhookUrlEnv: 'SLACK_URL', webhookUrl: new Secret(SLACK_URL), on: ['PAUSED'], linkTtlSeconds: 600 },
  { kind: 'webhook', name: 'ops', url: 'https://hooks.example.com/r', secretEnv: 'S', secret: new Secret(HMAC), on: [...all], linkTtlSeconds: 3600 },
];
const s = rolloutStates();

type Call = { url: string; init: RequestInit };

function setup(answer: (call: Call, n: number) => Promise<Response> = async () => new Response('ok'), extra: Partial<ConstructorParameters<typeof Notifier>[0]> = {}) {
  const calls: Call[] = [];
  const lines: string[] = [];
  const fakeFetch = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return answer({ url, init }, calls.length);
  }) as unknown as typeof fetch;
  const links = new ApprovalLinks({ secret: 'link-secret-0123456789', store: new MemoryClaims(), publicUrl: () => 'https://r.example', clock: () => T0 });
  const notifier = new Notifier({
    config: appConfig([serviceConfig('web', { notify: targets })]),
    links,
    publicUrl: () => 'https://r.example',
    logger: jsonLogger((l) => lines.push(l), 'info'),
    fetch: fakeFetch,
    clock: () => T0,
    ...extra,
  });
  return { notifier, calls, lines, logs: () => lines.map((l) => JSON.parse(l)) };
}

describe('the notifier', () => {
  it('sends an approval request to each target that wants it, the webhook signed over its raw body', async () => {
    const { notifier, calls } = setup();
    await notifier.listener(s.paused, s.atWeight50);
    expect(calls.map((c) => c.url)).toEqual([SLACK_URL, 'https://hooks.example.com/r']);
    const hook = calls[1]!;
    const headers = hook.init.headers as Record<string, string>;
    expect(verifyBodySignature(HMAC, hook.init.body as string, headers[SIGNATURE_HEADER])).toBe(true);
    expect(headers[TIMESTAMP_HEADER]).toBe(String(T0.getTime() / 1000));
    expect(headers['x-rollout-event']).toBe('rollout.approval_requested');
    expect(JSON.parse(hook.init.body as string).approval.approveUrl).toMatch(/^https:\/\/r\.example\/approvals\//);
    expect(hook.init.redirect).toBe('error');
    expect(hook.init.signal).toBeInstanceOf(AbortSignal);
  });

  it('sends only what each target subscribed to', async () => {
    const { notifier, calls } = setup();
    await notifier.listener(s.succeeded, s.finalizing);
    expect(calls.map((c) => c.url)).toEqual(['https://hooks.example.com/r']);
    await notifier.listener(s.atWeight20, s.started);
    expect(calls).toHaveLength(1);
  });

  it('retries a 5xx once, gives up on a 4xx at once, and never throws', async () => {
    const failing = setup(async (_c, n) => new Response('no', { status: n <= 2 ? 503 : 400 }), { attempts: 2 });
    await expect(failing.notifier.notify(s.rolledBack, s.rollingBack)).resolves.toBeUndefined();
    expect(failing.calls).toHaveLength(2);
    expect(failing.logs()).toMatchObject([{ level: 'warn', message: 'notification failed', rolloutId: 'r1', target: 'ops', error: 'the receiver answered HTTP 503', attempts: 2 }]);

    const refused = setup(async () => new Response('bad', { status: 400 }));
    await refused.notifier.notify(s.rolledBack, s.rollingBack);
    expect(refused.calls).toHaveLength(1);
  });

  it('logs network failures and timeouts without the Slack URL or any secret', async () => {
    const { notifier, lines } = setup(async (call) => {
      throw new TypeError(`fetch failed for ${call.url}`, { cause: new Error(`getaddrinfo ENOTFOUND ${call.url}`) });
    }, { attempts: 1 });
    await notifier.notify(s.paused, s.atWeight50);
    const text = lines.join('\n');
    expect(lines).toHaveLength(2);
    expect(text).not.toContain(SLACK_URL);
    expect(text).not.toContain('very-secret-path');
    expect(text).not.toContain(HMAC);
    expect(text).not.toMatch(/approvals\/[\w-]+\./);
    expect(text).toContain('[redacted]');
  });

  it('does not make the orchestrator wait in background mode; drain waits for the sends', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    // What happened, in order: drain must not end before the receiver answered (the answer waits for release()).
    const order: string[] = [];
    const { notifier, calls } = setup(async () => gate.then(() => (order.push('answered'), new Response('ok'))), { background: true });
    expect(notifier.listener(s.succeeded, s.finalizing)).toBeUndefined();
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    vi.useFakeTimers();
    try {
      const draining = notifier.drain().then(() => order.push('drained'));
      // Everything that can happen before the receiver answers: every pending callback and timer.
      await vi.runAllTimersAsync();
      expect(order).toEqual([]);
      release();
      await draining;
    } finally {
      vi.useRealTimers();
    }
    expect(order).toEqual(['answered', 'drained']);
  });

  it('sends nothing to a Slack target whose URL, read when sending, is not https, and says so without it', async () => {
    const lines: string[] = [];
    const calls: string[] = [];
    const notifier = new Notifier({
      config: appConfig([serviceConfig('web', { notify: [{ ...(targets[0] as SlackNotifyTarget), webhookUrl: new Secret('http://hooks.slack.com/not-https-secret') }] })]),
      links: null,
      publicUrl: () => null,
      logger: jsonLogger((l) => lines.push(l), 'info'),
      fetch: (async (url: string) => {
        calls.push(url);
        return new Response('ok');
      }) as unknown as typeof fetch,
    });
    await notifier.listener(s.paused, s.atWeight50);
    expect(calls).toEqual([]);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'warn', message: 'notification failed', target: 'team', error: { message: 'SLACK_URL must be an https URL (plain http only to 127.0.0.1 or localhost)' } });
    expect(lines.join('')).not.toContain('not-https-secret');
  });

  it('sends to the other targets when a secret cannot be read, and names the secret in the log', async () => {
    const unreadable = new Secret('SLACK_URL', { problem: () => null, read: (name) => Promise.reject(new SecretUnavailableError(name, 'secret prod/SLACK_URL: it does not exist')) });
    const { notifier, calls, logs } = setup(undefined, {
      config: appConfig([serviceConfig('web', { notify: [{ ...(targets[0] as SlackNotifyTarget), webhookUrl: unreadable }, targets[1]!] })]),
    });
    await notifier.listener(s.paused, s.atWeight50);
    expect(calls.map((c) => c.url)).toEqual(['https://hooks.example.com/r']);
    expect(logs().find((l) => l.message === 'notification failed')).toMatchObject({ target: 'team', error: { message: 'the secret SLACK_URL cannot be read: secret prod/SLACK_URL: it does not exist' } });
  });
});
