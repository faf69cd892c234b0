/**
 * ALB weighted traffic end to end in local mode: the HTTP API, the orchestrator and the state machine,
 * the ECS emulator behind the ELBv2 stand-in (tasks are targets, steady once healthy, draining when they
 * leave), all through the real SDK clients. Health checks and deregistration delays are scaled down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../../local/local-stack';
import { silentLogger } from '../../../shared/observability/logger';
import { type ApiClient, apiClient, waitFor } from '../../helpers/http';
import { appConfig, digestOf, pushEnvelope, serviceConfig } from '../../helpers/local-config';
import { ScriptedVerifier } from '../../helpers/scripted-verifier';

const P = 'arn:aws:elasticloadbalancing:us-east-1:000000000000';
const hex = (n: number) => n.toString(16).padStart(16, '0');
const alb = (n: number) => ({
  listenerRule: `${P}:listener-rule/app/local/${hex(1)}/${hex(2)}/${hex(100 + n)}`,
  targetGroups: [`${P}:targetgroup/svc${n}-blue/${hex(200 + n)}`, `${P}:targetgroup/svc${n}-green/${hex(300 + n)}`] as [string, string],
});

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
let hook: ApiClient;
let nextDigest = 500;

beforeAll(async () => {
  stack = await startLocalStack({
    config,
    port: 0,
    taskStartMs: 15,
    steadyPollMs: 15,
    // A slow health check and a deregistration delay, scaled down: 3 checks 100 ms apart, 400 ms of draining.
    targetGroups: { healthCheck: { intervalSeconds: 0.1, healthyThreshold: 3 }, deregistrationDelaySeconds: 0.4 },
    verifier: new ScriptedVerifier(),
    logger: silentLogger,
    webhookToken: 'hook-token',
    apiToken: 'api-token',
  });
  api = apiClient(stack.url, stack.apiToken);
  hook = apiClient(stack.url, stack.webhookToken);
});
afterAll(async () => stack?.stop());

async function push(service: string): Promise<string> {
  const res = await hook('POST', '/webhooks/registry', pushEnvelope(`team/${service}`, 'v2', digestOf(nextDigest++)), { 'content-type': 'application/vnd.docker.distribution.events.v1+json' });
  expect(res.status).toBe(202);
  return res.body.accepted[0].rolloutId as string;
}

const untilStatus = (id: string, status: string) =>
  waitFor(`rollout ${id} to be ${status}`, async () => {
    const r = (await api('GET', `/rollouts/${id}`)).body;
    return r.status === status ? r : undefined;
  }, 20_000);

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
