/**
 * Pause and resume by hand through the real app and local mode's loop (the workflow, ECS and alarm
 * stand-ins): a pause holds a baking rollout past its bake's deadline, an alarm still rolls it back, a
 * resume lets it finish with the bake time it had left; and the refusals, as problem+json.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../../local/local-stack';
import { silentLogger } from '../../../shared/observability/logger';
import { type ApiClient, apiClient, expectProblem, waitFor } from '../../helpers/http';
import { appConfig, digestOf, pushEnvelope, serviceConfig } from '../../helpers/local-config';
import { ScriptedVerifier } from '../../helpers/scripted-verifier';

const VIEWER_TOKEN = 'viewer-token-for-pause-tests';
const OPERATOR_TOKEN = 'operator-token-for-pause-tests';
const sha = (t: string) => createHash('sha256').update(t).digest('hex');
const BAKE_SECONDS = 2;
const config = {
  ...appConfig([
    serviceConfig('web', { steps: [{ setWeight: 20 }, { pause: { duration: BAKE_SECONDS } }, { setWeight: 100 }] }),
    serviceConfig('gate', { steps: [{ setWeight: 50 }, { pause: {} }, { setWeight: 100 }] }),
  ]),
  access: {
    tokens: [
      { name: 'vic', sha256: sha(VIEWER_TOKEN), role: 'viewer' as const },
      { name: 'olga', sha256: sha(OPERATOR_TOKEN), role: 'operator' as const, person: 'olga@example.com' },
    ],
  },
};
const UNKNOWN_ID = '0000000000zzzzzzzzzzzzzzzz';

let stack: LocalStack;
let api: ApiClient;
let viewer: ApiClient;
let operator: ApiClient;
let nextDigest = 0x9a00;

beforeAll(async () => {
  stack = await startLocalStack({ config, port: 0, taskStartMs: 10, steadyPollMs: 10, verifier: new ScriptedVerifier(), logger: silentLogger, webhookToken: 'hook-token', apiToken: 'api-token' });
  api = apiClient(stack.url, stack.apiToken);
  viewer = apiClient(stack.url, VIEWER_TOKEN);
  operator = apiClient(stack.url, OPERATOR_TOKEN);
});
afterAll(async () => stack?.stop());

async function push(service: string, tag: string): Promise<string> {
  const res = await apiClient(stack.url, stack.webhookToken)('POST', '/webhooks/registry', pushEnvelope(`team/${service}`, tag, digestOf(nextDigest++)));
  expect(res.status).toBe(202);
  return res.body.accepted[0].rolloutId;
}

const until = (id: string, what: string, check: (r: any) => boolean) =>
  waitFor(`rollout ${id}: ${what}`, async () => {
    const r = (await api('GET', `/rollouts/${id}`)).body;
    return check(r) ? r : undefined;
  });
const untilFree = (service: string) => waitFor(`${service} free`, async () => (await api('GET', `/services/${service}`)).body.activeRollout === null || undefined);
const sleepUntil = (iso: string, extraMs: number) => new Promise((r) => setTimeout(r, Math.max(0, Date.parse(iso) - Date.now()) + extraMs));

describe('pause and resume by hand', () => {
  it('holds a baking rollout past its bake; an alarm while paused still rolls it back', async () => {
    await untilFree('web');
    const id = await push('web', 'v2');
    const baking = await until(id, 'baking', (r) => r.wait?.for === 'bake');

    const res = await api('POST', `/rollouts/${id}/pause`, { by: 'ann', reason: 'checking dashboards' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'PAUSED',
      canaryWeight: 20,
      wait: { for: 'manual', by: 'ann', reason: 'checking dashboards', since: expect.any(String), resume: { for: 'bake', until: baking.wait.until } },
    });
    expect(res.body.events.at(-1)).toMatchObject({ type: 'MANUALLY_PAUSED', message: expect.stringMatching(/^paused by ann \(ROLLOUT_API_TOKEN\) at 20%: checking dashboards/) });

    // Past the bake's deadline the rollout has not moved.
    await sleepUntil(baking.wait.until, 400);
    const held = (await api('GET', `/rollouts/${id}`)).body;
    expect(held).toMatchObject({ status: 'PAUSED', canaryWeight: 20, currentStep: 1, wait: { for: 'manual' } });
    expect(held.steps[1].status).toBe('RUNNING');

    expect((await api('PUT', '/local/alarms/web-5xx', { state: 'ALARM', reason: '5xx' })).body.rolledBack).toEqual([id]);
    const done = await until(id, 'rolled back', (r) => r.status === 'ROLLED_BACK');
    expect(done.reason).toBe('alarm web-5xx fired: 5xx');
    expect(done.canaryWeight).toBe(0);
    expect((await api('PUT', '/local/alarms/web-5xx', { state: 'OK' })).status).toBe(200);
  });

  it('resumes where it was: the bake keeps the time it had left, and the rollout SUCCEEDS', async () => {
    await untilFree('web');
    const id = await push('web', 'v3');
    const baking = await until(id, 'baking', (r) => r.wait?.for === 'bake');
    const paused = (await operator('POST', `/rollouts/${id}/pause`, { reason: 'lunch' })).body;
    // A named token is its own `by`.
    expect(paused.wait).toMatchObject({ for: 'manual', by: 'olga@example.com', reason: 'lunch' });
    await sleepUntil(baking.wait.until, 300);

    expectProblem(await api('POST', `/rollouts/${id}/approve`, { by: 'ann' }), 409, /paused by hand by olga@example\.com, not at an approval pause; resume it instead/);
    expectProblem(await api('POST', `/rollouts/${id}/pause`, { by: 'ann' }), 409, /it is PAUSED, and only PROGRESSING rollouts can be/);

    const resumed = await api('POST', `/rollouts/${id}/resume`, { by: 'bob' });
    expect(resumed.status).toBe(200);
    expect(resumed.body.status).toBe('PROGRESSING');
    const event = resumed.body.events.at(-1);
    expect(event).toMatchObject({ type: 'RESUMED', message: expect.stringMatching(/^resumed by bob \(ROLLOUT_API_TOKEN\) after \d+s \(paused by olga@example\.com: lunch\)$/) });
    // The deadline moved on by exactly the time paused: what was left of the bake is still to come.
    const shifted = Date.parse(baking.wait.until) + (Date.parse(event.at) - Date.parse(paused.wait.since));
    expect(resumed.body.wait).toEqual({ for: 'bake', until: new Date(shifted).toISOString() });
    expect(shifted - Date.parse(event.at)).toBeGreaterThan(0);

    const done = await until(id, 'succeeded', (r) => r.status === 'SUCCEEDED');
    expect(Date.parse(done.steps[1].completedAt)).toBeGreaterThanOrEqual(shifted);
    expect(done.events.map((e: any) => e.type)).toEqual(expect.arrayContaining(['MANUALLY_PAUSED', 'RESUMED', 'SUCCEEDED']));
    expectProblem(await api('POST', `/rollouts/${id}/resume`, { by: 'bob' }), 409, /it is SUCCEEDED, and only PAUSED rollouts can be/);
    expectProblem(await api('POST', `/rollouts/${id}/pause`, { by: 'bob' }), 409, /only PROGRESSING rollouts can be/);
  });

  it('refuses resume on an approval pause, and approve still works there', async () => {
    await untilFree('gate');
    const id = await push('gate', 'v2');
    await until(id, 'waiting for approval', (r) => r.status === 'PAUSED');
    expectProblem(await api('POST', `/rollouts/${id}/resume`, { by: 'ann' }), 409, /waits for approval at step 2\/3, not paused by hand; approve it instead/);
    expect((await api('POST', `/rollouts/${id}/approve`, { by: 'ann' })).status).toBe(200);
    await until(id, 'succeeded', (r) => r.status === 'SUCCEEDED');
  });

  it('can be aborted or promoted while paused by hand', async () => {
    await untilFree('web');
    const aborted = await push('web', 'v4');
    await until(aborted, 'at 20%', (r) => r.status === 'PROGRESSING' && r.canaryWeight === 20);
    expect((await api('POST', `/rollouts/${aborted}/pause`, { by: 'ann' })).body.wait).toMatchObject({ for: 'manual', by: 'ann', reason: null });
    expect((await api('POST', `/rollouts/${aborted}/abort`, { by: 'ann', reason: 'enough' })).status).toBe(200);
    await until(aborted, 'rolled back', (r) => r.status === 'ROLLED_BACK');

    await untilFree('web');
    const promoted = await push('web', 'v5');
    await until(promoted, 'baking', (r) => r.wait?.for === 'bake');
    expect((await api('POST', `/rollouts/${promoted}/pause`, { by: 'ann' })).status).toBe(200);
    expect((await api('POST', `/rollouts/${promoted}/promote`, { by: 'pat' })).body).toMatchObject({ status: 'PROGRESSING', promoting: true });
    await until(promoted, 'succeeded', (r) => r.status === 'SUCCEEDED');
  });

  it('refuses a viewer, bad bodies and unknown ids, never with a 5xx', async () => {
    const id = (await api('GET', '/rollouts?limit=1')).body.items[0].id;
    for (const command of ['pause', 'resume']) {
      expectProblem(await viewer('POST', `/rollouts/${id}/${command}`, {}), 403, /viewer; this needs the operator role/);
      expectProblem(await api('POST', `/rollouts/${UNKNOWN_ID}/${command}`, { by: 'x' }), 404);
      expectProblem(await api('POST', `/rollouts/${id}/${command}`, {}), 400, /by: is required/);
      expectProblem(await api('POST', `/rollouts/${id}/${command}`, { by: 'x', extra: 1 }), 400);
      expectProblem(await api('POST', `/rollouts/${id}/${command}`, '{"by":', { 'content-type': 'application/json' }), 400);
    }
    const bad = await api('POST', `/rollouts/${id}/pause`, { by: 'x', reason: 5 });
    expectProblem(bad, 400, /invalid pause request: reason:/);
    expect(bad.body.errors).toEqual([expect.stringMatching(/^reason: /)]);
    expect((await api('POST', `/rollouts/${id}/pause`, { by: ' ' })).body.errors).toEqual([expect.stringMatching(/^by: is required/)]);
    expect((await api('POST', `/rollouts/${id}/resume`, { by: 'x', reason: 'no reason field here' })).body.errors).toEqual([expect.stringMatching(/reason/)]);
  });
});
