import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ClientException,
  ClusterNotFoundException,
  CreateClusterCommand,
  CreateServiceCommand,
  CreateTaskSetCommand,
  DeleteTaskSetCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTaskSetsCommand,
  ECSServiceException,
  InvalidParameterException,
  RegisterTaskDefinitionCommand,
  ServerException,
  ServiceNotFoundException,
  TaskSetNotFoundException,
  UpdateServiceCommand,
  UpdateServicePrimaryTaskSetCommand,
  UpdateTaskSetCommand,
  type ECSClient,
} from '@aws-sdk/client-ecs';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { afterEach, describe, expect, it } from 'vitest';
import { createEcsEmulator } from '../../../local/ecs-emulator';
import { clientFor, T0, useEcsEmulator } from './ecs-fixture';

const ecs = useEcsEmulator();
const NETWORK = { awsvpcConfiguration: { subnets: ['subnet-1'], securityGroups: ['sg-1'] } };
const TASK_SET_ID = /^ecs-svc\/\d{19}$/;

/** A cluster `demo`, a task definition family `web` and an EXTERNAL service `web` with `desiredCount` tasks. */
async function externalService(client: ECSClient, desiredCount = 4): Promise<string> {
  await client.send(new CreateClusterCommand({ clusterName: 'demo' }));
  const { taskDefinition } = await client.send(
    new RegisterTaskDefinitionCommand({
      family: 'web',
      containerDefinitions: [{ name: 'app', image: 'registry.local/web:1', essential: true }],
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      tags: [{ key: 'team', value: 'platform' }],
    }),
  );
  await client.send(
    new CreateServiceCommand({
      cluster: 'demo',
      serviceName: 'web',
      desiredCount,
      deploymentController: { type: 'EXTERNAL' },
      launchType: 'FARGATE',
      networkConfiguration: NETWORK,
    }),
  );
  return taskDefinition!.taskDefinitionArn!;
}

const createTaskSet = (client: ECSClient, taskDefinition: string, scale: number, extra: object = {}) =>
  client.send(
    new CreateTaskSetCommand({
      cluster: 'demo',
      service: 'web',
      taskDefinition,
      launchType: 'FARGATE',
      networkConfiguration: NETWORK,
      scale: { value: scale, unit: 'PERCENT' },
      ...extra,
    }),
  );

const describeTaskSet = async (client: ECSClient, id: string) =>
  (await client.send(new DescribeTaskSetsCommand({ cluster: 'demo', service: 'web', taskSets: [id] }))).taskSets![0]!;

describe('the ECS emulator through the real ECSClient', () => {
  describe('clusters', () => {
    it('creates a cluster once and describes it, reporting missing ones as failures', async () => {
      const { client } = await ecs.start();
      const first = await client.send(new CreateClusterCommand({ clusterName: 'demo' }));
      const again = await client.send(new CreateClusterCommand({ clusterName: 'demo' }));
      expect(first.cluster).toMatchObject({
        clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/demo',
        clusterName: 'demo',
        status: 'ACTIVE',
      });
      expect(again.cluster?.clusterArn).toBe(first.cluster?.clusterArn);
      const described = await client.send(new DescribeClustersCommand({ clusters: ['demo', 'nope'] }));
      expect(described.clusters?.map((c) => c.clusterName)).toEqual(['demo']);
      expect(described.failures).toEqual([{ arn: 'arn:aws:ecs:us-east-1:000000000000:cluster/nope', reason: 'MISSING' }]);
    });
  });

  describe('task definitions', () => {
    it('registers revisions and describes them by family, family:revision and ARN', async () => {
      const { client } = await ecs.start();
      const first = await externalService(client);
      const { taskDefinition: second } = await client.send(
        new RegisterTaskDefinitionCommand({ family: 'web', containerDefinitions: [{ name: 'app', image: 'registry.local/web:2' }] }),
      );
      expect(first).toBe('arn:aws:ecs:us-east-1:000000000000:task-definition/web:1');
      expect(second).toMatchObject({ revision: 2, status: 'ACTIVE', family: 'web' });
      expect(second?.registeredAt).toBeInstanceOf(Date);

      const latest = await client.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web' }));
      const byRevision = await client.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web:1', include: ['TAGS'] }));
      const byArn = await client.send(new DescribeTaskDefinitionCommand({ taskDefinition: first }));
      expect(latest.taskDefinition?.revision).toBe(2);
      expect(byRevision.taskDefinition?.containerDefinitions?.[0]?.image).toBe('registry.local/web:1');
      expect(byRevision.taskDefinition).toMatchObject({ cpu: '256', memory: '512', networkMode: 'awsvpc' });
      expect(byRevision.tags).toEqual([{ key: 'team', value: 'platform' }]);
      expect(byArn.taskDefinition?.taskDefinitionArn).toBe(first);
      expect(byArn.tags).toBeUndefined();
    });

    it('answers ClientException for an unknown task definition or an invalid one', async () => {
      const { client } = await ecs.start();
      await expect(client.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'ghost:3' }))).rejects.toBeInstanceOf(
        ClientException,
      );
      await expect(
        client.send(new RegisterTaskDefinitionCommand({ family: 'web', containerDefinitions: [] })),
      ).rejects.toThrow(/Container list cannot be empty/);
    });
  });

  describe('services', () => {
    it('creates an EXTERNAL service whose description lists its task sets', async () => {
      const { client } = await ecs.start();
      const taskDefinition = await externalService(client);
      const { taskSet } = await createTaskSet(client, taskDefinition, 100);
      const { services, failures } = await client.send(
        new DescribeServicesCommand({ cluster: 'demo', services: ['web', 'ghost'] }),
      );
      expect(services?.[0]).toMatchObject({
        serviceArn: 'arn:aws:ecs:us-east-1:000000000000:service/demo/web',
        serviceName: 'web',
        status: 'ACTIVE',
        desiredCount: 4,
        deploymentController: { type: 'EXTERNAL' },
        launchType: 'FARGATE',
      });
      expect(services?.[0]?.taskSets?.map((s) => s.id)).toEqual([taskSet?.id]);
      expect(failures).toEqual([{ arn: 'arn:aws:ecs:us-east-1:000000000000:service/demo/ghost', reason: 'MISSING' }]);
    });

    it('refuses a second service of the same name and a service in a missing cluster', async () => {
      const { client } = await ecs.start();
      await externalService(client);
      const again = new CreateServiceCommand({ cluster: 'demo', serviceName: 'web', deploymentController: { type: 'EXTERNAL' } });
      await expect(client.send(again)).rejects.toBeInstanceOf(InvalidParameterException);
      const elsewhere = new CreateServiceCommand({ cluster: 'nope', serviceName: 'web', deploymentController: { type: 'EXTERNAL' } });
      await expect(client.send(elsewhere)).rejects.toBeInstanceOf(ClusterNotFoundException);
      const update = new UpdateServiceCommand({ cluster: 'demo', service: 'ghost', desiredCount: 1 });
      await expect(client.send(update)).rejects.toBeInstanceOf(ServiceNotFoundException);
    });

    it('recomputes every task set when the desired count changes', async () => {
      const { client } = await ecs.start();
      const taskDefinition = await externalService(client, 4);
      const { taskSet } = await createTaskSet(client, taskDefinition, 30);
      expect(taskSet?.computedDesiredCount).toBe(2); // ceil(4 * 0.3)
      await client.send(new UpdateServiceCommand({ cluster: 'demo', service: 'web', desiredCount: 10 }));
      expect((await describeTaskSet(client, taskSet!.id!)).computedDesiredCount).toBe(3);
    });
  });

  describe('task sets', () => {
    it('creates a task set with ECS-shaped ids, ARNs, scale and externalId', async () => {
      const { client } = await ecs.start();
      const taskDefinition = await externalService(client);
      const { taskSet } = await createTaskSet(client, taskDefinition, 50, { externalId: 'rollout-1' });
      expect(taskSet?.id).toMatch(TASK_SET_ID);
      expect(taskSet?.taskSetArn).toBe(`arn:aws:ecs:us-east-1:000000000000:task-set/demo/web/${taskSet?.id}`);
      expect(taskSet).toMatchObject({
        status: 'ACTIVE',
        externalId: 'rollout-1',
        taskDefinition,
        scale: { value: 50, unit: 'PERCENT' },
        computedDesiredCount: 2,
        runningCount: 0,
        pendingCount: 2,
        stabilityStatus: 'STABILIZING',
        launchType: 'FARGATE',
        networkConfiguration: NETWORK,
      });
      expect(taskSet?.createdAt).toEqual(new Date(T0));
    });

    it('starts tasks one per taskStartMs as the clock advances, then reports STEADY_STATE', async () => {
      const { client, advance } = await ecs.start({ taskStartMs: 1000 });
      const taskDefinition = await externalService(client, 3);
      const { taskSet } = await createTaskSet(client, taskDefinition, 100);
      const id = taskSet!.id!;
      advance(999);
      expect(await describeTaskSet(client, id)).toMatchObject({ runningCount: 0, pendingCount: 3, stabilityStatus: 'STABILIZING' });
      advance(1);
      expect(await describeTaskSet(client, id)).toMatchObject({ runningCount: 1, pendingCount: 2 });
      advance(5000);
      const steady = await describeTaskSet(client, id);
      expect(steady).toMatchObject({ runningCount: 3, pendingCount: 0, stabilityStatus: 'STEADY_STATE' });
      expect(steady.stabilityStatusAt).toEqual(new Date(T0 + 3000));

      // Scaling down is quick; scaling up again takes time again.
      await client.send(new UpdateTaskSetCommand({ cluster: 'demo', service: 'web', taskSet: id, scale: { value: 0, unit: 'PERCENT' } }));
      expect(await describeTaskSet(client, id)).toMatchObject({ runningCount: 0, stabilityStatus: 'STEADY_STATE' });
      await client.send(new UpdateTaskSetCommand({ cluster: 'demo', service: 'web', taskSet: id, scale: { value: 50, unit: 'PERCENT' } }));
      expect(await describeTaskSet(client, id)).toMatchObject({ computedDesiredCount: 2, runningCount: 0, stabilityStatus: 'STABILIZING' });
    });

    it('moves PRIMARY to the named task set and leaves the old one ACTIVE', async () => {
      const { client } = await ecs.start();
      const taskDefinition = await externalService(client);
      const { taskSet: blue } = await createTaskSet(client, taskDefinition, 100);
      const { taskSet: green } = await createTaskSet(client, taskDefinition, 0);
      const primary = (id: string) => new UpdateServicePrimaryTaskSetCommand({ cluster: 'demo', service: 'web', primaryTaskSet: id });
      expect((await client.send(primary(blue!.id!))).taskSet?.status).toBe('PRIMARY');
      expect((await client.send(primary(green!.taskSetArn!))).taskSet?.status).toBe('PRIMARY');
      expect((await describeTaskSet(client, blue!.id!)).status).toBe('ACTIVE');
      const { services } = await client.send(new DescribeServicesCommand({ cluster: 'demo', services: ['web'] }));
      expect(services?.[0]?.taskDefinition).toBe(taskDefinition);
    });

    it('deletes a task set only with force while it has tasks, and never the PRIMARY one', async () => {
      const { client } = await ecs.start();
      const taskDefinition = await externalService(client);
      const { taskSet: blue } = await createTaskSet(client, taskDefinition, 100);
      const { taskSet: green } = await createTaskSet(client, taskDefinition, 50);
      await client.send(new UpdateServicePrimaryTaskSetCommand({ cluster: 'demo', service: 'web', primaryTaskSet: blue!.id }));
      const remove = (id: string, force?: boolean) => new DeleteTaskSetCommand({ cluster: 'demo', service: 'web', taskSet: id, force });
      await expect(client.send(remove(blue!.id!, true))).rejects.toThrow(/primary task set cannot be deleted/);
      await expect(client.send(remove(green!.id!))).rejects.toBeInstanceOf(InvalidParameterException);
      expect((await client.send(remove(green!.id!, true))).taskSet?.status).toBe('DRAINING');

      const { services } = await client.send(new DescribeServicesCommand({ cluster: 'demo', services: ['web'] }));
      expect(services?.[0]?.taskSets?.map((s) => s.id)).toEqual([blue!.id]);
      const described = await client.send(new DescribeTaskSetsCommand({ cluster: 'demo', service: 'web', taskSets: [green!.id!] }));
      expect(described).toMatchObject({ taskSets: [], failures: [{ arn: green!.id, reason: 'MISSING' }] });
      await expect(client.send(remove(green!.id!, true))).rejects.toBeInstanceOf(TaskSetNotFoundException);
      const update = new UpdateTaskSetCommand({ cluster: 'demo', service: 'web', taskSet: green!.id, scale: { value: 1, unit: 'PERCENT' } });
      await expect(client.send(update)).rejects.toBeInstanceOf(TaskSetNotFoundException);
    });

    it('keeps a deleted task set DRAINING while its tasks stop', async () => {
      const { client, advance } = await ecs.start({ taskStartMs: 0, taskStopMs: 500 });
      const taskDefinition = await externalService(client, 2);
      const { taskSet } = await createTaskSet(client, taskDefinition, 100);
      await client.send(new DeleteTaskSetCommand({ cluster: 'demo', service: 'web', taskSet: taskSet!.id, force: true }));
      advance(500);
      expect(await describeTaskSet(client, taskSet!.id!)).toMatchObject({ status: 'DRAINING', runningCount: 1 });
      advance(500);
      const { services } = await client.send(new DescribeServicesCommand({ cluster: 'demo', services: ['web'] }));
      expect(services?.[0]?.taskSets).toEqual([]);
    });

    it('answers a repeated clientToken with the task set it created, and refuses it for another request', async () => {
      const { client, emulator } = await ecs.start();
      const taskDefinition = await externalService(client);
      const first = await createTaskSet(client, taskDefinition, 0, { clientToken: 'token-1', externalId: 'r1' });
      const again = await createTaskSet(client, taskDefinition, 0, { clientToken: 'token-1', externalId: 'r1' });
      expect(again.taskSet?.id).toBe(first.taskSet?.id);
      expect(emulator.describe('demo', 'web')?.taskSets).toHaveLength(1);
      await expect(createTaskSet(client, taskDefinition, 0, { clientToken: 'token-1', externalId: 'r2' })).rejects.toBeInstanceOf(
        InvalidParameterException,
      );
    });

    it('refuses a sixth task set with InvalidParameterException, DRAINING ones counted until they have drained', async () => {
      const { client, emulator, advance } = await ecs.start({ taskStartMs: 0, taskStopMs: 1000 });
      const taskDefinition = await externalService(client, 2);
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await createTaskSet(client, taskDefinition, 20)).taskSet!.id!);
      const sixth = createTaskSet(client, taskDefinition, 0);
      await expect(sixth).rejects.toBeInstanceOf(InvalidParameterException);
      await expect(createTaskSet(client, taskDefinition, 0)).rejects.toThrow(
        'The service web already has 5 task sets (0 DRAINING), the maximum of 5 task sets per service.',
      );
      await client.send(new DeleteTaskSetCommand({ cluster: 'demo', service: 'web', taskSet: ids[0], force: true }));
      await expect(createTaskSet(client, taskDefinition, 0)).rejects.toThrow(/5 task sets \(1 DRAINING\)/);
      advance(1000);
      expect((await createTaskSet(client, taskDefinition, 0)).taskSet?.status).toBe('ACTIVE');
      expect(emulator.describe('demo', 'web')?.taskSets).toHaveLength(5);
      expect(emulator.callsTo('CreateTaskSet').filter((call) => call.error === 'InvalidParameterException')).toHaveLength(3);
    });

    it('answers a repeated clientToken at the limit with the set it created', async () => {
      const { client } = await ecs.start();
      const taskDefinition = await externalService(client);
      for (let i = 0; i < 4; i++) await createTaskSet(client, taskDefinition, 0);
      const fifth = await createTaskSet(client, taskDefinition, 0, { clientToken: 'token-5' });
      const again = await createTaskSet(client, taskDefinition, 0, { clientToken: 'token-5' });
      expect(again.taskSet?.id).toBe(fifth.taskSet?.id);
    });

    it('lags describes behind a new task set when eventual consistency is injected; writes see it at once', async () => {
      const { client, emulator, advance } = await ecs.start();
      const taskDefinition = await externalService(client);
      emulator.faults.lagDescribes(2000);
      const { taskSet } = await createTaskSet(client, taskDefinition, 0, { externalId: 'r1' });
      const listed = async () =>
        (await client.send(new DescribeServicesCommand({ cluster: 'demo', services: ['web'] }))).services![0]!.taskSets!.map((s) => s.id);
      expect(await listed()).toEqual([]);
      const byId = await client.send(new DescribeTaskSetsCommand({ cluster: 'demo', service: 'web', taskSets: [taskSet!.id!] }));
      expect(byId).toMatchObject({ taskSets: [], failures: [{ arn: taskSet!.id, reason: 'MISSING' }] });
      const update = new UpdateTaskSetCommand({ cluster: 'demo', service: 'web', taskSet: taskSet!.id, scale: { value: 50, unit: 'PERCENT' } });
      expect((await client.send(update)).taskSet?.scale?.value).toBe(50);
      advance(1999);
      expect(await listed()).toEqual([]);
      advance(1);
      expect(await listed()).toEqual([taskSet!.id]);
      emulator.faults.clear();
      await createTaskSet(client, taskDefinition, 0);
      expect(await listed()).toHaveLength(2);
    });

    it('refuses task sets for services without the EXTERNAL controller and awsvpc task sets without networking', async () => {
      const { client } = await ecs.start();
      const taskDefinition = await externalService(client);
      await client.send(new CreateServiceCommand({ cluster: 'demo', serviceName: 'classic', taskDefinition, desiredCount: 1 }));
      const classic = new CreateTaskSetCommand({ cluster: 'demo', service: 'classic', taskDefinition, networkConfiguration: NETWORK });
      await expect(client.send(classic)).rejects.toThrow(/EXTERNAL deployment controller/);
      const bare = new CreateTaskSetCommand({ cluster: 'demo', service: 'web', taskDefinition });
      await expect(client.send(bare)).rejects.toThrow(/Network Configuration must be provided/);
    });
  });

  describe('the wire protocol', () => {
    it('answers errors with __type, message and x-amzn-errortype, as the SDK reads them', async () => {
      const { endpoint } = await ecs.start();
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: { 'x-amz-target': 'AmazonEC2ContainerServiceV20141113.DescribeServices', 'content-type': 'application/x-amz-json-1.1' },
        body: JSON.stringify({ cluster: 'nope', services: ['web'] }),
      });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.1');
      expect(response.headers.get('x-amzn-errortype')).toBe('ClusterNotFoundException');
      expect(await response.json()).toEqual({ __type: 'ClusterNotFoundException', message: 'Cluster not found.' });
    });

    it('refuses unknown operations and malformed bodies', async () => {
      const { endpoint } = await ecs.start();
      const post = (target: string, body: string) =>
        fetch(endpoint, { method: 'POST', headers: { 'x-amz-target': target }, body }).then(async (r) => [r.status, await r.json()]);
      expect(await post('AmazonEC2ContainerServiceV20141113.RunTask', '{}')).toEqual([
        400,
        { __type: 'UnknownOperationException', message: 'Unknown operation RunTask.' },
      ]);
      expect((await post('AmazonEC2ContainerServiceV20141113.DescribeClusters', '{nope'))[1]).toMatchObject({
        __type: 'SerializationException',
      });
    });

    it('surfaces server faults as the SDK exception class with a server fault', async () => {
      const { client, emulator } = await ecs.start();
      emulator.faults.fail('DescribeClusters', { error: 'ServerException' });
      const error = await client.send(new DescribeClustersCommand({})).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServerException);
      expect(error).toMatchObject({ $fault: 'server', $metadata: { httpStatusCode: 500 } });
    });
  });

  describe('fault injection', () => {
    it('throttles the next calls of one operation, which the SDK retries', async () => {
      const { endpoint, emulator } = await ecs.start();
      const retrying = clientFor(endpoint, { maxAttempts: undefined, retryStrategy: new ConfiguredRetryStrategy(3, () => 0) });
      const strict = clientFor(endpoint);
      emulator.faults.fail('CreateCluster', { error: 'ThrottlingException', message: 'Rate exceeded', times: 2 });
      const throttled = await strict.send(new CreateClusterCommand({ clusterName: 'demo' })).catch((e: unknown) => e);
      expect(throttled).toBeInstanceOf(ECSServiceException);
      expect(throttled).toMatchObject({ name: 'ThrottlingException', message: 'Rate exceeded', $fault: 'client' });
      await retrying.send(new CreateClusterCommand({ clusterName: 'demo' }));
      expect(emulator.callsTo('CreateCluster').map((call) => call.error ?? 'ok')).toEqual(['ThrottlingException', 'ThrottlingException', 'ok']);
      retrying.destroy();
      strict.destroy();
    });

    it('can apply a call and still answer an error, as when the response is lost', async () => {
      const { client, emulator } = await ecs.start();
      emulator.faults.fail('CreateCluster', { error: 'ServerException', afterApplying: true });
      await expect(client.send(new CreateClusterCommand({ clusterName: 'demo' }))).rejects.toBeInstanceOf(ServerException);
      expect((await client.send(new DescribeClustersCommand({ clusters: ['demo'] }))).clusters).toHaveLength(1);
    });

    it('keeps tasks of a failing image pending until launches are allowed again', async () => {
      const { client, emulator, advance } = await ecs.start({ taskStartMs: 1000 });
      const taskDefinition = await externalService(client, 2);
      emulator.faults.failLaunches({ image: 'registry.local/web:1' });
      const { taskSet } = await createTaskSet(client, taskDefinition, 100);
      advance(60_000);
      expect(await describeTaskSet(client, taskSet!.id!)).toMatchObject({ runningCount: 0, pendingCount: 2, stabilityStatus: 'STABILIZING' });
      emulator.faults.allowLaunches();
      advance(2000);
      expect(await describeTaskSet(client, taskSet!.id!)).toMatchObject({ runningCount: 2, stabilityStatus: 'STEADY_STATE' });
    });
  });

  describe('introspection', () => {
    it('logs every call with its operation, input and time', async () => {
      const { client, emulator, advance } = await ecs.start();
      await client.send(new CreateClusterCommand({ clusterName: 'demo' }));
      advance(250);
      await client.send(new DescribeClustersCommand({ clusters: ['demo'] }));
      expect(emulator.calls).toEqual([
        { operation: 'CreateCluster', input: { clusterName: 'demo' }, at: T0 },
        { operation: 'DescribeClusters', input: { clusters: ['demo'] }, at: T0 + 250 },
      ]);
    });

    it('seeds a steady service once and leaves an existing one alone', async () => {
      const { emulator } = await ecs.start();
      const seeded = emulator.seedService({ cluster: 'demo', service: 'web', desiredCount: 3, containerName: 'app', image: 'web:1' });
      expect(seeded).toMatchObject({ desiredCount: 3, runningCount: 3, primaryTaskSetId: expect.stringMatching(TASK_SET_ID) });
      expect(seeded.taskSets[0]).toMatchObject({ status: 'PRIMARY', scale: 100, stabilityStatus: 'STEADY_STATE', images: { app: 'web:1' } });
      const again = emulator.seedService({ cluster: 'demo', service: 'web', desiredCount: 5, image: 'web:2' });
      expect(again).toEqual(seeded);
      expect(emulator.taskDefinitions('web')).toHaveLength(1);
    });
  });

  describe('persistence', () => {
    const dirs: string[] = [];
    afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

    it('finds its task sets again after a restart, with running counts computed from stored times', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'ecs-emulator-'));
      dirs.push(dir);
      const stateFile = join(dir, 'nested', 'ecs.json');
      const before = await ecs.start({ stateFile, taskStartMs: 1000 });
      before.emulator.seedService({ cluster: 'demo', service: 'web', desiredCount: 4, image: 'web:1' });
      const stable = before.emulator.describe('demo', 'web')!.taskSets[0]!;
      const taskDefinition = stable.taskDefinition;
      const { taskSet } = await before.client.send(
        new CreateTaskSetCommand({ cluster: 'demo', service: 'web', taskDefinition, networkConfiguration: NETWORK, scale: { value: 50, unit: 'PERCENT' } }),
      );
      before.advance(1000);

      const after = createEcsEmulator({ stateFile, taskStartMs: 1000, now: () => T0 + 1500 });
      const restored = after.describe('demo', 'web')!;
      expect(restored.taskSets.map((s) => [s.id, s.status, s.runningCount])).toEqual([
        [stable.id, 'PRIMARY', 4],
        [taskSet!.id, 'ACTIVE', 1],
      ]);
      after.invoke('UpdateService', { cluster: 'demo', service: 'web', desiredCount: 2 });
      const stored = JSON.parse(readFileSync(stateFile, 'utf8')) as { services: Record<string, { desiredCount: number }> };
      expect(Object.values(stored.services)[0]?.desiredCount).toBe(2);
      expect(readdirSync(join(dir, 'nested'))).toEqual(['ecs.json']);
    });

    it('forgets a task set that was still draining at the restart once it has drained', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'ecs-emulator-'));
      dirs.push(dir);
      const stateFile = join(dir, 'ecs.json');
      const before = await ecs.start({ stateFile, taskStartMs: 0, taskStopMs: 1000 });
      before.emulator.seedService({ cluster: 'demo', service: 'web', desiredCount: 2, image: 'web:1' });
      const taskDefinition = before.emulator.describe('demo', 'web')!.taskSets[0]!.taskDefinition;
      const { taskSet } = await before.client.send(
        new CreateTaskSetCommand({ cluster: 'demo', service: 'web', taskDefinition, networkConfiguration: NETWORK, scale: { value: 50, unit: 'PERCENT' } }),
      );
      await before.client.send(new DeleteTaskSetCommand({ cluster: 'demo', service: 'web', taskSet: taskSet!.id, force: true }));
      const stored = () => Object.values((JSON.parse(readFileSync(stateFile, 'utf8')) as { taskSets: Record<string, { id: string; status: string }> }).taskSets);
      expect(stored().find((s) => s.id === taskSet!.id)?.status).toBe('DRAINING');

      let now = T0 + 500;
      const after = createEcsEmulator({ stateFile, taskStartMs: 0, taskStopMs: 1000, now: () => now });
      after.invoke('UpdateService', { cluster: 'demo', service: 'web', desiredCount: 2 });
      expect(stored().find((s) => s.id === taskSet!.id)?.status).toBe('DRAINING');
      now = T0 + 1500;
      after.invoke('UpdateService', { cluster: 'demo', service: 'web', desiredCount: 2 });
      expect(stored().map((s) => s.id)).not.toContain(taskSet!.id);
      expect(stored()).toHaveLength(1);
    });
  });
});
