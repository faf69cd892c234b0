import { describe, expect, it } from 'vitest';
import { type AlbReading, type TargetGroupReading, albProblems, albSteadyTimeout } from '../../../shared/core/alb-checks';
import { transition } from '../../../shared/core/transition';
import { T0, apply, newRollout, started, verified } from './rollout-builders';

const P = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012';
const LB = `${P}:loadbalancer/app/web/0123456789abcdef`;
const RULE = `${P}:listener-rule/app/web/0123456789abcdef/0123456789abcdef/0123456789abcdef`;
const BLUE = `${P}:targetgroup/web-blue/0123456789abcdef`;
const GREEN = `${P}:targetgroup/web-green/0123456789abcdef`;
const ALB = { listenerRule: RULE, targetGroups: [BLUE, GREEN] as const };

const group = (arn: string, over: Partial<TargetGroupReading> = {}): TargetGroupReading => ({
  arn,
  protocol: 'HTTP',
  vpcId: 'vpc-1',
  loadBalancerArns: [LB],
  healthCheckIntervalSeconds: 30,
  healthyThresholdCount: 5,
  deregistrationDelaySeconds: 300,
  ...over,
});
const reading = (over: Partial<AlbReading> = {}): AlbReading => ({
  loadBalancer: { arn: LB, type: 'application', vpcId: 'vpc-1' },
  anchor: { forwards: [{ arn: BLUE, weight: 1 }] },
  targetGroups: [group(BLUE), group(GREEN, { loadBalancerArns: [] })],
  ...over,
});
const problems = (r: AlbReading, stable: string | null = BLUE) => albProblems(ALB, r, stable).map((p) => p.problem);

describe('albProblems', () => {
  it('passes a rule forwarding to the pair (or to one of it) with the stable set in the pair', () => {
    expect(albProblems(ALB, reading(), BLUE)).toEqual([]);
    expect(albProblems(ALB, reading({ anchor: { forwards: [{ arn: BLUE, weight: 0 }, { arn: GREEN, weight: 100 }] } }), GREEN)).toEqual([]);
    // ECS not read: the stable set is not checked.
    expect(albProblems(ALB, reading())).toEqual([]);
  });

  it.each([
    ['a missing load balancer, and nothing more', reading({ loadBalancer: null, anchor: null, targetGroups: [null, null] }), [`the load balancer of listener rule ${RULE} does not exist`]],
    ['a Gateway Load Balancer group', reading({ targetGroups: [group(BLUE), group(GREEN, { protocol: 'GENEVE', loadBalancerArns: [] })] }), [
      `target group ${GREEN} (GENEVE) is a Gateway Load Balancer's: an Application Load Balancer cannot forward to it`,
      `target group ${GREEN} uses GENEVE, the other of the pair (${BLUE}) HTTP: the stable and the canary must be reached alike`,
    ]],
    ['a load balancer that is not an application one', reading({ loadBalancer: { arn: LB, type: 'network', vpcId: 'vpc-1' } }), [
      `load balancer ${LB} is a network load balancer: weighted target groups need an Application Load Balancer`,
    ]],
    ['a forward to nothing', reading({ anchor: { forwards: [] } }), [`listener rule ${RULE} forwards to no target group of the pair`]],
  ])('refuses %s', (_what, r, expected) => {
    expect(problems(r)).toEqual(expected);
  });

  it('names the field of each problem, with a fix', () => {
    const found = albProblems(ALB, reading({ targetGroups: [group(BLUE), null] }), null);
    expect(found).toEqual([
      { field: 'traffic.alb.targetGroups[1]', problem: `target group ${GREEN} does not exist`, fix: expect.stringContaining('in VPC vpc-1') },
      { field: 'traffic.alb.targetGroups', problem: expect.stringContaining('the PRIMARY task set is registered with no target group'), fix: expect.stringContaining(BLUE) },
    ]);
  });
});

describe('albSteadyTimeout', () => {
  it("is the slower group's need, at least the default, with its basis", () => {
    expect(albSteadyTimeout([group(BLUE, { deregistrationDelaySeconds: 0, healthCheckIntervalSeconds: 5, healthyThresholdCount: 2 })])).toEqual({
      seconds: 600,
      basis: `target group ${BLUE}: health check 2 × 5s, deregistration delay 0s`,
    });
    expect(albSteadyTimeout([group(BLUE), group(GREEN, { deregistrationDelaySeconds: 900 })]).seconds).toBe((120 + 150 + 900) * 2);
    expect(albSteadyTimeout([group(BLUE)], { atLeastSeconds: 60, taskStartSeconds: 0, margin: 1 }).seconds).toBe(450);
  });
});

describe('Started with the steady timeout of the target groups', () => {
  it('keeps it on the record and says where it came from', () => {
    const before = apply(newRollout(), [verified]);
    const { rollout } = transition(before, { ...(started as Extract<typeof started, { type: 'Started' }>), steadyTimeout: { seconds: 1140, basis: `target group ${BLUE}: health check 5 × 30s, deregistration delay 300s` } }, T0);
    expect(rollout.steadyTimeoutSeconds).toBe(1140);
    expect(rollout.events.at(-1)!.message).toMatch(/; steady timeout 1140s, from target group .*web-blue.*: health check 5 × 30s, deregistration delay 300s$/);
    // Without it, the timeout of the config stays.
    expect(transition(before, started, T0).rollout.steadyTimeoutSeconds).toBe(before.steadyTimeoutSeconds);
  });
});
