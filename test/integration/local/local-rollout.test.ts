/**
 * Whole rollouts in local mode: the HTTP API, the orchestrator, dynalite and the ECS emulator behind the
 * real SDK clients, driven by the local workflow clock. Only the signature verdict is scripted here.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { jsonLogger, silentLogger } from '../../../shared/observability/logger';
import { type LocalStack, startLocalStack } from '../../../local/local-stack';
import { type ApiClient, apiClient, deliverAndWait, expectProblem, waitFor } from '../../helpers/http';
import { appConfig, digestOf, pushEnvelope, serviceConfig } from '../../helpers/local-config';
import { APPROVED_ROLLOUT_EVENTS } from '../../helpers/scenarios';
import { ScriptedVerifier } from '../../helpers/scripted-verifier';

const config = appConfig([
  serviceConfig('web', { policies: { ...serviceConfig('web').policies, onNewImage: 'queue' } }),
  serviceConfig('worker', { steps: [{ setWeight: 50 }, { setWeight: 100 }], alarms: ['worker-errors'] }),
  // Default policy (supersede), with a pause so that a rollout is reliably mid-way when a newer push comes.
  serviceConfig('api', { steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 100 }], alarms: ['api-5xx'] }),
]);

let stack: LocalStack;
let api: ApiClient;
let hook: ApiClient;
const verifier = new ScriptedVerifier();
let nextDigest = 100;

const stackOptions = { config, port: 0, taskStartMs: 15, steadyPollMs: 15, verifier, logger: silentLogger, webhookToken: 'hook-token', apiToken: 'api-token' } as const;

beforeAll(async () => {
  stack = await startLocalStack(stackOptions);
  api = apiClient(stack.url, stack.apiToken);
  hook = apiClient(stack.url, stack.webhookToken);
});
afterAll(async () => stack?.stop());

async function push(service: string, tag: string | null = 'v1', digest = digestOf(nextDigest++)) {
  // The delivery's outcome, once its work is done: the answer itself only plans the rollout.
  const res = await deliverAndWait(hook, api, '/webhooks/registry', pushEnvelope(`team/${service}`, tag, digest), { 'content-type': 'application/vnd.docker.distribution.events.v1+json' });
  expect(res.status).toBe(202);
  expect(res.body.accepted.map((a: { rolloutId: string }) => a.rolloutId)).toEqual(res.answer.accepted.map((a: { rolloutId: string }) => a.rolloutId));
  return { res, digest };
}

const untilStatus = (id: string, status: string) =>
  waitFor(`rollout ${id} to be ${status}`, async () => {
    const r = (await api('GET', `/rollouts/${id}`)).body;
    return r.status === status ? r : undefined;
  });

/** Waits until the previous test's rollout let go of the service, so tests do not queue behind each other. */
afterEach(async () => {
  for (const name of Object.keys(await stack.alarms.list())) await stack.alarms.set(name, 'OK', null);
  for (const name of ['web', 'worker', 'api']) {
    await waitFor(`service ${name} to be free`, async () => (await api('GET', `/services/${name}`)).body.activeRollout === null || undefined).catch(async () => {
      const id = (await api('GET', `/services/${name}`)).body.activeRollout;
      if (id) await api('POST', `/rollouts/${id}/abort`, { by: 'cleanup' });
    });
  }
});

describe('a rollout in local mode', () => {
  it('goes setWeight → steady → timed pause → paused for approval → approve → SUCCEEDED, and the new digest becomes stable', async () => {
    const { res, digest } = await push('web', 'v2');
    expect(res.body.accepted).toEqual([{ rolloutId: expect.any(String), service: 'web', status: 'PROGRESSING' }]);
    const id = res.body.accepted[0].rolloutId;

    const paused = await untilStatus(id, 'PAUSED');
    expect(paused.canaryWeight).toBe(50);
    expect(paused.currentStep).toBe(3);
    expect(paused.steps.map((s: any) => s.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED', 'RUNNING', 'PENDING']);
    const midway = stack.ecs.describe('demo', 'web')!;
    const canary = midway.taskSets.find((t: any) => t.externalId === id);
    expect(canary?.scale).toBe(50);

    const approved = await api('POST', `/rollouts/${id}/approve`, { by: 'ann', comment: 'p99 fine' });
    expect(approved.status).toBe(200);
    const done = await untilStatus(id, 'SUCCEEDED');
    expect(done.canaryWeight).toBe(100);
    expect(done.approvals).toEqual([expect.objectContaining({ by: 'ann', comment: 'p99 fine', step: 3 })]);
    expect(done.events.map((e: any) => e.seq)).toEqual(done.events.map((_: unknown, i: number) => i));
    // The same log as the Step Functions run of this scenario (test/integration/step-functions).
    expect(done.events.map((e: any) => e.type)).toEqual(APPROVED_ROLLOUT_EVENTS);
    expect(done.signature).toMatchObject({ key: 'keys/test.pub' });
    expect(done.taskToken).toBeUndefined();

    // The lock is given back right after the SUCCEEDED record is saved: wait for that, not for time.
    const service = await waitFor('the lock to be given back', async () => {
      const body = (await api('GET', '/services/web')).body;
      return body.activeRollout === null ? body : undefined;
    });
    expect(service).toMatchObject({ name: 'web', stable: digest, activeRollout: null });
    const after = stack.ecs.describe('demo', 'web')!;
    expect(after.taskSets).toHaveLength(1);
    expect(after.taskSets[0]).toMatchObject({ status: 'PRIMARY', scale: 100 });
  });

  it('rolls back at once when a watched alarm goes to ALARM, naming the alarm', async () => {
    const { res } = await push('web', 'v3');
    const id = res.body.accepted[0].rolloutId;
    await untilStatus(id, 'PAUSED');
    const alarm = await api('PUT', '/local/alarms/web-5xx', { state: 'ALARM', reason: 'Threshold Crossed: 5xx > 1%' });
    expect(alarm.status).toBe(200);
    expect(alarm.body.rolledBack).toEqual([id]);
    // The rollback began before the alarm request was answered: the stable set is back at full size
    // and primary; the canary goes once the stable set's new tasks run (capacity never dips).
    const r = (await api('GET', `/rollouts/${id}`)).body;
    expect(['ROLLING_BACK', 'ROLLED_BACK']).toContain(r.status);
    expect(r.reason).toBe('alarm web-5xx fired: Threshold Crossed: 5xx > 1%');
    expect(r.canaryWeight).toBe(0);
    expect(stack.ecs.describe('demo', 'web')!.taskSets.find((s) => s.status === 'PRIMARY')).toMatchObject({ scale: 100 });
    expect((await untilStatus(id, 'ROLLED_BACK')).reason).toBe('alarm web-5xx fired: Threshold Crossed: 5xx > 1%');
    const ecs = stack.ecs.describe('demo', 'web')!;
    expect(ecs.taskSets).toHaveLength(1);
    expect(ecs.taskSets[0]).toMatchObject({ status: 'PRIMARY', scale: 100 });
    await api('PUT', '/local/alarms/web-5xx', { state: 'OK' });
  });

  it('rolls back on abort and records who aborted and why', async () => {
    const { res } = await push('worker', 'v2');
    const id = res.body.accepted[0].rolloutId;
    const aborted = await api('POST', `/rollouts/${id}/abort`, { by: 'bob', reason: 'wrong build' });
    expect(aborted.status).toBe(200);
    const r = await untilStatus(id, 'ROLLED_BACK');
    expect(r.reason).toBe('aborted by bob (ROLLOUT_API_TOKEN): wrong build');
    expect(r.events.some((e: any) => e.type === 'ABORTED' && e.message.includes('bob'))).toBe(true);
  });

  it('promotes to 100% on request, skipping the remaining steps', async () => {
    const { res, digest } = await push('web', 'v4');
    const id = res.body.accepted[0].rolloutId;
    await waitFor('first weight', async () => (await api('GET', `/rollouts/${id}`)).body.canaryWeight === 20 || undefined);
    const promoted = await api('POST', `/rollouts/${id}/promote`, { by: 'pat' });
    expect(promoted.status).toBe(200);
    const r = await untilStatus(id, 'SUCCEEDED');
    expect(r.steps.filter((s: any) => s.status === 'SKIPPED').length).toBeGreaterThan(0);
    expect((await api('GET', '/services/web')).body.stable).toBe(digest);
  });

  it('makes one rollout of the same notification delivered three times', async () => {
    const digest = digestOf(nextDigest++);
    const envelope = pushEnvelope('team/worker', 'v9', digest, undefined, 'same-event');
    const answers = await Promise.all([1, 2, 3].map(() => deliverAndWait(hook, api, '/webhooks/registry', envelope, { 'content-type': 'application/json' })));
    // The sender identifies its notification (the event id): a repeat is the first delivery, answered again.
    expect(new Set(answers.map((a) => a.answer.deliveryId)).size).toBe(1);
    const rolloutIds = answers.flatMap((a) => a.body.accepted.map((x: any) => x.rolloutId));
    expect(rolloutIds).toHaveLength(3);
    expect(new Set(rolloutIds).size).toBe(1);
    expect(answers.flatMap((a) => a.body.ignored)).toEqual([]);
    const page = await api('GET', '/rollouts?service=worker&limit=100');
    expect(page.body.items.filter((r: any) => r.image.digest === digest)).toHaveLength(1);
    await untilStatus(rolloutIds[0], 'SUCCEEDED');
  });

  it('queues a push for a busy service as PENDING and starts it when the first ends', async () => {
    const first = await push('web', 'v5');
    const firstId = first.res.body.accepted[0].rolloutId;
    await untilStatus(firstId, 'PAUSED');
    const second = await push('web', 'v6');
    const secondId = second.res.body.accepted[0].rolloutId;
    expect(second.res.body.accepted[0].status).toBe('PENDING');
    const queued = (await api('GET', `/rollouts/${secondId}`)).body;
    expect(queued.wait).toEqual({ for: 'lock', behind: firstId });
    await api('POST', `/rollouts/${firstId}/approve`, { by: 'ann' });
    await untilStatus(firstId, 'SUCCEEDED');
    const started = await untilStatus(secondId, 'PAUSED');
    expect(started.previousDigest).toBe(first.digest);
    await api('POST', `/rollouts/${secondId}/abort`, { by: 'ann' });
    await untilStatus(secondId, 'ROLLED_BACK');
  });

  it('supersedes a running rollout with a newer push (the default policy)', async () => {
    const first = await push('api', 'v20');
    const firstId = first.res.body.accepted[0].rolloutId;
    await untilStatus(firstId, 'PAUSED');
    const second = await push('api', 'v21');
    const secondId = second.res.body.accepted[0].rolloutId;
    const old = await untilStatus(firstId, 'ROLLED_BACK');
    expect(old.reason).toBe(`superseded by rollout ${secondId} (a newer image; onNewImage: supersede)`);
    const paused = await untilStatus(secondId, 'PAUSED');
    expect(paused.previousDigest).not.toBe(first.digest);
    await api('POST', `/rollouts/${secondId}/approve`, { by: 'ann' });
    await untilStatus(secondId, 'SUCCEEDED');
    expect((await api('GET', '/services/api')).body.stable).toBe(second.digest);
  });

  it('rejects an image whose signature is refused, and leaves ECS untouched', async () => {
    const digest = digestOf(nextDigest++);
    verifier.set(digest, 'rejected');
    const before = stack.ecs.calls.length;
    const { res } = await push('worker', 'v7', digest);
    expect(res.body.accepted[0].status).toBe('REJECTED');
    const r = (await api('GET', `/rollouts/${res.body.accepted[0].rolloutId}`)).body;
    expect(r.reason).toMatch(/not signed by any configured key/);
    const mutations = stack.ecs.calls.slice(before).filter((c: any) => !c.operation.startsWith('Describe'));
    expect(mutations).toEqual([]);
  });

  it('waits PENDING for a missing signature and resumes when it appears (a .sig push, or its own look)', async () => {
    const digest = digestOf(nextDigest++);
    verifier.set(digest, 'missing');
    const { res } = await push('worker', 'v8', digest);
    const id = res.body.accepted[0].rolloutId;
    expect(res.body.accepted[0].status).toBe('PENDING');
    verifier.set(digest, 'verified');
    const sigTag = `${digest.replace(':', '-')}.sig`;
    const sig = await deliverAndWait(hook, api, '/webhooks/registry', pushEnvelope('team/worker', sigTag, digestOf(nextDigest++)), { 'content-type': 'application/json' });
    // The workflow also looks again on its own until verify.waitFor: whichever comes first starts it.
    const answered = [...sig.body.accepted, ...sig.body.ignored];
    expect(answered).toEqual([expect.objectContaining({ rolloutId: id, service: 'worker' })]);
    await untilStatus(id, 'SUCCEEDED');
  });

  it('ignores pulls, blobs, unknown repositories and the digest that is already stable, each with a reason', async () => {
    const stable = (await api('GET', '/services/worker')).body.stable;
    const envelope = {
      events: [
        { action: 'pull', target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digestOf(1), repository: 'team/worker', tag: 'v1' }, request: { host: '127.0.0.1:5000' } },
        { action: 'push', target: { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: digestOf(2), repository: 'team/worker' }, request: { host: '127.0.0.1:5000' } },
        { action: 'push', target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digestOf(3), repository: 'team/unknown', tag: 'v1' }, request: { host: '127.0.0.1:5000' } },
        { action: 'push', target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'sha256:0123456789abcdef0', repository: 'team/worker', tag: 'v1' }, request: { host: '127.0.0.1:5000' } },
        { action: 'push', target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: stable, repository: 'team/worker', tag: 'v1' }, request: { host: '127.0.0.1:5000' } },
      ],
    };
    const res = await deliverAndWait(hook, api, '/webhooks/registry', envelope, { 'content-type': 'application/json' });
    expect(res.status).toBe(202);
    expect(res.body.accepted).toEqual([]);
    expect(res.body.ignored.map((i: any) => i.reason)).toEqual([
      expect.stringMatching(/pull is not a push/),
      expect.stringMatching(/is a blob/),
      expect.stringMatching(/events\[3\]\.target\.digest: "sha256:0123456789abcdef0" is not sha256/),
      expect.stringMatching(/no configured service deploys 127.0.0.1:5000\/team\/unknown/),
      expect.stringMatching(/already the stable image of worker/),
    ]);
  });
});

describe('bad input changes nothing', () => {
  async function rolloutCount() {
    return (await api('GET', '/rollouts?limit=100')).body.items.length;
  }

  it('answers each bad request with a 4xx problem+json and writes nothing', async () => {
    const before = await rolloutCount();
    const good = pushEnvelope('team/web', 'v1', digestOf(999));
    expectProblem(await apiClient(stack.url, 'wrong')('POST', '/webhooks/registry', good), 401, /invalid webhook token/);
    expectProblem(await apiClient(stack.url, '')('POST', '/webhooks/registry', good, { authorization: '' }), 401, /missing Authorization/);
    expectProblem(await hook('POST', '/webhooks/registry', '{"events": [', { 'content-type': 'application/json' }), 400, /not valid JSON/);
    expectProblem(await hook('POST', '/webhooks/registry', good, { 'content-type': 'text/plain' }), 415, /text\/plain/);
    expectProblem(await hook('POST', '/webhooks/registry', { events: [{ action: 'push' }] }, { 'content-type': 'application/json' }), 400, /events\[0\]\.target/);
    // In process: over a socket the server answers 413 and closes before the client has finished sending.
    const big = await stack.app.request('/webhooks/registry', {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.webhookToken}`, 'content-type': 'application/json' },
      body: 'x'.repeat(1024 * 1024 + 10),
    });
    expectProblem({ status: big.status, body: await big.json(), contentType: big.headers.get('content-type') }, 413, /larger than 1048576 bytes/);
    expectProblem(await api('GET', '/rollouts/does-not-exist'), 404, /does not exist/);
    expectProblem(await api('POST', '/rollouts/does-not-exist/approve', { by: 'a' }), 404);
    expectProblem(await api('GET', '/rollouts?status=DONE'), 400, /status/);
    expectProblem(await api('GET', '/rollouts?limit=1000'), 400, /limit: must be between 1 and 100/);
    expectProblem(await api('GET', '/rollouts?cursor=%%%garbage'), 400);
    expectProblem(await api('GET', '/rollouts?service=nope'), 404, /not configured/);
    expectProblem(await api('GET', '/services/nope'), 404);
    expectProblem(await apiClient(stack.url, stack.webhookToken)('GET', '/rollouts'), 401);
    expectProblem(await api('PUT', '/local/alarms/x', { state: 'RED' }), 400, /state/);
    expectProblem(await api('GET', '/no/such/route'), 404);
    expect(await rolloutCount()).toBe(before);
  });

  it('refuses to approve a finished rollout with 409 and leaves the record unchanged', async () => {
    const { res } = await push('worker', 'v10');
    const id = res.body.accepted[0].rolloutId;
    const done = await untilStatus(id, 'SUCCEEDED');
    expectProblem(await api('POST', `/rollouts/${id}/approve`, { by: 'ann' }), 409, /only PAUSED/);
    expectProblem(await api('POST', `/rollouts/${id}/approve`, { comment: 'no by' }), 400, /by: /);
    expectProblem(await api('POST', `/rollouts/${id}/approve`, { by: 'ann', extra: 1 }), 400);
    const after = (await api('GET', `/rollouts/${id}`)).body;
    expect(after.version).toBe(done.version);
  });
});

describe('restarts', () => {
  it('hand the executions a previous process left running to the watchdog, as AWS sends their status change', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'rollout-restart-'));
    try {
      let local = await startLocalStack({ ...stackOptions, dataDir });
      const stateMachineArn = local.stepFunctions.emulator.stateMachineArn;
      await local.stop();
      // An execution that was running when the process died: the stand-in closes it ABORTED as it loads
      // its state, before the orchestrator exists. The watchdog must still hear of it (it may owe a
      // rollback: docs/architecture.md, "The watchdog").
      const name = `${'z'.repeat(26)}-1`;
      const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
      writeFileSync(join(dataDir, 'step-functions.json'), JSON.stringify({ version: 1, executions: [{ name, executionArn, stateMachineArn, status: 'RUNNING', startDate: Date.now() - 1000, input: '{}' }] }));
      const lines: string[] = [];
      local = await startLocalStack({ ...stackOptions, dataDir, logger: jsonLogger((line) => lines.push(line), 'info') });
      await waitFor('the watchdog to hear of the aborted execution', async () => lines.find((l) => l.includes('an execution ended for no known rollout') && l.includes(name)));
      await local.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('resume a rollout from the stored state: no step repeated, none lost', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'rollout-restart-'));
    const options = {
      ...stackOptions,
      config: appConfig([serviceConfig('web', { steps: [{ setWeight: 30 }, { pause: { duration: 2 } }, { setWeight: 60 }, { pause: {} }, { setWeight: 100 }] })]),
      dataDir,
    };
    try {
      let local = await startLocalStack(options);
      const localHook = apiClient(local.url, local.webhookToken);
      const accepted = await localHook('POST', '/webhooks/registry', pushEnvelope('team/web', 'v1', digestOf(4242)), { 'content-type': 'application/json' });
      const id = accepted.body.accepted[0].rolloutId;
      await waitFor('the bake to start', async () => (await local.orchestrator.get(id)).wait?.for === 'bake' || undefined);
      await local.stop();

      local = await startLocalStack(options);
      expect(local.resumed).toEqual([id]);
      const localApi = apiClient(local.url, local.apiToken);
      await waitFor('pause', async () => (await localApi('GET', `/rollouts/${id}`)).body.status === 'PAUSED' || undefined);
      await local.stop();

      local = await startLocalStack(options);
      const api2 = apiClient(local.url, local.apiToken);
      expect((await api2('POST', `/rollouts/${id}/approve`, { by: 'ann' })).status).toBe(200);
      const done = await waitFor('success', async () => {
        const r = (await api2('GET', `/rollouts/${id}`)).body;
        return r.status === 'SUCCEEDED' ? r : undefined;
      });
      const types = done.events.map((e: any) => e.type);
      expect(types.filter((t: string) => t === 'WEIGHT_SET')).toHaveLength(4); // 30, 60, 100 and the promotion's 100
      expect(types.filter((t: string) => t === 'STEP_COMPLETED')).toHaveLength(4);
      expect(types.filter((t: string) => t === 'CANARY_CREATED')).toHaveLength(1);
      expect(done.events.map((e: any) => e.seq)).toEqual(done.events.map((_: unknown, i: number) => i));
      expect(local.ecs.calls.filter((c: any) => c.operation === 'CreateTaskSet')).toHaveLength(0);
      await local.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
