import {
  CreateServiceCommand,
  CreateTaskSetCommand,
  ECSServiceException,
  RegisterTaskDefinitionCommand,
  UpdateServicePrimaryTaskSetCommand,
} from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { EcsError } from '../../../shared/errors';
import { EcsTaskSetDeployer } from '../../../shared/adapters/ecs';
import type { EcsTarget } from '../../../shared/ports';
import { useEcsEmulator, type EcsFixture } from './ecs-fixture';

const ecs = useEcsEmulator();
const STABLE_DIGEST = `sha256:${'a'.repeat(64)}`;
const CANARY_DIGEST = `sha256:${'b'.repeat(64)}`;
const STABLE_IMAGE = `registry.local/team/web@${STABLE_DIGEST}`;
const CANARY_IMAGE = `registry.local/team/web@${CANARY_DIGEST}`;
const WEB: EcsTarget = { cluster: 'demo', service: 'web' };

interface Rig extends EcsFixture {
  readonly deployer: EcsTaskSetDeployer;
  readonly stableId: string;
}

/** A steady service `demo/web` of 4 tasks on the stable image, and a deployer over the real client. */
async function rig(): Promise<Rig> {
  const fixture = await ecs.start({ taskStartMs: 1000 });
  const seeded = fixture.emulator.seedService({ cluster: 'demo', service: 'web', desiredCount: 4, image: STABLE_IMAGE });
  fixture.emulator.clearCalls();
  return { ...fixture, deployer: new EcsTaskSetDeployer({ client: fixture.client }), stableId: seeded.primaryTaskSetId! };
}

const scaleCalls = (fixture: EcsFixture) =>
  fixture.emulator
    .callsTo('UpdateTaskSet')
    .map((call) => {
      const input = call.input as { taskSet: string; scale: { value: number } };
      return [input.taskSet, input.scale.value];
    });

const mutations = (fixture: EcsFixture) =>
  fixture.emulator.calls.filter((call) => !call.operation.startsWith('Describe')).map((call) => call.operation);

describe('EcsTaskSetDeployer against the ECS emulator', () => {
  it('describes the service: the PRIMARY task set, its image and digest, and the desired count', async () => {
    const { deployer, stableId } = await rig();
    const view = await deployer.describe(WEB);
    expect(view.desiredCount).toBe(4);
    expect(view.primary).toEqual({
      id: stableId,
      status: 'PRIMARY',
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/web:1',
      image: STABLE_IMAGE,
      digest: STABLE_DIGEST,
      scale: 100,
      runningCount: 4,
      desiredCount: 4,
      pendingCount: 0,
      steady: true,
      externalId: null,
      targetGroupArn: null,
    });
    expect(view.taskSets).toEqual([view.primary]);
  });

  it('runs a full canary: create, shift 20 then 50, wait for steady state, promote', async () => {
    const fixture = await rig();
    const { deployer, emulator, stableId, advance } = fixture;

    const canary = await deployer.createCanary(WEB, { rolloutId: 'r-1', image: CANARY_IMAGE, stableTaskSetId: stableId });
    expect(canary.taskDefinitionArn).toBe('arn:aws:ecs:us-east-1:000000000000:task-definition/web:2');
    const created = emulator.describe('demo', 'web')!.taskSets.find((s) => s.id === canary.taskSetId);
    expect(created).toMatchObject({ status: 'ACTIVE', externalId: 'r-1', scale: 0, images: { app: CANARY_IMAGE } });
    const [stableRevision, canaryRevision] = emulator.taskDefinitions('web');
    const withoutIdentity = ({ arn: _a, revision: _r, ...rest }: Record<string, unknown>) => rest;
    expect(withoutIdentity(canaryRevision!)).toEqual({
      ...withoutIdentity(stableRevision!),
      containerDefinitions: [{ ...stableRevision!.containerDefinitions![0], image: CANARY_IMAGE }],
    });
    const createInput = emulator.callsTo('CreateTaskSet')[0]!.input;
    expect(createInput).toMatchObject({ launchType: 'FARGATE', networkConfiguration: expect.any(Object), clientToken: expect.any(String) });

    const both = [stableId, canary.taskSetId];
    await deployer.setWeights(WEB, { stableTaskSetId: stableId, canaryTaskSetId: canary.taskSetId, canaryWeight: 20 });
    expect(scaleCalls(fixture)).toEqual([
      [canary.taskSetId, 20],
      [stableId, 80],
    ]);
    expect(await allSteady(deployer, both)).toBe(false);
    advance(1000);
    expect(await allSteady(deployer, both)).toBe(true);

    emulator.clearCalls();
    await deployer.setWeights(WEB, { stableTaskSetId: stableId, canaryTaskSetId: canary.taskSetId, canaryWeight: 50 });
    expect(scaleCalls(fixture)).toEqual([
      [canary.taskSetId, 50],
      [stableId, 50],
    ]);
    expect(await allSteady(deployer, both)).toBe(false);
    advance(1000);
    expect(await allSteady(deployer, both)).toBe(true);

    emulator.clearCalls();
    await deployer.promote(WEB, { stableTaskSetId: stableId, canaryTaskSetId: canary.taskSetId });
    expect(mutations(fixture)).toEqual(['UpdateTaskSet', 'UpdateServicePrimaryTaskSet', 'DeleteTaskSet']);
    const promoted = await deployer.describe(WEB);
    expect(promoted.taskSets.map((s) => [s.id, s.status, s.scale, s.digest])).toEqual([
      [canary.taskSetId, 'PRIMARY', 100, CANARY_DIGEST],
    ]);
    advance(2000);
    expect(await allSteady(deployer, [canary.taskSetId])).toBe(true);
  });

  it('rolls back from mid-rollout: stable PRIMARY at 100, and steady there before the canary is deleted', async () => {
    const fixture = await rig();
    const { deployer, emulator, stableId } = fixture;
    const canary = await deployer.createCanary(WEB, { rolloutId: 'r-2', image: CANARY_IMAGE, stableTaskSetId: stableId });
    const ids = { stableTaskSetId: stableId, canaryTaskSetId: canary.taskSetId };
    await deployer.setWeights(WEB, { ...ids, canaryWeight: 50 });
    fixture.advance(10_000);
    emulator.clearCalls();

    // 2 of 4 stable tasks run: the canary keeps its 2 until the stable set's 2 new ones have started.
    expect(await deployer.rollback(WEB, ids)).toEqual({
      done: false,
      waitingFor: `the stable task set ${stableId} to be steady at 100% (2 of 4 tasks running) before the canary ${canary.taskSetId} is removed`,
    });
    expect(mutations(fixture)).toEqual(['UpdateTaskSet']);
    expect(scaleCalls(fixture)).toEqual([[stableId, 100]]);
    fixture.advance(1000);
    expect(await deployer.rollback(WEB, ids)).toMatchObject({ done: false, waitingFor: expect.stringContaining('(3 of 4 tasks running)') });
    fixture.advance(1000);
    expect(await deployer.rollback(WEB, ids)).toEqual({ done: true });
    expect(mutations(fixture)).toEqual(['UpdateTaskSet', 'DeleteTaskSet']);
    const view = await deployer.describe(WEB);
    expect(view.taskSets.map((s) => [s.id, s.status, s.scale])).toEqual([[stableId, 'PRIMARY', 100]]);
  });

  it('makes the stable set PRIMARY again when a rollback follows a half-done promotion', async () => {
    const fixture = await rig();
    const { deployer, emulator, stableId } = fixture;
    const canary = await deployer.createCanary(WEB, { rolloutId: 'r-3', image: CANARY_IMAGE, stableTaskSetId: stableId });
    emulator.faults.fail('DeleteTaskSet', { error: 'ServerException' });
    await expect(deployer.promote(WEB, { stableTaskSetId: stableId, canaryTaskSetId: canary.taskSetId })).rejects.toThrow(EcsError);

    await deployer.rollback(WEB, { stableTaskSetId: stableId, canaryTaskSetId: canary.taskSetId });
    expect(emulator.describe('demo', 'web')!.taskSets.map((s) => [s.id, s.status, s.scale])).toEqual([[stableId, 'PRIMARY', 100]]);
  });

  describe('idempotency', () => {
    it('reuses the canary of the same rollout instead of creating another', async () => {
      const fixture = await rig();
      const { deployer, emulator, stableId } = fixture;
      const input = { rolloutId: 'r-4', image: CANARY_IMAGE, stableTaskSetId: stableId };
      const first = await deployer.createCanary(WEB, input);
      const second = await deployer.createCanary(WEB, input);
      expect(second).toEqual(first);
      expect(mutations(fixture)).toEqual(['RegisterTaskDefinition', 'CreateTaskSet']);
      expect(emulator.describe('demo', 'web')!.taskSets).toHaveLength(2);
    });

    it('finds the canary created by a call whose answer was lost', async () => {
      const { deployer, emulator, stableId } = await rig();
      emulator.faults.fail('CreateTaskSet', { error: 'ServerException', afterApplying: true });
      const input = { rolloutId: 'r-5', image: CANARY_IMAGE, stableTaskSetId: stableId };
      await expect(deployer.createCanary(WEB, input)).rejects.toThrow(/CreateTaskSet failed/);
      const canary = await deployer.createCanary(WEB, input);
      const taskSets = emulator.describe('demo', 'web')!.taskSets;
      expect(taskSets.map((s) => s.id)).toEqual([stableId, canary.taskSetId]);
    });

    it('creates one canary when a CreateTaskSet answer was lost and describes lag behind it', async () => {
      const fixture = await rig();
      const { deployer, emulator, stableId } = fixture;
      fixture.advance(60_000);
      emulator.faults.lagDescribes(60_000);
      emulator.faults.fail('CreateTaskSet', { error: 'ServerException', afterApplying: true });
      const input = { rolloutId: 'r-lag', image: CANARY_IMAGE, stableTaskSetId: stableId };
      await expect(deployer.createCanary(WEB, input)).rejects.toThrow(/CreateTaskSet failed/);
      // The retry cannot see the task set; the same revision and client token find it all the same.
      const canary = await deployer.createCanary(WEB, input);
      expect(await deployer.createCanary(WEB, input)).toEqual(canary);
      expect(emulator.describe('demo', 'web')!.taskSets.map((s) => s.id)).toEqual([stableId, canary.taskSetId]);
      expect(emulator.callsTo('RegisterTaskDefinition')).toHaveLength(1);
      const tokens = new Set(emulator.callsTo('CreateTaskSet').map((call) => (call.input as { clientToken: string }).clientToken));
      expect(tokens.size).toBe(1);
      expect(canary.taskDefinitionArn).toBe('arn:aws:ecs:us-east-1:000000000000:task-definition/web:2');
    });

    it('registers a new revision when the family moved on since (another image, another setting)', async () => {
      const fixture = await rig();
      const { deployer, emulator, stableId } = fixture;
      const first = await deployer.createCanary(WEB, { rolloutId: 'r-a', image: CANARY_IMAGE, stableTaskSetId: stableId });
      await deployer.rollback(WEB, { stableTaskSetId: stableId, canaryTaskSetId: first.taskSetId });
      const other = `registry.local/team/web@sha256:${'c'.repeat(64)}`;
      const second = await deployer.createCanary(WEB, { rolloutId: 'r-b', image: other, stableTaskSetId: stableId });
      expect(second.taskDefinitionArn).toBe('arn:aws:ecs:us-east-1:000000000000:task-definition/web:3');
      // The same image again for a new rollout: the latest revision (web:3) has another image, so a new one.
      const third = await deployer.createCanary(WEB, { rolloutId: 'r-c', image: CANARY_IMAGE, stableTaskSetId: stableId });
      expect(third.taskDefinitionArn).toBe('arn:aws:ecs:us-east-1:000000000000:task-definition/web:4');
      expect(emulator.callsTo('RegisterTaskDefinition')).toHaveLength(3);
    });

    it('completes a promotion whose delete failed, and does nothing when promoted again', async () => {
      const fixture = await rig();
      const { deployer, emulator, stableId } = fixture;
      const canary = await deployer.createCanary(WEB, { rolloutId: 'r-6', image: CANARY_IMAGE, stableTaskSetId: stableId });
      const ids = { stableTaskSetId: stableId, canaryTaskSetId: canary.taskSetId };
      emulator.faults.fail('DeleteTaskSet', { error: 'ThrottlingException', message: 'Rate exceeded' });
      await expect(deployer.promote(WEB, ids)).rejects.toThrow(
        'ECS DeleteTaskSet failed for service web in cluster demo: ThrottlingException: Rate exceeded',
      );
      emulator.clearCalls();
      await deployer.promote(WEB, ids);
      expect(mutations(fixture)).toEqual(['DeleteTaskSet']);
      emulator.clearCalls();
      await deployer.promote(WEB, ids);
      expect(mutations(fixture)).toEqual([]);
      expect(emulator.describe('demo', 'web')!.taskSets.map((s) => [s.id, s.status])).toEqual([[canary.taskSetId, 'PRIMARY']]);
    });

    it('completes a rollback whose delete failed, and does nothing when rolled back again', async () => {
      const fixture = await rig();
      const { deployer, emulator, stableId } = fixture;
      const canary = await deployer.createCanary(WEB, { rolloutId: 'r-7', image: CANARY_IMAGE, stableTaskSetId: stableId });
      const ids = { stableTaskSetId: stableId, canaryTaskSetId: canary.taskSetId };
      await deployer.setWeights(WEB, { ...ids, canaryWeight: 20 });
      emulator.faults.fail('DeleteTaskSet', { error: 'ServerException' });
      await expect(deployer.rollback(WEB, ids)).rejects.toThrow(EcsError);
      emulator.clearCalls();
      await deployer.rollback(WEB, ids);
      expect(mutations(fixture)).toEqual(['DeleteTaskSet']);
      emulator.clearCalls();
      await deployer.rollback(WEB, ids);
      await deployer.rollback(WEB, { stableTaskSetId: stableId, canaryTaskSetId: null });
      expect(mutations(fixture)).toEqual([]);
    });

    it('treats a canary deleted between describe and delete as deleted', async () => {
      const { deployer, emulator, stableId } = await rig();
      const canary = await deployer.createCanary(WEB, { rolloutId: 'r-8', image: CANARY_IMAGE, stableTaskSetId: stableId });
      emulator.faults.fail('DeleteTaskSet', { error: 'TaskSetNotFoundException', message: 'The specified task set does not exist.' });
      await expect(deployer.rollback(WEB, { stableTaskSetId: stableId, canaryTaskSetId: canary.taskSetId })).resolves.toEqual({ done: true });
    });

    it('skips scale updates that are already in place', async () => {
      const fixture = await rig();
      const { deployer, stableId } = fixture;
      const canary = await deployer.createCanary(WEB, { rolloutId: 'r-9', image: CANARY_IMAGE, stableTaskSetId: stableId });
      const input = { stableTaskSetId: stableId, canaryTaskSetId: canary.taskSetId, canaryWeight: 30 };
      await deployer.setWeights(WEB, input);
      fixture.emulator.clearCalls();
      await deployer.setWeights(WEB, input);
      expect(mutations(fixture)).toEqual([]);
      // Going back down: the stable set rises first.
      await deployer.setWeights(WEB, { ...input, canaryWeight: 10 });
      expect(scaleCalls(fixture)).toEqual([
        [stableId, 90],
        [canary.taskSetId, 10],
      ]);
    });
  });

  describe('multi-container task definitions', () => {
    async function sidecarService(fixture: EcsFixture): Promise<string> {
      const { client, emulator } = fixture;
      emulator.seedService({ cluster: 'demo', service: 'other', image: 'x@sha256:' + '0'.repeat(64) });
      const { taskDefinition } = await client.send(
        new RegisterTaskDefinitionCommand({
          family: 'api',
          containerDefinitions: [
            { name: 'app', image: STABLE_IMAGE, essential: true, portMappings: [{ containerPort: 8080 }] },
            { name: 'envoy', image: 'envoyproxy/envoy:v1.31', essential: true, environment: [{ name: 'A', value: '1' }] },
          ],
          executionRoleArn: 'arn:aws:iam::000000000000:role/exec',
          taskRoleArn: 'arn:aws:iam::000000000000:role/task',
          volumes: [{ name: 'scratch' }],
          runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
          ephemeralStorage: { sizeInGiB: 30 },
          requiresCompatibilities: ['FARGATE'],
          networkMode: 'awsvpc',
          cpu: '512',
          memory: '1024',
          tags: [{ key: 'team', value: 'api' }],
        }),
      );
      const network = { awsvpcConfiguration: { subnets: ['subnet-1'] } };
      await client.send(
        new CreateServiceCommand({ cluster: 'demo', serviceName: 'api', desiredCount: 2, deploymentController: { type: 'EXTERNAL' } }),
      );
      const { taskSet } = await client.send(
        new CreateTaskSetCommand({
          cluster: 'demo',
          service: 'api',
          taskDefinition: taskDefinition!.taskDefinitionArn,
          launchType: 'FARGATE',
          platformVersion: '1.4.0',
          networkConfiguration: network,
          loadBalancers: [{ targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/api/1', containerName: 'app', containerPort: 8080 }],
        }),
      );
      await client.send(new UpdateServicePrimaryTaskSetCommand({ cluster: 'demo', service: 'api', primaryTaskSet: taskSet!.id }));
      return taskSet!.id!;
    }

    it('re-points only the named container and copies everything else', async () => {
      const fixture = await ecs.start();
      const stableId = await sidecarService(fixture);
      const deployer = new EcsTaskSetDeployer({ client: fixture.client });
      const api: EcsTarget = { cluster: 'demo', service: 'api', container: 'app' };
      expect((await deployer.describe(api)).primary?.digest).toBe(STABLE_DIGEST);

      await deployer.createCanary(api, { rolloutId: 'r-10', image: CANARY_IMAGE, stableTaskSetId: stableId });
      const [stable, canary] = fixture.emulator.taskDefinitions('api');
      expect(canary?.containerDefinitions?.map((c) => c.image)).toEqual([CANARY_IMAGE, 'envoyproxy/envoy:v1.31']);
      const { arn: _a, revision: _r, containerDefinitions: _c, ...settings } = stable!;
      expect(canary).toMatchObject(settings);
      const tags = fixture.emulator.callsTo('RegisterTaskDefinition').at(-1)?.input as { tags?: unknown };
      expect(tags.tags).toEqual([{ key: 'team', value: 'api' }]);
      expect(fixture.emulator.callsTo('CreateTaskSet').at(-1)?.input).toMatchObject({
        platformVersion: '1.4.0',
        loadBalancers: [{ containerName: 'app', containerPort: 8080 }],
      });
    });

    it('refuses to guess the container when the target names none, and names the containers', async () => {
      const fixture = await ecs.start();
      const stableId = await sidecarService(fixture);
      const deployer = new EcsTaskSetDeployer({ client: fixture.client });
      const api: EcsTarget = { cluster: 'demo', service: 'api' };
      await expect(deployer.describe(api)).rejects.toThrow(/has 2 containers \(app, envoy\)/);
      await expect(
        deployer.createCanary({ ...api, container: 'web' }, { rolloutId: 'r-11', image: CANARY_IMAGE, stableTaskSetId: stableId }),
      ).rejects.toThrow(/no container named web \(containers: app, envoy\)/);
    });
  });

  describe('errors', () => {
    it('turns SDK failures into EcsError naming the operation, the service and the AWS error, keeping the cause', async () => {
      const { deployer, emulator } = await rig();
      emulator.faults.fail('DescribeServices', { error: 'AccessDeniedException', message: 'not allowed' });
      const error = await deployer.describe(WEB).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EcsError);
      expect((error as EcsError).message).toBe(
        'ECS DescribeServices failed for service web in cluster demo: AccessDeniedException: not allowed',
      );
      expect((error as EcsError).cause).toBeInstanceOf(ECSServiceException);
    });

    it('reports a missing service, a missing stable set and an image not pinned by digest', async () => {
      const { deployer, stableId } = await rig();
      await expect(deployer.describe({ cluster: 'demo', service: 'ghost' })).rejects.toThrow(
        'ECS service ghost in cluster demo does not exist',
      );
      await expect(deployer.describe({ cluster: 'nope', service: 'web' })).rejects.toThrow(/ClusterNotFoundException/);
      await expect(
        deployer.createCanary(WEB, { rolloutId: 'r-12', image: CANARY_IMAGE, stableTaskSetId: 'ecs-svc/404' }),
      ).rejects.toThrow(/stable task set ecs-svc\/404 does not exist/);
      await expect(
        deployer.createCanary(WEB, { rolloutId: 'r-13', image: 'registry.local/team/web:latest', stableTaskSetId: stableId }),
      ).rejects.toThrow(EcsError);
      await expect(deployer.rollback(WEB, { stableTaskSetId: 'ecs-svc/404', canaryTaskSetId: null })).rejects.toThrow(EcsError);
    });

    it('describes task definitions once per ARN', async () => {
      const fixture = await rig();
      await fixture.deployer.describe(WEB);
      await fixture.deployer.describe(WEB);
      expect(fixture.emulator.callsTo('DescribeTaskDefinition')).toHaveLength(1);
    });
  });
});

/** Every named task set is at STEADY_STATE, as the deployer's describe reports it. */
async function allSteady(deployer: EcsTaskSetDeployer, ids: readonly string[]): Promise<boolean> {
  const view = await deployer.describe(WEB);
  return ids.every((id) => view.taskSets.find((s) => s.id === id)?.steady === true);
}
