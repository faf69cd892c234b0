/**
 * ALB weighted traffic end to end in local mode: the HTTP API, the orchestrator and the state machine,
 * the ECS emulator behind the ELBv2 stand-in (tasks are targets, steady once healthy, draining when they
 * leave), all through the real SDK clients. Health checks and deregistration delays are scaled down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../../local/local-stack';
import type { ApiClient } from '../../helpers/http';
import { type AlbStack, albArns, startAlbStack } from '../../helpers/local-alb';
import { appConfig, serviceConfig } from '../../helpers/local-config';

const alb = (n: number) => albArns(n);

const STEPS = [{ setWeight: 10 }, { setWeight: 50 }, { setWeight: 30 }, { setWeight: 100 }];
const DESIRED = [1, 2, 4, 10];
const config = appConfig([
  ...DESIRED.map((n) => serviceConfig(`svc${n}`, { steps: STEPS, alarms: [], local: { desiredCount: n, image: null }, traffic: { alb: alb(n) } })),
  // No traffic section: traffic follows task counts.
  serviceConfig('counts', { steps: [{ setWeight: 10 }, { pause: {} }, { setWeight: 100 }], alarms: [], local: { desiredCount: 2, image: null } }),
  serviceConfig('guarded', { steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 100 }], alarms: ['guarded-5xx'], local: { desiredCount: 4, image: null }, traffic: { alb: alb(50) } }),
]);

let stack: LocalStack;
let api: ApiClient;
let push: AlbStack['push'];
let untilStatus: AlbStack['untilStatus'];

beforeAll(async () => {
  // A slow health check and a deregistration delay, scaled down: 3 checks 100 ms apart, 400 ms of draining.
  ({ stack, api, push, untilStatus } = await startAlbStack({ config, healthyThreshold: 3, drainSeconds: 0.4, firstDigest: 500 }));
});
afterAll(async () => stack?.stop());

/** The weights each ModifyRule of the rule set, in order, as target group → weight. */
const ruleWeights = (rule: string) =>
  stack.elbv2.callsTo('ModifyRule').filter((c) => c.input.RuleArn === rule && !c.error).map((c) => {
    const forward = (c.input.Actions as any[]).find((a) => a.Type === 'forward');
    return Object.fromEntries(forward.ForwardConfig.TargetGroups.map((t: any) => [t.TargetGroupArn, t.Weight]));
  });

describe('ALB weighted traffic in local mode', () => {
  it('serves the ELBv2 stand-in among the local endpoints', async () => {
    const endpoints = (await api('GET', '/local/endpoints')).body as Record<string, string>;
    expect(endpoints.elbv2).toBe(stack.endpoints.elbv2);
    expect(endpoints.elbv2).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it.each(DESIRED)('forwards exactly each step weight whatever the task count (desired %i), stable at full size until promotion', async (desired) => {
    const { listenerRule, targetGroups } = alb(desired);
    const [blue, green] = targetGroups;
    expect(stack.elbv2.weights(listenerRule)).toEqual({ [blue]: 100, [green]: 0 });
    const id = await push(`svc${desired}`);
    expect(await untilStatus(id, 'SUCCEEDED')).toMatchObject({ canaryWeight: 100, trafficShare: 100 });
    // Every ModifyRule forwards exactly 100 - w and w for a step weight, in step order (two actors that
    // saw the same steady state may both send the same weights).
    const applied = ruleWeights(listenerRule);
    for (const weights of applied) expect(weights[blue]! + weights[green]!).toBe(100);
    expect(applied.map((w) => w[green]).filter((w, i, all) => i === 0 || w !== all[i - 1])).toEqual([0, 10, 50, 30, 100]);
    // The stable set was never scaled below 100% before it was deleted; the canary always ran at least one task.
    const service = stack.ecs.callsTo('UpdateTaskSet').filter((c) => (c.input as any).service === `svc${desired}`);
    const scales = service.map((c) => (c.input as any).scale.value as number);
    expect(Math.min(...scales)).toBeGreaterThanOrEqual(1);
    const final = stack.ecs.describe('demo', `svc${desired}`)!;
    expect(final.taskSets.filter((t) => t.status !== 'DRAINING')).toEqual([expect.objectContaining({ externalId: id, scale: 100, runningCount: desired })]);
    const canaryId = final.taskSets.find((t) => t.externalId === id)!.id;
    expect(new Set(service.map((c) => (c.input as any).taskSet))).toEqual(new Set([canaryId]));
    // The next rollout uses the other group of the pair.
    const next = await push(`svc${desired}`);
    await untilStatus(next, 'SUCCEEDED');
    expect(stack.elbv2.weights(listenerRule)).toEqual({ [green]: 0, [blue]: 100 });
  });

  it('on an alarm, moves traffic back to the stable target group before removing the canary', async () => {
    const { listenerRule, targetGroups } = alb(50);
    const [blue, green] = targetGroups;
    const id = await push('guarded');
    const paused = await untilStatus(id, 'PAUSED');
    expect(paused).toMatchObject({ canaryWeight: 20, trafficShare: 20 });
    expect(stack.elbv2.weights(listenerRule)).toEqual({ [blue]: 80, [green]: 20 });
    stack.elbv2.clearCalls();
    stack.ecs.clearCalls();
    await stack.alarms.set('guarded-5xx', 'ALARM', 'p99 up');
    expect(await untilStatus(id, 'ROLLED_BACK')).toMatchObject({ canaryWeight: 0, trafficShare: 0 });
    expect(stack.elbv2.weights(listenerRule)).toEqual({ [blue]: 100, [green]: 0 });
    const moved = stack.elbv2.callsTo('ModifyRule').find((c) => c.input.RuleArn === listenerRule)!;
    const deleted = stack.ecs.callsTo('DeleteTaskSet').find((c) => (c.input as any).service === 'guarded')!;
    expect(moved.at).toBeLessThanOrEqual(deleted.at);
    expect(stack.ecs.callsTo('UpdateTaskSet').filter((c) => (c.input as any).service === 'guarded')).toEqual([]);
  });

  it('with task counts, records the share running tasks give and reports a step the count cannot express', async () => {
    const id = await push('counts');
    const paused = await untilStatus(id, 'PAUSED');
    expect(paused).toMatchObject({ canaryWeight: 10, trafficShare: 33 });
    expect(paused.events.map((e: any) => e.message)).toContainEqual(expect.stringContaining('its actual share of traffic is 33%: the task count cannot express 10%'));
    await api('POST', `/rollouts/${id}/approve`, { by: 'ann' });
    expect(await untilStatus(id, 'SUCCEEDED')).toMatchObject({ trafficShare: 100 });
  });
});
