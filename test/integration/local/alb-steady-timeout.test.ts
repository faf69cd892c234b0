/**
 * `traffic.alb` at a rollout's start, in local mode through the real SDK clients: the steady timeout
 * follows from the target groups' health check and deregistration delay (unless the service sets one),
 * a step that is not steady says why (targets not healthy, draining), and what only the load balancer
 * knows refuses the rollout before anything changes. Durations are scaled down: the default steady
 * timeout is 1 s here, a task starts in 0.5 s of the allowance.
 */
import { ElasticLoadBalancingV2Client, ModifyRuleCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack } from '../../../local/local-stack';
import type { ServiceConfig } from '../../../shared/config/types';
import { silentLogger } from '../../../shared/observability/logger';
import { apiClient, waitFor } from '../../helpers/http';
import { appConfig, digestOf, pushEnvelope, serviceConfig } from '../../helpers/local-config';
import { ScriptedVerifier } from '../../helpers/scripted-verifier';

const P = 'arn:aws:elasticloadbalancing:us-east-1:000000000000';
const hex = (n: number) => n.toString(16).padStart(16, '0');
const alb = (n: number) => ({
  listenerRule: `${P}:listener-rule/app/local/${hex(1)}/${hex(2)}/${hex(100 + n)}`,
  targetGroups: [`${P}:targetgroup/s${n}-blue/${hex(200 + n)}`, `${P}:targetgroup/s${n}-green/${hex(300 + n)}`] as [string, string],
});
const STEPS = [{ setWeight: 50 }, { setWeight: 20 }, { setWeight: 100 }];

/** A service whose steady timeout is `seconds`, set in its file (`configured`) or the (scaled-down) default. */
const service = (name: string, n: number, seconds: number, configured: boolean): ServiceConfig => {
  const base = serviceConfig(name);
  return serviceConfig(name, {
    steps: STEPS,
    alarms: [],
    local: { desiredCount: 4, image: null },
    traffic: { alb: alb(n) },
    policies: { ...base.policies, steadyTimeout: seconds, steadyTimeoutConfigured: configured },
  });
};

let nextDigest = 900;

async function start(services: ServiceConfig[], targetGroups: { healthCheck: { intervalSeconds: number; healthyThreshold: number }; deregistrationDelaySeconds: number }) {
  const stack = await startLocalStack({
    config: appConfig(services),
    port: 0,
    taskStartMs: 15,
    steadyPollMs: 15,
    targetGroups,
    orchestrator: { steadyTimeoutAllowance: { taskStartSeconds: 0.5 } },
    verifier: new ScriptedVerifier(),
    logger: silentLogger,
    webhookToken: 'hook-token',
    apiToken: 'api-token',
  });
  const api = apiClient(stack.url, stack.apiToken);
  const hook = apiClient(stack.url, stack.webhookToken);
  const push = async (name: string): Promise<string> => {
    const res = await hook('POST', '/webhooks/registry', pushEnvelope(`team/${name}`, 'v2', digestOf(nextDigest++)), { 'content-type': 'application/vnd.docker.distribution.events.v1+json' });
    expect(res.status).toBe(202);
    return res.body.accepted[0].rolloutId as string;
  };
  const until = (id: string, statuses: string[]) =>
    waitFor(`rollout ${id} to be ${statuses.join(' or ')}`, async () => {
      const r = (await api('GET', `/rollouts/${id}`)).body;
      return statuses.includes(r.status) ? r : undefined;
    }, 30_000);
  return { stack, api, push, until };
}

describe('a slow health check (4 × 0.5 s) and a deregistration delay (0.5 s)', () => {
  let h: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    h = await start(
      [service('slow', 1, 1, false), service('fixed', 2, 1, true), service('misrouted', 3, 1, false)],
      { healthCheck: { intervalSeconds: 0.5, healthyThreshold: 4 }, deregistrationDelaySeconds: 0.5 },
    );
  });
  afterAll(async () => h?.stack.stop());

  it('SUCCEEDED with the default steady timeout: the timeout the target groups need is kept on the record', async () => {
    const id = await h.push('slow');
    const done = await h.until(id, ['SUCCEEDED', 'ROLLED_BACK']);
    expect(done.status).toBe('SUCCEEDED');
    // (task start 0.5 + health checks 4 × 0.5 + deregistration delay 0.5) × margin 2.
    expect(done.steadyTimeoutSeconds).toBe(6);
    const [blue] = alb(1).targetGroups;
    expect(done.events.find((e: any) => e.type === 'STARTED').message).toMatch(
      new RegExp(`; steady timeout 6s, from target group ${blue}: health check 4 × 0\\.5s, deregistration delay 0\\.5s$`),
    );
  });

  it('keeps a steadyTimeout the service sets, and says the targets were not healthy when it passes', async () => {
    const id = await h.push('fixed');
    const done = await h.until(id, ['SUCCEEDED', 'ROLLED_BACK']);
    expect(done.status).toBe('ROLLED_BACK');
    expect(done.steadyTimeoutSeconds).toBe(1);
    expect(done.events.find((e: any) => e.type === 'STEADY_TIMEOUT').message).toMatch(/^canary did not reach steady state at 50% within 1s \(canary targets not healthy yet: 2 of 2 tasks running, not STEADY_STATE\)$/);
  });

  it('refuses a rollout whose rule forwards outside the pair, changing nothing in ECS or the load balancer', async () => {
    const { stack } = h;
    const { listenerRule, targetGroups } = alb(3);
    const stray = stack.elbv2.seedTargetGroup({ name: 'stray' }).arn;
    const client = new ElasticLoadBalancingV2Client({ endpoint: stack.endpoints.elbv2, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    await client.send(new ModifyRuleCommand({ RuleArn: listenerRule, Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: targetGroups[0], Weight: 90 }, { TargetGroupArn: stray, Weight: 10 }] } }] }));
    client.destroy();
    stack.elbv2.clearCalls();
    const before = stack.ecs.calls.length;
    const id = await h.push('misrouted');
    const done = await h.until(id, ['REJECTED', 'SUCCEEDED', 'ROLLED_BACK']);
    expect(done.status).toBe('REJECTED');
    expect(done.reason).toBe(`traffic.alb.listenerRule: listener rule ${listenerRule} forwards to ${stray}, outside traffic.alb.targetGroups: its weights would not be the configured split`);
    expect(stack.elbv2.calls.filter((c) => !c.operation.startsWith('Describe'))).toEqual([]);
    expect(stack.ecs.calls.slice(before).filter((c) => !c.operation.startsWith('Describe') && (c.input as any).service === 'misrouted')).toEqual([]);
  });
});

describe('a deregistration delay longer than the steady timeout the service sets', () => {
  let h: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    h = await start([service('drain', 5, 2, true), service('waits', 6, 1, false)], { healthCheck: { intervalSeconds: 0.1, healthyThreshold: 2 }, deregistrationDelaySeconds: 4 });
  });
  afterAll(async () => h?.stack.stop());

  it('says the canary was draining when it passes, and the default is raised past the delay', async () => {
    const [drained, waited] = await Promise.all([h.push('drain'), h.push('waits')]);
    const done = await h.until(drained, ['SUCCEEDED', 'ROLLED_BACK']);
    expect(done.status).toBe('ROLLED_BACK');
    expect(done.events.find((e: any) => e.type === 'STEADY_TIMEOUT').message).toMatch(/^canary did not reach steady state at 20% within 2s \(canary tasks draining: 2 running, 1 wanted\)$/);
    const ok = await h.until(waited, ['SUCCEEDED', 'ROLLED_BACK']);
    expect(ok).toMatchObject({ status: 'SUCCEEDED', steadyTimeoutSeconds: Math.ceil((0.5 + 0.2 + 4) * 2) });
  });
});
