/**
 * 7. Alarm → traffic back on the stable target group, in local mode, for a service with `traffic.alb`:
 * from `PUT /local/alarms/{name}` (state ALARM) to the ModifyRule that forwards 100% to the stable
 * group again, read from the ELBv2 stand-in's call log (`at`, same clock as ours). Beside it, in the
 * same runs, the canary's removal (DeleteTaskSet) for that service, and, interleaved, the alarm →
 * canary at 0 of a service whose traffic follows task counts (what `alarm-rollback` measures).
 */
import type { EcsCall } from '../../local/ecs-emulator';
import type { ElbCall } from '../../local/elbv2-stand-in';
import { apiSend, deliver, newDigest, pushSignatures, registry, workspace } from '../lib/fixtures';
import { localStack } from '../lib/stack';
import { fmt, fmtRatio, median, percentile, until } from '../lib/stats';
import type { Benchmark } from '../lib/types';

const RUNS = 50;
const WARMUP = 3;
const P = 'arn:aws:elasticloadbalancing:us-east-1:000000000000';
const RULE = `${P}:listener-rule/app/bench/0000000000000001/0000000000000002/0000000000000003`;
const BLUE = `${P}:targetgroup/web-blue/0000000000000004`;
const GREEN = `${P}:targetgroup/web-green/0000000000000005`;

/** The first ModifyRule after `from` that forwards all of the rule's traffic to `stable`. */
function backOnStable(calls: readonly ElbCall[], from: number, stable: string): ElbCall | undefined {
  return calls.slice(from).find((c) => {
    if (c.operation !== 'ModifyRule' || c.error || c.input.RuleArn !== RULE) return false;
    const forward = (c.input.Actions as { Type?: string; ForwardConfig?: { TargetGroups?: { TargetGroupArn?: string; Weight?: number }[] } }[]).find((a) => a.Type === 'forward');
    const groups = forward?.ForwardConfig?.TargetGroups ?? [];
    return groups.every((g) => (g.TargetGroupArn === stable ? (g.Weight ?? 0) > 0 : g.Weight === 0));
  });
}

/** The first call after `from` that takes the canary task set to 0: scale 0, or deleting it. */
function canaryToZero(calls: readonly EcsCall[], from: number, canaryId: string): EcsCall | undefined {
  return calls.slice(from).find((c) => {
    const input = c.input as { taskSet?: string; scale?: { value?: number } };
    const isCanary = typeof input.taskSet === 'string' && (input.taskSet === canaryId || input.taskSet.endsWith(`/${canaryId}`));
    if (!isCanary || c.error) return false;
    return c.operation === 'DeleteTaskSet' || (c.operation === 'UpdateTaskSet' && input.scale?.value === 0);
  });
}

/** `runs` measured runs after `warmup`: alarm → traffic back on the stable group, with its references. */
export async function measureAlbRollback(runs = RUNS, warmup = WARMUP): ReturnType<Benchmark['run']> {
  const reg = await registry();
  const steps = ['- setWeight: 20', '- pause: { duration: 1h }', '- setWeight: 100'];
  const ws = await workspace(reg.host, [
    { name: 'web', repository: 'team/web', steps, alarms: ['web-5xx'], desiredCount: 4, extra: ['traffic:', `  alb: { listenerRule: ${RULE}, targetGroups: [${BLUE}, ${GREEN}] }`] },
    { name: 'counts', repository: 'team/counts', steps, alarms: ['counts-5xx'], desiredCount: 4 },
  ]);
  const total = runs + warmup;
  const webDigests = Array.from({ length: total }, newDigest);
  const countDigests = Array.from({ length: total }, newDigest);
  await pushSignatures(reg.host, 'team/web', webDigests, ws.keys.privateKeyPem);
  await pushSignatures(reg.host, 'team/counts', countDigests, ws.keys.privateKeyPem);
  // Health checks and the deregistration delay scaled down (50 ms × 2, 100 ms), so that each run's canary is healthy at once.
  const stack = await localStack({
    config: ws.config,
    taskStartMs: 5,
    steadyPollMs: 10,
    targetGroups: { healthCheck: { intervalSeconds: 0.05, healthyThreshold: 2 }, deregistrationDelaySeconds: 0.1 },
  });
  /** Pushes a digest of `service`, waits for its canary to bake, sets its alarm; answers the times from just before the PUT. */
  const alarmDuringBake = async (service: string, repository: string, digest: string) => {
    const { accepted } = await deliver(stack.url, reg.host, repository, digest);
    const id = accepted[0]!.rolloutId;
    const baking = await until(`rollout ${id} to bake`, async () => {
      const r = await stack.orchestrator.get(id);
      return r.wait?.for === 'bake' && r.ecs.canaryTaskSetId ? r : undefined;
    }, 30_000, 2);
    const fromEcs = stack.ecs.calls.length;
    const fromElb = stack.elbv2.calls.length;
    // The stable group is the one the rule forwards most to while the canary bakes at 20%.
    const stableGroup = service === 'web' ? (Object.entries(stack.elbv2.weights(RULE)).sort((a, b) => b[1] - a[1])[0]?.[0] ?? null) : null;
    const t = Date.now();
    const answer = await apiSend<{ rolledBack: string[] }>(stack.url, 'PUT', `/local/alarms/${service}-5xx`, { state: 'ALARM', reason: 'bench' });
    const answered = Date.now() - t;
    if (!answer.rolledBack.includes(id)) throw new Error(`alarm did not roll back ${id}: ${JSON.stringify(answer)}`);
    const zero = canaryToZero(stack.ecs.calls, fromEcs, baking.ecs.canaryTaskSetId!);
    if (!zero) throw new Error(`no ECS call took canary ${baking.ecs.canaryTaskSetId} to 0`);
    const moved = stableGroup ? backOnStable(stack.elbv2.calls, fromElb, stableGroup) : undefined;
    const after = await stack.orchestrator.get(id);
    if (after.status !== 'ROLLED_BACK') throw new Error(`rollout ${id} is ${after.status} after the alarm`);
    await apiSend(stack.url, 'PUT', `/local/alarms/${service}-5xx`, { state: 'OK' });
    return { toZero: zero.at - t, toStable: moved ? moved.at - t : null, answered, movedBeforeZero: moved ? moved.at <= zero.at : null };
  };
  try {
    const toStable: number[] = [];
    const albToZero: number[] = [];
    const albAnswered: number[] = [];
    const countsToZero: number[] = [];
    for (let i = 0; i < total; i++) {
      // Task counts first (today's path), then the same for the ALB service: each run measures both.
      const counts = await alarmDuringBake('counts', 'team/counts', countDigests[i]!);
      const alb = await alarmDuringBake('web', 'team/web', webDigests[i]!);
      if (alb.toStable === null) throw new Error('no ModifyRule forwarded all traffic back to the stable target group');
      if (!alb.movedBeforeZero) throw new Error('the canary was removed before traffic left it');
      if (i < warmup) continue;
      toStable.push(alb.toStable);
      albToZero.push(alb.toZero);
      albAnswered.push(alb.answered);
      countsToZero.push(counts.toZero);
    }
    const p50 = median(toStable);
    const p99 = percentile(toStable, 99);
    return {
      method: [
        `Local mode (\`startLocalStack\`, taskStartMs 5, steadyPollMs 10, the seeded target groups' health checks 50 ms × 2 and deregistration delay 100 ms) with two services \`steps: [setWeight 20, pause 1h, setWeight 100]\`, 4 tasks each: \`web\` with \`traffic.alb\` (a listener rule and a pair of target groups on the ELBv2 stand-in) watching \`web-5xx\`, and \`counts\` without a traffic section (traffic follows task counts) watching \`counts-5xx\`. Per run, for each service: push a signed digest (webhook), wait until the canary runs at 20% and bakes, then \`PUT /local/alarms/<alarm> {"state":"ALARM"}\` over HTTP; the alarm is set back to OK afterwards.`,
        `For \`web\` the time is from just before that request to the \`at\` of the ModifyRule that forwards 100% to the stable target group again (the ELBv2 stand-in's call log), and to the canary's DeleteTaskSet (the ECS emulator's); every run checks that traffic left the canary before it was removed. For \`counts\` it is to the ECS call that takes the canary to 0, as \`alarm-rollback\` measures. ${runs} runs after ${warmup} warm-up runs, the two services alternating.`,
      ],
      figures: [
        { metric: 'alarm → traffic back on the stable target group (ModifyRule): p50', value: `${fmt(p50)} ms`, reference: `${fmt(median(countsToZero))} ms`, referenceName: 'alarm → canary at 0 with task counts, p50', ratio: fmtRatio(p50 / median(countsToZero)) },
        { metric: 'alarm → traffic back on the stable target group (ModifyRule): p99', value: `${fmt(p99)} ms`, reference: `${fmt(percentile(countsToZero, 99))} ms`, referenceName: 'alarm → canary at 0 with task counts, p99', ratio: fmtRatio(p99 / percentile(countsToZero, 99)) },
        { metric: 'traffic.alb: alarm → canary removed (DeleteTaskSet): p50 / p99', value: `${fmt(median(albToZero))} / ${fmt(percentile(albToZero, 99))} ms` },
        { metric: 'traffic.alb: alarm request answered (rollout ROLLED_BACK): p50 / p99', value: `${fmt(median(albAnswered))} / ${fmt(percentile(albAnswered, 99))} ms` },
      ],
      targets: [{ target: 'alarm → traffic back on the stable target group: p99 ≤ 250 ms', measured: `p99 ${fmt(p99)} ms (p50 ${fmt(p50)}, max ${fmt(Math.max(...toStable))})`, met: p99 <= 250 }],
      analysis: [
        `With \`traffic.alb\` the rollback moves traffic before it touches ECS: after the ROLLING_BACK record is saved, the effect runner describes the service (DescribeServices, DescribeTaskSets) to find the pair's groups, reads the rule (DescribeRules) and sends one ModifyRule with the stable group at 100; the canary's DeleteTaskSet follows (${fmt(median(albToZero) - p50)} ms later at the median). With task counts the canary stops taking traffic only at that DeleteTaskSet, after the stable set is scaled back and made primary, so the ALB figure is the earlier of the two moments users see (ratio ${fmtRatio(p50 / median(countsToZero))} at the median).`,
        `Every step is a loopback round trip through the real SDK clients to dynalite, the ECS emulator or the ELBv2 stand-in, in one event loop shared with the rollout's own workflow, on 2 shared cores: the tail follows how busy the machine is. What would shorten it: keep the stable task set's target group on the record (it is known at the start), so that the ModifyRule needs no ECS describe first; in AWS the same chain is the alarm event's EventBridge delivery, a few DynamoDB calls, one DescribeRules and one ModifyRule inside one Lambda invocation.`,
      ],
      raw: { toStable, albToZero, albAnswered, countsToZero },
    };
  } finally {
    await stack.stop();
    await reg.stop();
    ws.cleanup();
  }
}

export const albRollback: Benchmark = {
  name: 'alb-rollback',
  title: 'Alarm → traffic back on the stable target group (traffic.alb) in local mode, beside alarm → canary at 0 with task counts',
  run: () => measureAlbRollback(),
};
