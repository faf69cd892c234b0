/**
 * Blue-green end to end in local mode: the HTTP API, the orchestrator and the state machine, the ECS
 * emulator behind the ELBv2 stand-in, all through the real SDK clients. The new task set runs at full
 * size behind the preview rule, waits for approval, production switches in one call, and within
 * scaleDownDelay an alarm switches it back at once. Health checks and deregistration delays are scaled down.
 */
import { DescribeRulesCommand, ElasticLoadBalancingV2Client, ModifyRuleCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../../local/local-stack';
import { blueGreenSteps } from '../../../shared/core/blue-green';
import { toPolicies } from '../../../shared/config/policy-schema';
import type { ApiClient } from '../../helpers/http';
import { type AlbStack, albArns, previewRuleArn, startAlbStack } from '../../helpers/local-alb';
import { appConfig, serviceConfig } from '../../helpers/local-config';

/** Production on listener 2 of the load balancer, the preview on its test listener 3. */
const alb = (n: number) => albArns(n, 'bg');
const previewRule = previewRuleArn;

const blueGreen = (n: number, name: string, options: { autoPromote: boolean; scaleDownDelay: number; approvals?: number }) =>
  serviceConfig(name, {
    steps: blueGreenSteps(options),
    blueGreen: { previewListenerRule: previewRule(n), autoPromote: options.autoPromote, scaleDownDelay: options.scaleDownDelay },
    traffic: { alb: alb(n) },
    alarms: [`${name}-5xx`],
    local: { desiredCount: 2, image: null },
    policies: toPolicies({ approvals: { required: options.approvals ?? 1 } }),
  });

const config = appConfig([
  // A long delay: the alarm surely lands within it.
  blueGreen(1, 'guarded', { autoPromote: false, scaleDownDelay: 300 }),
  blueGreen(2, 'clean', { autoPromote: false, scaleDownDelay: 1, approvals: 2 }),
  blueGreen(3, 'auto', { autoPromote: true, scaleDownDelay: 0 }),
  blueGreen(4, 'strange', { autoPromote: true, scaleDownDelay: 0 }),
  blueGreen(5, 'sturdy', { autoPromote: true, scaleDownDelay: 1 }),
]);

const elbClient = () => new ElasticLoadBalancingV2Client({ endpoint: stack.endpoints.elbv2, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });

let stack: LocalStack;
let api: ApiClient;
let push: AlbStack['push'];
let untilStatus: AlbStack['untilStatus'];

beforeAll(async () => {
  ({ stack, api, push, untilStatus } = await startAlbStack({ config, firstDigest: 700 }));
});
afterAll(async () => stack?.stop());

const modifyRules = (rule: string) => stack.elbv2.callsTo('ModifyRule').filter((c) => c.input.RuleArn === rule && !c.error);
const taskSets = (service: string) => stack.ecs.describe('demo', service)!.taskSets;
const live = (service: string) => taskSets(service).filter((t) => t.status !== 'DRAINING');

describe('blue-green in local mode', () => {
  it('seeds the preview rule from the config, forwarding 100% to the first target group', () => {
    const [blue] = alb(1).targetGroups;
    expect(stack.elbv2.weights(previewRule(1))).toEqual({ [blue]: 100 });
  });

  it('previews the new set at full size, switches production in one call on approval, and switches back at once on an alarm within scaleDownDelay', async () => {
    const { listenerRule, targetGroups } = alb(1);
    const [blue, green] = targetGroups;
    const id = await push('guarded');
    const paused = await untilStatus(id, 'PAUSED');
    expect(paused).toMatchObject({ canaryWeight: 0, trafficShare: 0, blueGreen: { previewListenerRule: previewRule(1), autoPromote: false, scaleDownDelaySeconds: 300 } });
    expect(paused.wait).toMatchObject({ for: 'approval' });
    // Preview: the new set at full size behind the preview rule, production still all on the old one.
    expect(stack.elbv2.weights(previewRule(1))).toEqual({ [blue]: 0, [green]: 100 });
    expect(stack.elbv2.weights(listenerRule)).toEqual({ [blue]: 100, [green]: 0 });
    const newSet = live('guarded').find((t) => t.externalId === id)!;
    const oldSet = live('guarded').find((t) => t.externalId !== id)!;
    expect(newSet).toMatchObject({ scale: 100, runningCount: 2 });
    expect(oldSet).toMatchObject({ scale: 100, runningCount: 2, status: 'PRIMARY' });

    stack.elbv2.clearCalls();
    await api('POST', `/rollouts/${id}/approve`, { by: 'ann' });
    const promoting = await untilStatus(id, 'PROMOTING');
    expect(promoting).toMatchObject({ canaryWeight: 100, trafficShare: 100, wait: { for: 'bake' } });
    expect(promoting.events.map((e: any) => e.type)).toContain('SWITCHED');
    // One call switched production; the old set still runs at full size.
    expect(modifyRules(listenerRule).map((c) => c.input.Actions)).toHaveLength(1);
    expect(stack.elbv2.weights(listenerRule)).toEqual({ [blue]: 0, [green]: 100 });
    expect(live('guarded').find((t) => t.id === oldSet.id)).toMatchObject({ scale: 100, runningCount: 2, status: 'PRIMARY' });

    stack.elbv2.clearCalls();
    stack.ecs.clearCalls();
    const started = Date.now();
    expect((await stack.alarms.set('guarded-5xx', 'ALARM', 'p99 up')).rolledBack).toEqual([id]);
    // At once: production is back on the old set when the alarm's handling returns, not at the next clock turn.
    expect(stack.elbv2.weights(listenerRule)).toEqual({ [blue]: 100, [green]: 0 });
    expect(Date.now() - started).toBeLessThan(5000);
    const rolledBack = await untilStatus(id, 'ROLLED_BACK');
    expect(rolledBack).toMatchObject({ canaryWeight: 0, trafficShare: 0 });
    expect(stack.elbv2.weights(listenerRule)).toEqual({ [blue]: 100, [green]: 0 });
    // Production went back with one call, before the new set was removed.
    const back = modifyRules(listenerRule);
    const deleted = stack.ecs.callsTo('DeleteTaskSet').filter((c) => (c.input as any).service === 'guarded');
    expect(back.length).toBeGreaterThanOrEqual(1);
    expect(deleted.map((c) => (c.input as any).taskSet)).toContain(newSet.id);
    expect(back[0]!.at).toBeLessThanOrEqual(deleted[0]!.at);
    expect(live('guarded')).toEqual([expect.objectContaining({ id: oldSet.id, status: 'PRIMARY', scale: 100 })]);
    await stack.alarms.set('guarded-5xx', 'OK', null);
  });

  it('waits for the service quorum, then removes the old set after scaleDownDelay and SUCCEEDS', async () => {
    const { listenerRule, targetGroups } = alb(2);
    const [blue, green] = targetGroups;
    // Stickiness on the preview rule's forward: only the weights may change.
    const elb = elbClient();
    const stickiness = { Enabled: true, DurationSeconds: 120 };
    await elb.send(new ModifyRuleCommand({ RuleArn: previewRule(2), Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: blue, Weight: 1 }], TargetGroupStickinessConfig: stickiness } }] }));
    const id = await push('clean');
    await untilStatus(id, 'PAUSED');
    const [preview] = (await elb.send(new DescribeRulesCommand({ RuleArns: [previewRule(2)] }))).Rules!;
    expect(preview!.Conditions).toEqual([expect.objectContaining({ Field: 'host-header', HostHeaderConfig: { Values: ['clean.preview.local'] } })]);
    expect(preview!.Actions![0]!.ForwardConfig).toMatchObject({ TargetGroups: [{ TargetGroupArn: blue, Weight: 0 }, { TargetGroupArn: green, Weight: 100 }], TargetGroupStickinessConfig: stickiness });
    elb.destroy();
    const oldSet = live('clean').find((t) => t.externalId !== id)!;
    await api('POST', `/rollouts/${id}/approve`, { by: 'ann' });
    expect((await api('GET', `/rollouts/${id}`)).body).toMatchObject({ status: 'PAUSED', canaryWeight: 0 });
    expect(stack.elbv2.weights(listenerRule)).toEqual({ [blue]: 100, [green]: 0 });
    await api('POST', `/rollouts/${id}/approve`, { by: 'bob' });
    const promoting = await untilStatus(id, 'PROMOTING');
    const switchedAt = Date.parse(promoting.events.find((e: any) => e.type === 'SWITCHED').at);
    const done = await untilStatus(id, 'SUCCEEDED');
    expect(done).toMatchObject({ canaryWeight: 100, trafficShare: 100 });
    expect(stack.elbv2.weights(listenerRule)).toEqual({ [blue]: 0, [green]: 100 });
    const removed = stack.ecs.callsTo('DeleteTaskSet').find((c) => (c.input as any).taskSet === oldSet.id)!;
    expect(removed.at).toBeGreaterThanOrEqual(switchedAt + 1000);
    expect(live('clean')).toEqual([expect.objectContaining({ externalId: id, status: 'PRIMARY', scale: 100 })]);
  });

  it('with autoPromote, switches once the new set is steady, without approval', async () => {
    const { listenerRule, targetGroups } = alb(3);
    const [blue, green] = targetGroups;
    const id = await push('auto');
    const done = await untilStatus(id, 'SUCCEEDED');
    expect(done.approvals).toEqual([]);
    expect(done.events.map((e: any) => e.type)).toEqual(expect.arrayContaining(['SWITCHED', 'SUCCEEDED']));
    expect(done.events.map((e: any) => e.type)).not.toContain('PAUSED');
    expect(stack.elbv2.weights(listenerRule)).toEqual({ [blue]: 0, [green]: 100 });
    expect(live('auto')).toEqual([expect.objectContaining({ externalId: id, status: 'PRIMARY' })]);
    // The next rollout previews and switches to the other group of the pair.
    const next = await push('auto');
    await untilStatus(next, 'SUCCEEDED');
    expect(stack.elbv2.weights(previewRule(3))).toEqual({ [blue]: 100, [green]: 0 });
    expect(stack.elbv2.weights(listenerRule)).toEqual({ [blue]: 100, [green]: 0 });
  });

  it('after scaleDownDelay, retries a failed promote call instead of switching back', async () => {
    const { listenerRule, targetGroups } = alb(5);
    const [blue, green] = targetGroups;
    const id = await push('sturdy');
    await untilStatus(id, 'PROMOTING');
    stack.ecs.faults.fail('UpdateServicePrimaryTaskSet', { error: 'InvalidParameterException', message: 'injected', times: 2 });
    const done = await untilStatus(id, 'SUCCEEDED');
    expect(done.events.filter((e: any) => e.type === 'ECS_ERROR').map((e: any) => e.message)).toEqual([
      expect.stringMatching(/promotion call failed, retrying: .*injected/),
      expect.stringMatching(/promotion call failed, retrying: .*injected/),
    ]);
    // Production never went back to the old set.
    expect(modifyRules(listenerRule).map((c) => (c.input.Actions as any[])[0].ForwardConfig.TargetGroups.find((t: any) => t.TargetGroupArn === green).Weight)).toEqual([0, 100]);
    expect(stack.elbv2.weights(listenerRule)).toEqual({ [blue]: 0, [green]: 100 });
    expect(live('sturdy')).toEqual([expect.objectContaining({ externalId: id, status: 'PRIMARY' })]);
  });

  it('refuses the rollout at its start, naming the field, when the preview rule forwards outside the pair; nothing changes in ECS or the load balancer', async () => {
    const stranger = alb(1).targetGroups[0];
    const elb = elbClient();
    await elb.send(new ModifyRuleCommand({ RuleArn: previewRule(4), Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: stranger, Weight: 1 }] } }] }));
    elb.destroy();
    const before = taskSets('strange').map((t) => t.id);
    stack.elbv2.clearCalls();
    const id = await push('strange');
    const ended = await untilStatus(id, 'REJECTED');
    expect(ended.reason).toBe(
      `blueGreen.previewListenerRule: listener rule ${previewRule(4)} forwards to ${stranger}, outside traffic.alb.targetGroups: a rollout could not point it at the new task set alone`,
    );
    expect(taskSets('strange').map((t) => t.id)).toEqual(before);
    expect(stack.elbv2.weights(alb(4).listenerRule)).toEqual({ [alb(4).targetGroups[0]]: 100, [alb(4).targetGroups[1]]: 0 });
    // Read, never written; the preview rule's load balancer is production's, read once.
    expect(stack.elbv2.calls.filter((c) => !c.operation.startsWith('Describe'))).toEqual([]);
    expect(stack.elbv2.callsTo('DescribeLoadBalancers')).toHaveLength(1);
    expect(stack.elbv2.callsTo('DescribeRules').map((c) => c.input.RuleArns)).toEqual([[alb(4).listenerRule], [previewRule(4)]]);
  });
});
