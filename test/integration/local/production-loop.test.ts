/**
 * Local mode runs the production loop: the state machine `cdk synth` produces, in the Step Functions
 * stand-in, reached through its AWS wire endpoint like any SDK would. These cases are the ones the AWS
 * loop used to get wrong: a clock that stops (StopExecution, the history limit), a queued rollout whose
 * first execution already ended, and deadlines that act through the watchdog.
 */
import { readFileSync } from 'node:fs';
import { DescribeStateMachineCommand, GetExecutionHistoryCommand, ListExecutionsCommand, ListStateMachinesCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { CloudWatchClient, DescribeAlarmsCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../../local/local-stack';
import { silentLogger } from '../../../shared/observability/logger';
import { type ApiClient, apiClient, deliverAndWait, waitFor } from '../../helpers/http';
import { appConfig, digestOf, pushEnvelope, serviceConfig } from '../../helpers/local-config';
import { ScriptedVerifier } from '../../helpers/scripted-verifier';

const config = appConfig([
  // A bake long enough to stop the clock in, and an approval pause with a deadline.
  serviceConfig('web', { steps: [{ setWeight: 20 }, { pause: { duration: 3 } }, { setWeight: 50 }, { pause: {} }, { setWeight: 100 }] }),
  serviceConfig('worker', { steps: [{ setWeight: 50 }, { pause: { timeout: 600 } }, { setWeight: 100 }], policies: { ...serviceConfig('worker').policies, onNewImage: 'queue' } }),
]);

let stack: LocalStack;
let api: ApiClient;
let hook: ApiClient;
let sfn: SFNClient;
const verifier = new ScriptedVerifier();
let nextDigest = 500;
/** The stack's clock runs this far ahead of the real one (the deadline test moves it). */
let aheadMs = 0;

beforeAll(async () => {
  stack = await startLocalStack({
    config,
    port: 0,
    taskStartMs: 15,
    steadyPollMs: 15,
    verifier,
    logger: silentLogger,
    webhookToken: 'hook-token',
    apiToken: 'api-token',
    clock: () => new Date(Date.now() + aheadMs),
    // Sweeps run when a test asks (orchestrator.sweep), as the AWS schedule would, not on a timer.
    watchdogIntervalMs: 3_600_000,
  });
  api = apiClient(stack.url, stack.apiToken);
  hook = apiClient(stack.url, stack.webhookToken);
  const endpoints = (await api('GET', '/local/endpoints')).body as Record<string, string>;
  sfn = new SFNClient({ endpoint: endpoints['stepfunctions'], region: 'us-east-1', credentials: { accessKeyId: 'any', secretAccessKey: 'any' } });
});
afterAll(async () => {
  sfn?.destroy();
  await stack?.stop();
});
afterEach(async () => {
  aheadMs = 0;
  for (const name of ['web', 'worker']) {
    const id = (await api('GET', `/services/${name}`)).body.activeRollout;
    if (id) await api('POST', `/rollouts/${id}/abort`, { by: 'cleanup' });
    await waitFor(`service ${name} to be free`, async () => (await api('GET', `/services/${name}`)).body.activeRollout === null || undefined);
  }
});

async function push(service: string, digest = digestOf(nextDigest++)) {
  const res = await deliverAndWait(hook, api, '/webhooks/registry', pushEnvelope(`team/${service}`, 'v1', digest), { 'content-type': 'application/vnd.docker.distribution.events.v1+json' });
  expect(res.status).toBe(202);
  return { id: res.body.accepted[0].rolloutId as string, digest };
}

const until = (id: string, what: string, check: (r: any) => boolean) =>
  waitFor(`rollout ${id} ${what}`, async () => {
    const r = (await api('GET', `/rollouts/${id}`)).body;
    return check(r) ? r : undefined;
  });

async function running(id: string) {
  const { executions = [] } = await sfn.send(new ListExecutionsCommand({ stateMachineArn: stack.stepFunctions.emulator.stateMachineArn, statusFilter: 'RUNNING' }));
  return executions.filter((e) => e.name === id || e.name?.startsWith(`${id}-`));
}

describe('local mode on the production loop', () => {
  it('serves the synthesized state machine on its AWS endpoint, one running execution per active rollout', async () => {
    const machines = await sfn.send(new ListStateMachinesCommand({}));
    expect(machines.stateMachines).toHaveLength(1);
    const described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: machines.stateMachines![0]!.stateMachineArn }));
    const committed = readFileSync(new URL('../../../local/step-functions-emulator/rollout-state-machine.asl.json', import.meta.url), 'utf8');
    expect(JSON.parse(described.definition!)).toEqual(JSON.parse(committed));

    const { id } = await push('web');
    await until(id, 'to wait for approval', (r) => r.status === 'PAUSED');
    const clocks = await running(id);
    expect(clocks.map((e) => e.name)).toEqual([`${id}-1`]);
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn: clocks[0]!.executionArn }));
    const types = new Set(history.events!.map((e) => e.type));
    for (const type of ['ExecutionStarted', 'TaskStateEntered', 'WaitStateEntered', 'ChoiceStateEntered']) expect(types).toContain(type);
    await api('POST', `/rollouts/${id}/approve`, { by: 'ann' });
    await until(id, 'to succeed', (r) => r.status === 'SUCCEEDED');
    await waitFor('its clock to end', async () => (await running(id)).length === 0 || undefined);
  });

  it('re-drives a rollout whose execution was stopped during a bake, and it finishes as it would have', async () => {
    const { id } = await push('web');
    await until(id, 'to bake', (r) => r.wait?.for === 'bake');
    const [clock] = await running(id);
    await sfn.send(new StopExecutionCommand({ executionArn: clock!.executionArn, cause: 'stopped from outside' }));
    await waitFor('a new clock', async () => (await running(id)).some((e) => e.name === `${id}-2`) || undefined);
    await until(id, 'to wait for approval', (r) => r.status === 'PAUSED');
    await api('POST', `/rollouts/${id}/approve`, { by: 'ann' });
    const done = await until(id, 'to succeed', (r) => r.status === 'SUCCEEDED');
    expect(done.events.filter((e: any) => e.type === 'STEP_COMPLETED')).toHaveLength(4);
  });

  it('re-drives a rollout whose execution was stopped during an approval wait; the approval still ends the wait', async () => {
    const { id } = await push('web');
    await until(id, 'to wait for approval', (r) => r.status === 'PAUSED');
    const [clock] = await running(id);
    await sfn.send(new StopExecutionCommand({ executionArn: clock!.executionArn }));
    await waitFor('a new clock waiting for the approval', async () => {
      const [next] = await running(id);
      if (next?.name !== `${id}-2`) return undefined;
      const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn: next.executionArn, reverseOrder: true, maxResults: 5 }));
      return history.events!.some((e) => e.type === 'TaskSubmitted' || e.type === 'TaskStarted') || undefined;
    });
    await api('POST', `/rollouts/${id}/approve`, { by: 'ann' });
    await until(id, 'to succeed', (r) => r.status === 'SUCCEEDED');
  });

  it('starts a queued rollout whose first execution already ended: its late signature verified while the service was busy', async () => {
    const first = await push('worker');
    await until(first.id, 'to wait for approval', (r) => r.status === 'PAUSED');
    const digest = digestOf(nextDigest++);
    verifier.set(digest, 'missing');
    const late = await push('worker', digest);
    await until(late.id, 'to wait for its signature', (r) => r.status === 'PENDING' && r.wait?.for === 'signature');
    verifier.set(digest, 'verified');
    // The signature push: verified, the service is busy, so it queues; its signature-wait clock ends.
    const sig = await hook('POST', '/webhooks/registry', pushEnvelope('team/worker', `sha256-${digest.slice(7)}.sig`, digestOf(nextDigest++)), { 'content-type': 'application/vnd.docker.distribution.events.v1+json' });
    expect(sig.status).toBe(202);
    await until(late.id, 'to queue', (r) => r.status === 'PENDING' && r.wait?.for === 'lock');
    await api('POST', `/rollouts/${first.id}/approve`, { by: 'ann' });
    await until(first.id, 'to succeed', (r) => r.status === 'SUCCEEDED');
    await until(late.id, 'to wait for approval', (r) => r.status === 'PAUSED');
    await api('POST', `/rollouts/${late.id}/approve`, { by: 'ann' });
    await until(late.id, 'to succeed', (r) => r.status === 'SUCCEEDED');
  });

  it('acts on an approval deadline at the watchdog sweep after it passed (a controlled clock, no wait)', async () => {
    const { id } = await push('worker');
    await until(id, 'to wait for approval', (r) => r.status === 'PAUSED' && r.wait?.until);
    await waitFor('the approval wait to hold its token', async () => (await stack.store.get(id)).taskToken !== null || undefined);
    expect((await stack.orchestrator.sweep()).woken).toEqual([]);
    aheadMs = 601_000;
    expect((await stack.orchestrator.sweep()).woken).toEqual([id]);
    const done = await until(id, 'to roll back', (r) => r.status === 'ROLLED_BACK');
    expect(done.reason).toMatch(/no approval of step 2\/3 within 600s/);
  });
});

describe('the local alarms on the CloudWatch endpoint', () => {
  it('read and set through the real CloudWatch client: ALARM rolls a watching rollout back, an unknown alarm is ResourceNotFound', async () => {
    const endpoints = (await api('GET', '/local/endpoints')).body as Record<string, string>;
    const cw = new CloudWatchClient({ endpoint: endpoints['cloudwatch'], region: 'us-east-1', credentials: { accessKeyId: 'any', secretAccessKey: 'any' } });
    try {
      const { id } = await push('web');
      await until(id, 'to bake', (r) => r.wait?.for === 'bake');
      await cw.send(new SetAlarmStateCommand({ AlarmName: 'web-5xx', StateValue: 'ALARM', StateReason: 'errors above 1%' }));
      await until(id, 'to roll back', (r) => r.status === 'ROLLED_BACK');
      const described = await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['web-5xx'] }));
      expect(described.MetricAlarms).toMatchObject([{ AlarmName: 'web-5xx', StateValue: 'ALARM', StateReason: 'errors above 1%' }]);
      await expect(cw.send(new SetAlarmStateCommand({ AlarmName: 'no-such-alarm', StateValue: 'ALARM', StateReason: 'x' }))).rejects.toMatchObject({ name: 'ResourceNotFound' });
      await cw.send(new SetAlarmStateCommand({ AlarmName: 'web-5xx', StateValue: 'OK', StateReason: 'back to normal' }));
    } finally {
      cw.destroy();
    }
  });
});

describe('an execution that reaches the history limit', () => {
  it('fails as in AWS, and the watchdog gives the rollout a new clock that finishes it', async () => {
    // A history limit this low (a turn of the bake's Wait loop is 9 events) ends each execution after
    // a turn or two, however slowly the machine runs them: with 60, a loaded machine ran the whole
    // 1 s bake in one execution.
    const limited = await startLocalStack({
      config: appConfig([serviceConfig('web', { steps: [{ setWeight: 50 }, { pause: { duration: 1 } }, { setWeight: 100 }] })]),
      port: 0,
      taskStartMs: 15,
      steadyPollMs: 15,
      verifier,
      logger: silentLogger,
      webhookToken: 'hook-token',
      apiToken: 'api-token',
      historyLimit: 20,
    });
    try {
      const limitedApi = apiClient(limited.url, limited.apiToken);
      const res = await apiClient(limited.url, limited.webhookToken)('POST', '/webhooks/registry', pushEnvelope('team/web', 'v1', digestOf(nextDigest++)), { 'content-type': 'application/vnd.docker.distribution.events.v1+json' });
      const id = res.body.accepted[0].rolloutId as string;
      const done = await waitFor(`rollout ${id} to succeed`, async () => {
        const r = (await limitedApi('GET', `/rollouts/${id}`)).body;
        return r.status === 'SUCCEEDED' ? r : undefined;
      });
      expect(done.status).toBe('SUCCEEDED');
      const clocks = [...limited.stepFunctions.emulator.executions.values()].filter((e) => e.name.startsWith(`${id}-`));
      expect(clocks.length).toBeGreaterThan(1);
      expect(clocks.slice(0, -1).every((e) => e.status === 'FAILED')).toBe(true);
    } finally {
      await limited.stop();
    }
  });
});
