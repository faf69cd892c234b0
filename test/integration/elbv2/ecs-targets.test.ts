import { CreateTaskSetCommand, DeleteTaskSetCommand, DescribeTaskSetsCommand, UpdateTaskSetCommand } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterEach, describe, expect, it } from 'vitest';
import type { EcsServiceActionEvent } from '../../../local/ecs-emulator/events';
import { startElbV2StandIn } from '../../../local/elbv2-stand-in';
import { useEcsEmulator } from '../ecs/ecs-fixture';

const ecs = useEcsEmulator();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

/** ECS and ELBv2 on one clock: health checks every 5 s, 2 to turn healthy (10 s), 30 s deregistration delay. */
async function setup() {
  const fixture = await ecs.start({ taskStartMs: 1000 });
  const elb = await startElbV2StandIn({ now: fixture.now });
  const elbClient = new ElasticLoadBalancingV2Client({ endpoint: elb.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
  cleanups.push(async () => {
    elbClient.destroy();
    await elb.close();
  });
  const { standIn } = elb;
  const lb = standIn.seedLoadBalancer({ name: 'web' }).arn;
  const groupOptions = { healthCheck: { intervalSeconds: 5, healthyThreshold: 2 }, deregistrationDelaySeconds: 30 };
  const blue = standIn.seedTargetGroup({ name: 'web-blue', ...groupOptions }).arn;
  const green = standIn.seedTargetGroup({ name: 'web-green', ...groupOptions }).arn;
  standIn.seedListener({
    loadBalancerArn: lb,
    defaultActions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: blue, Weight: 100 }, { TargetGroupArn: green, Weight: 0 }] } }],
  });
  fixture.emulator.attachLoadBalancers(standIn);
  fixture.emulator.seedService({ cluster: 'demo', service: 'web', desiredCount: 4, image: 'reg/web@sha256:' + 'a'.repeat(64), targetGroupArn: blue });
  const events: EcsServiceActionEvent[] = [];
  fixture.emulator.onEvent((event) => events.push(event));
  const taskSets = async () =>
    (await fixture.client.send(new DescribeTaskSetsCommand({ cluster: 'demo', service: 'web' }))).taskSets!;
  const states = async (group: string) =>
    (await elbClient.send(new DescribeTargetHealthCommand({ TargetGroupArn: group }))).TargetHealthDescriptions!.map((d) => d.TargetHealth!.State).sort();
  return { fixture, standIn, blue, green, taskSets, states, events };
}

describe('task sets behind the ELBv2 stand-in', () => {
  it('a seeded set is born with healthy targets; a new set is steady only once its targets are healthy', async () => {
    const { fixture, green, blue, taskSets, states, events } = await setup();
    expect(await states(blue)).toEqual(['healthy', 'healthy', 'healthy', 'healthy']);
    const [stable] = await taskSets();
    expect(stable).toMatchObject({ stabilityStatus: 'STEADY_STATE', runningCount: 4 });
    const { taskSet } = await fixture.client.send(
      new CreateTaskSetCommand({
        cluster: 'demo',
        service: 'web',
        taskDefinition: stable!.taskDefinition,
        networkConfiguration: stable!.networkConfiguration,
        loadBalancers: [{ targetGroupArn: green, containerName: 'app', containerPort: 8080 }],
        scale: { value: 50, unit: 'PERCENT' },
      }),
    );
    fixture.advance(2000);
    const canary = async () => (await taskSets()).find((set) => set.id === taskSet!.id)!;
    expect(await canary()).toMatchObject({ runningCount: 2, stabilityStatus: 'STABILIZING' });
    expect(await states(green)).toEqual(['initial', 'initial']);
    await fixture.emulator.emitDueEvents();
    expect(events.filter((e) => e.detail.eventName === 'TASKSET_STEADY_STATE')).toEqual([]);
    // The second task started at 2 s: healthy at 12 s.
    fixture.advance(9_999);
    expect((await canary()).stabilityStatus).toBe('STABILIZING');
    fixture.advance(1);
    expect(await states(green)).toEqual(['healthy', 'healthy']);
    expect(await canary()).toMatchObject({ runningCount: 2, stabilityStatus: 'STEADY_STATE' });
    await fixture.emulator.emitDueEvents();
    expect(events.map((e) => e.detail.eventName)).toContain('TASKSET_STEADY_STATE');
  });

  it('tasks leaving a target group drain for the deregistration delay, still running, before the set is steady', async () => {
    const { fixture, blue, taskSets, states } = await setup();
    const [stable] = await taskSets();
    await fixture.client.send(new UpdateTaskSetCommand({ cluster: 'demo', service: 'web', taskSet: stable!.id!, scale: { value: 50, unit: 'PERCENT' } }));
    expect((await taskSets())[0]).toMatchObject({ computedDesiredCount: 2, runningCount: 4, stabilityStatus: 'STABILIZING' });
    expect(await states(blue)).toEqual(['draining', 'draining', 'healthy', 'healthy']);
    fixture.advance(29_999);
    expect((await taskSets())[0]!.stabilityStatus).toBe('STABILIZING');
    fixture.advance(1);
    expect((await taskSets())[0]).toMatchObject({ runningCount: 2, stabilityStatus: 'STEADY_STATE' });
    expect(await states(blue)).toEqual(['healthy', 'healthy']);
  });

  it('a deleted set stays DRAINING until its targets have drained', async () => {
    const { fixture, green, taskSets } = await setup();
    const [stable] = await taskSets();
    const { taskSet } = await fixture.client.send(
      new CreateTaskSetCommand({
        cluster: 'demo',
        service: 'web',
        taskDefinition: stable!.taskDefinition,
        networkConfiguration: stable!.networkConfiguration,
        loadBalancers: [{ targetGroupArn: green, containerName: 'app', containerPort: 8080 }],
        scale: { value: 25, unit: 'PERCENT' },
      }),
    );
    fixture.advance(20_000);
    await fixture.client.send(new DeleteTaskSetCommand({ cluster: 'demo', service: 'web', taskSet: taskSet!.id!, force: true }));
    fixture.advance(29_000);
    expect((await taskSets()).find((set) => set.id === taskSet!.id)).toMatchObject({ status: 'DRAINING', runningCount: 1 });
    fixture.advance(1_000);
    expect((await taskSets()).map((set) => set.id)).toEqual([stable!.id]);
  });

  it('a set whose target group the load balancer does not know is never steady', async () => {
    const { fixture, green, taskSets } = await setup();
    const [stable] = await taskSets();
    await fixture.client.send(
      new CreateTaskSetCommand({
        cluster: 'demo',
        service: 'web',
        taskDefinition: stable!.taskDefinition,
        networkConfiguration: stable!.networkConfiguration,
        loadBalancers: [{ targetGroupArn: `${green}0`, containerName: 'app', containerPort: 8080 }],
        scale: { value: 25, unit: 'PERCENT' },
      }),
    );
    fixture.advance(3_600_000);
    expect((await taskSets()).at(-1)!.stabilityStatus).toBe('STABILIZING');
  });
});
