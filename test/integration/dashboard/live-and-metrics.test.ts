/**
 * The dashboard's server side against a local stack: the public shell, the authenticated event stream
 * (changes, heartbeats, cleanup on disconnect), `GET /metrics`, and the JSON logs every rollout writes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../../local/local-stack';
import { jsonLogger } from '../../../shared/observability/logger';
import { type ApiClient, apiClient, deliverAndWait, expectProblem, waitFor } from '../../helpers/http';
import { appConfig, digestOf, pushEnvelope, serviceConfig } from '../../helpers/local-config';
import { ScriptedVerifier } from '../../helpers/scripted-verifier';

let stack: LocalStack;
let api: ApiClient;
const logs: string[] = [];
let nextDigest = 0x9000;

beforeAll(async () => {
  stack = await startLocalStack({
    config: appConfig([serviceConfig('web'), serviceConfig('worker', { steps: [{ setWeight: 50 }, { pause: {} }, { setWeight: 100 }] })]),
    port: 0,
    taskStartMs: 15,
    steadyPollMs: 15,
    verifier: new ScriptedVerifier(),
    logger: jsonLogger((line) => logs.push(line), 'info'),
    webhookToken: 'hook-token-live',
    apiToken: 'api-token-live-and-metrics',
    operator: { heartbeatMs: 150, env: {} },
  });
  api = apiClient(stack.url, stack.apiToken);
});
afterAll(async () => stack?.stop());

async function push(service: string): Promise<string> {
  const res = await deliverAndWait(apiClient(stack.url, stack.webhookToken), api, '/webhooks/registry', pushEnvelope(`team/${service}`, 'v1', digestOf(nextDigest++)));
  return res.body.accepted[0].rolloutId as string;
}
const untilStatus = (id: string, status: string) => waitFor(`${id} ${status}`, async () => (await api('GET', `/rollouts/${id}`)).body.status === status || undefined);

/** Reads server-sent events from a fetch response into `events` until stopped. */
function readEvents(res: Response) {
  const events: { event: string; data: any }[] = [];
  let comments = 0;
  const done = (async () => {
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { done: end, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (end) return;
      buffer += value;
      let at: number;
      while ((at = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        if (block.startsWith(':')) comments += 1;
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) });
      }
    }
  })();
  return { events, comments: () => comments, done };
}

describe('the dashboard routes', () => {
  it('serve the page shell to anyone, with a strict content security policy', async () => {
    const page = await fetch(`${stack.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain('<script src="/dashboard/app.js" defer></script>');
    expect(html).not.toContain(stack.apiToken);
    expect((await fetch(`${stack.url}/dashboard/app.js`)).headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await fetch(`${stack.url}/dashboard/app.css`)).headers.get('content-type')).toMatch(/^text\/css/);
  });

  it('stream every saved change over server-sent events, with heartbeats, to a client with the API token', async () => {
    expectProblem(await api('GET', '/events', undefined, { authorization: '' }), 401);
    // The token is taken from the header only, never from the URL (where logs would keep it).
    expectProblem(await apiClient(stack.url, '')('GET', `/events?token=${stack.apiToken}`, undefined, { authorization: '' }), 401);

    const abort = new AbortController();
    const res = await fetch(`${stack.url}/events`, { headers: { authorization: `Bearer ${stack.apiToken}` }, signal: abort.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const stream = readEvents(res);
    await waitFor('ready', async () => stream.events.some((e) => e.event === 'ready') || undefined);
    expect(stack.operator.live!.size).toBe(1);

    const id = await push('web');
    await waitFor('PAUSED over the stream', async () => stream.events.some((e) => e.data.id === id && e.data.status === 'PAUSED') || undefined);
    const mine = stream.events.filter((e) => e.event === 'rollout' && e.data.id === id).map((e) => e.data);
    expect(mine.map((r) => r.version)).toEqual([...mine.map((r) => r.version)].sort((a, b) => a - b));
    expect(new Set(mine.map((r) => r.canaryWeight))).toEqual(new Set([0, 20, 50]));
    expect(mine.every((r) => !('taskToken' in r))).toBe(true);
    await waitFor('a heartbeat', async () => stream.comments() > 0 || undefined);

    abort.abort();
    await stream.done;
    await waitFor('the client to be dropped', async () => stack.operator.live!.size === 0 || undefined);
    await api('POST', `/rollouts/${id}/approve`, { by: 'ann' });
    await untilStatus(id, 'SUCCEEDED');
  });

  it('count rollouts started, succeeded and rolled back, and the time from alarm to rollback, at GET /metrics', async () => {
    expectProblem(await api('GET', '/metrics', undefined, { authorization: '' }), 401);
    const id = await push('worker');
    await untilStatus(id, 'PAUSED');
    await api('PUT', '/local/alarms/worker-5xx', { state: 'ALARM', reason: 'test' });
    await untilStatus(id, 'ROLLED_BACK');
    // The listeners hear of a change after it is saved (the log line, then the metrics): a loaded
    // machine answered GET /metrics between the two.
    const body = await waitFor('the rollback counted', async () => ((b) => (b.metrics.RolloutsRolledBack.total > 0 ? b : undefined))((await api('GET', '/metrics')).body));
    expect(body.namespace).toBe('RolloutOrchestrator');
    expect(body.metrics.RolloutsStarted).toMatchObject({ unit: 'Count', total: 2, byService: { web: 1, worker: 1 } });
    expect(body.metrics.RolloutsSucceeded).toMatchObject({ total: 1, byService: { web: 1 } });
    expect(body.metrics.RolloutsRolledBack).toMatchObject({ total: 1, byService: { worker: 1 } });
    expect(body.metrics.RolloutsRejected.total).toBe(0);
    expect(body.metrics.TimeToRollback).toMatchObject({ unit: 'Milliseconds', total: 1, byService: { worker: 1 }, summary: { count: 1 } });
    expect(body.metrics.TimeToRollback.summary.max).toBeGreaterThanOrEqual(0);
    expect(body.metrics.TimeToRollback.summary.max).toBeLessThan(5000);
  });

  it('write JSON log lines that each carry the rollout id (or ids), and no token', () => {
    const lines = logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThan(20);
    for (const line of lines) {
      expect(line).toMatchObject({ time: expect.any(String), level: expect.any(String), message: expect.any(String) });
      // A request-level line (one webhook delivery may start several rollouts) names them all instead.
      const ids = 'rolloutId' in line ? [line.rolloutId] : (line.accepted as unknown[] | undefined);
      expect(ids, JSON.stringify(line)).toEqual([expect.stringMatching(/^[0-9a-z]{26}$/)]);
    }
    expect(lines.filter((l) => l.message === 'rollout event').map((l) => l.event)).toEqual(expect.arrayContaining(['CREATED', 'PAUSED', 'APPROVED', 'ALARM_FIRED', 'ROLLED_BACK']));
    const text = logs.join('\n');
    expect(text).not.toContain(stack.apiToken);
    expect(text).not.toContain(stack.webhookToken);
  });
});
