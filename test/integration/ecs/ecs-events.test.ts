/**
 * The emulator's ECS service action events, through the real ECSClient: announced once per
 * transition, never before a describe shows the state, and readable by the parser AWS events go
 * through.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateTaskSetCommand,
  DeleteTaskSetCommand,
  DescribeServicesCommand,
  DescribeTaskSetsCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  UpdateTaskSetCommand,
  type ECSClient,
  type TaskSet,
} from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import { createEcsEmulator, type EcsEmulator, type EcsServiceActionEvent } from '../../../local/ecs-emulator';
import { parseEcsServiceAction } from '../../../shared/webhooks/ecs-event';
import { T0, useEcsEmulator, type EcsFixture } from './ecs-fixture';

const ecs = useEcsEmulator();
const unsubscribers: (() => void)[] = [];
afterEach(() => {
  for (const unsubscribe of unsubscribers.splice(0)) unsubscribe();
});
const NETWORK = { awsvpcConfiguration: { subnets: ['subnet-1'], securityGroups: ['sg-1'] } };
const SAMPLE = JSON.parse(
  readFileSync(join(__dirname, '../../fixtures/webhooks/aws/eventbridge-ecs-service-action-steady-state.json'), 'utf8'),
) as Record<string, unknown> & { detail: Record<string, unknown> };

interface Seen {
  readonly event: EcsServiceActionEvent;
  /** DescribeTaskSets through the client, sent from inside the listener (the clock cannot move before it answers). */
  readonly described: Promise<TaskSet[]>;
}

/** A seeded service `demo/web` (steady PRIMARY at 100%), a listener, and a canary task definition. */
async function setUp(fixture: EcsFixture, desiredCount = 4) {
  const { emulator, client } = fixture;
  emulator.seedService({ cluster: 'demo', service: 'web', desiredCount, image: 'registry.local/web:1' });
  const seen: Seen[] = [];
  const unsubscribe = emulator.onEvent((event) => {
    const described = describeTaskSets(client);
    // Awaited by the tests that look; a test that does not may end before the answer.
    described.catch(() => undefined);
    seen.push({ event, described });
  });
  unsubscribers.push(unsubscribe);
  const { taskDefinition } = await client.send(
    new RegisterTaskDefinitionCommand({
      family: 'web',
      containerDefinitions: [{ name: 'app', image: 'registry.local/web:2', essential: true }],
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
    }),
  );
  const stableId = emulator.describe('demo', 'web')!.taskSets[0]!.id;
  return { seen, unsubscribe, taskDefinition: taskDefinition!.taskDefinitionArn!, stableId };
}

const describeTaskSets = async (client: ECSClient): Promise<TaskSet[]> =>
  (await client.send(new DescribeTaskSetsCommand({ cluster: 'demo', service: 'web' }))).taskSets ?? [];

const createCanary = async (client: ECSClient, taskDefinition: string, scale: number): Promise<string> => {
  const { taskSet } = await client.send(
    new CreateTaskSetCommand({
      cluster: 'demo',
      service: 'web',
      taskDefinition,
      launchType: 'FARGATE',
      networkConfiguration: NETWORK,
      scale: { value: scale, unit: 'PERCENT' },
    }),
  );
  return taskSet!.id!;
};

const scale = (client: ECSClient, id: string, value: number) =>
  client.send(new UpdateTaskSetCommand({ cluster: 'demo', service: 'web', taskSet: id, scale: { value, unit: 'PERCENT' } }));

/** `TASKSET_STEADY_STATE ecs-svc/…` or `SERVICE_STEADY_STATE`, for readable assertions. */
const names = (seen: readonly Seen[]): string[] =>
  seen.map(({ event }) => {
    const taskSetArn = event.resources[1];
    return taskSetArn ? `${event.detail.eventName} ${taskSetArn.slice(taskSetArn.indexOf('ecs-svc/'))}` : event.detail.eventName;
  });

/** Moves the clock and lets the emulator announce what became due. */
const advance = async (fixture: EcsFixture, ms: number): Promise<void> => {
  fixture.advance(ms);
  await fixture.emulator.emitDueEvents();
};

describe('ECS service action events from the emulator', () => {
  it('announces a canary steady once its tasks run, once per transition, as DescribeTaskSets shows it', async () => {
    const fixture = await ecs.start({ taskStartMs: 1000 });
    const { client, emulator } = fixture;
    const { seen, taskDefinition } = await setUp(fixture, 4);

    const canary = await createCanary(client, taskDefinition, 25);
    await advance(fixture, 999);
    expect(seen).toEqual([]);
    await advance(fixture, 1);
    expect(names(seen)).toEqual([`TASKSET_STEADY_STATE ${canary}`, 'SERVICE_STEADY_STATE']);

    seen.length = 0;
    await scale(client, canary, 50);
    await advance(fixture, 999);
    await describeTaskSets(client);
    expect(seen).toEqual([]);
    await advance(fixture, 1);
    expect(names(seen)).toEqual([`TASKSET_STEADY_STATE ${canary}`, 'SERVICE_STEADY_STATE']);

    // At the instant of the event, a describe already shows what it announces.
    const described = await seen[0]!.described;
    expect(described.find((taskSet) => taskSet.id === canary)).toMatchObject({
      runningCount: 2,
      computedDesiredCount: 2,
      stabilityStatus: 'STEADY_STATE',
      stabilityStatusAt: new Date(T0 + 2000),
    });
    expect(described.every((taskSet) => taskSet.stabilityStatus === 'STEADY_STATE')).toBe(true);
    expect(seen[0]!.event.detail.createdAt).toBe(new Date(T0 + 2000).toISOString());

    // Describing, waiting and calling again announce nothing more: the state did not change.
    await describeTaskSets(client);
    await client.send(new DescribeServicesCommand({ cluster: 'demo', services: ['web'] }));
    await advance(fixture, 60_000);
    await scale(client, canary, 50);
    await advance(fixture, 1);
    expect(seen).toHaveLength(2);
    expect(emulator.describe('demo', 'web')!.taskSets).toHaveLength(2);
  });

  it('announces the service steady only once every task set is', async () => {
    const fixture = await ecs.start({ taskStartMs: 1000 });
    const { client } = fixture;
    const { seen, taskDefinition, stableId } = await setUp(fixture, 4);
    const canary = await createCanary(client, taskDefinition, 50);
    await advance(fixture, 2000);
    seen.length = 0;

    // Desired 4 → 8: the canary (50%) needs 2 more tasks, the stable set (100%) 4 more.
    await client.send(new UpdateServiceCommand({ cluster: 'demo', service: 'web', desiredCount: 8 }));
    await advance(fixture, 2000);
    expect(names(seen)).toEqual([`TASKSET_STEADY_STATE ${canary}`]);
    expect((await seen[0]!.described).find((taskSet) => taskSet.id === stableId)?.stabilityStatus).toBe('STABILIZING');
    await advance(fixture, 1000);
    expect(names(seen)).toHaveLength(1);
    await advance(fixture, 1000);
    expect(names(seen)).toEqual([`TASKSET_STEADY_STATE ${canary}`, `TASKSET_STEADY_STATE ${stableId}`, 'SERVICE_STEADY_STATE']);
    const atService = await seen[2]!.described;
    expect(atService.map((taskSet) => [taskSet.runningCount, taskSet.stabilityStatus])).toEqual([
      [8, 'STEADY_STATE'],
      [4, 'STEADY_STATE'],
    ]);
  });

  it('emits events shaped like the published sample, which the AWS event parser reads', async () => {
    const fixture = await ecs.start({ taskStartMs: 1000 });
    const { client, emulator } = fixture;
    const { seen, taskDefinition } = await setUp(fixture, 2);
    const canary = await createCanary(client, taskDefinition, 50);
    await advance(fixture, 1000);
    expect(seen).toHaveLength(2);

    const keys = (value: object) => Object.keys(value).sort();
    for (const { event } of seen) {
      expect(keys(event)).toEqual(keys(SAMPLE));
      expect(keys(event.detail)).toEqual(keys(SAMPLE.detail));
      expect(event).toMatchObject({ version: '0', source: 'aws.ecs', 'detail-type': 'ECS Service Action', account: '000000000000', region: 'us-east-1' });
      expect(event.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(event.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(event.detail.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(event.detail).toMatchObject({ eventType: 'INFO', clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/demo' });
      expect(event.resources[0]).toBe('arn:aws:ecs:us-east-1:000000000000:service/demo/web');
    }

    const [taskSetEvent, serviceEvent] = seen.map(({ event }) => parseEcsServiceAction(event));
    const canaryArn = emulator.describe('demo', 'web')!.taskSets.find((taskSet) => taskSet.id === canary)!.arn;
    expect(taskSetEvent).toEqual({
      event: expect.objectContaining({
        eventName: 'TASKSET_STEADY_STATE',
        region: 'us-east-1',
        account: '000000000000',
        cluster: 'demo',
        service: 'web',
        taskSet: { arn: canaryArn, id: canary },
      }),
    });
    expect(serviceEvent).toEqual({
      event: expect.objectContaining({ eventName: 'SERVICE_STEADY_STATE', cluster: 'demo', service: 'web', taskSet: null }),
    });
  });

  it('announces SERVICE_TASK_START_IMPAIRED once when launches fail, and steady states after they are allowed', async () => {
    const fixture = await ecs.start({ taskStartMs: 1000 });
    const { client, emulator } = fixture;
    const { seen, taskDefinition } = await setUp(fixture, 2);
    emulator.faults.failLaunches({ image: 'registry.local/web:2' });
    const canary = await createCanary(client, taskDefinition, 50);
    await advance(fixture, 999);
    expect(seen).toEqual([]);
    await advance(fixture, 1);
    expect(names(seen)).toEqual(['SERVICE_TASK_START_IMPAIRED']);
    expect(seen[0]!.event.detail).toMatchObject({ eventType: 'WARN', createdAt: new Date(T0 + 1000).toISOString() });
    expect(parseEcsServiceAction(seen[0]!.event)).toMatchObject({ event: { eventName: 'SERVICE_TASK_START_IMPAIRED', service: 'web' } });

    await advance(fixture, 60_000);
    expect(seen).toHaveLength(1);
    emulator.faults.allowLaunches();
    await advance(fixture, 1000);
    expect(names(seen)).toEqual(['SERVICE_TASK_START_IMPAIRED', `TASKSET_STEADY_STATE ${canary}`, 'SERVICE_STEADY_STATE']);
  });

  it('announces the service steady once a force-deleted canary has drained', async () => {
    const fixture = await ecs.start({ taskStartMs: 1000, taskStopMs: 500 });
    const { client } = fixture;
    const { seen, taskDefinition } = await setUp(fixture, 2);
    const canary = await createCanary(client, taskDefinition, 100);
    await advance(fixture, 2000);
    seen.length = 0;

    await client.send(new DeleteTaskSetCommand({ cluster: 'demo', service: 'web', taskSet: canary, force: true }));
    await advance(fixture, 500);
    expect(seen).toEqual([]);
    await advance(fixture, 500);
    expect(names(seen)).toEqual(['SERVICE_STEADY_STATE']);
    expect((await seen[0]!.described).map((taskSet) => taskSet.id)).not.toContain(canary);
  });

  it('announces nothing inside the call that changed the state, and nothing after unsubscribing', async () => {
    const emulator: EcsEmulator = createEcsEmulator({ taskStartMs: 0, now: () => T0 });
    emulator.seedService({ cluster: 'demo', service: 'web', desiredCount: 2, image: 'registry.local/web:1' });
    const events: EcsServiceActionEvent[] = [];
    const unsubscribe = emulator.onEvent((event) => events.push(event));
  unsubscribers.push(unsubscribe);
    const stable = emulator.describe('demo', 'web')!.taskSets[0]!.id;
    await emulator.emitDueEvents();
    expect(events).toEqual([]);

    emulator.invoke('UpdateService', { cluster: 'demo', service: 'web', desiredCount: 3 });
    expect(events).toEqual([]);
    await emulator.emitDueEvents();
    expect(events.map((event) => event.detail.eventName)).toEqual(['TASKSET_STEADY_STATE', 'SERVICE_STEADY_STATE']);
    expect(events[0]!.resources[1]).toContain(stable);

    unsubscribe();
    emulator.invoke('UpdateService', { cluster: 'demo', service: 'web', desiredCount: 4 });
    await emulator.emitDueEvents();
    expect(events).toHaveLength(2);
  });

  it('looks after a call at the service it changed and those still moving, not at every steady service', async () => {
    const fixture = await ecs.start({ taskStartMs: 20, now: Date.now });
    const { emulator, client } = fixture;
    emulator.seedServices(Array.from({ length: 50 }, (_, i) => ({ cluster: 'other', service: `idle-${i}`, desiredCount: 2, image: 'registry.local/idle:1' })));
    const { seen, taskDefinition } = await setUp(fixture, 2);
    const steadyService = new Promise<void>((resolve) => {
      unsubscribers.push(
        emulator.onEvent((event) => {
          if (event.detail.eventName === 'SERVICE_STEADY_STATE') resolve();
        }),
      );
    });
    // A new listener, like a call that names no service, gets a look at every service: let it pass.
    await emulator.emitDueEvents();
    const store = (emulator as unknown as { store: { taskSetsOf: (service: { arn: string }, now: number) => unknown[] } }).store;
    const readFor = new Map<string, number>();
    const taskSetsOf = store.taskSetsOf.bind(store);
    store.taskSetsOf = (service, now) => {
      readFor.set(service.arn, (readFor.get(service.arn) ?? 0) + 1);
      return taskSetsOf(service, now);
    };
    const canary = await createCanary(client, taskDefinition, 100);
    await steadyService;
    expect(names(seen)).toEqual([`TASKSET_STEADY_STATE ${canary}`, 'SERVICE_STEADY_STATE']);
    expect([...readFor.keys()].filter((arn) => arn.includes('/idle-'))).toEqual([]);
    // A look when asked still reads every service.
    await emulator.emitDueEvents();
    expect([...readFor.keys()].filter((arn) => arn.includes('/idle-'))).toHaveLength(50);
  });

  it('announces on its own timer when the clock is the real one', async () => {
    const fixture = await ecs.start({ taskStartMs: 20, now: Date.now });
    const { client } = fixture;
    const { seen, taskDefinition } = await setUp(fixture, 2);
    const steadyService = new Promise<void>((resolve) => {
      unsubscribers.push(
        fixture.emulator.onEvent((event) => {
          if (event.detail.eventName === 'SERVICE_STEADY_STATE') resolve();
        }),
      );
    });
    const canary = await createCanary(client, taskDefinition, 100);
    await steadyService;
    expect(names(seen)).toEqual([`TASKSET_STEADY_STATE ${canary}`, 'SERVICE_STEADY_STATE']);
    expect((await seen[0]!.described).find((taskSet) => taskSet.id === canary)?.stabilityStatus).toBe('STEADY_STATE');
  });
});
