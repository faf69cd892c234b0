import { describe, expect, it } from 'vitest';
import type { AnchorReading } from '../../../shared/core/alb-checks';
import { previewRuleProblems } from '../../../shared/core/preview-rule-checks';

const P = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012';
const LB = `${P}:loadbalancer/app/web/0123456789abcdef`;
const OTHER_LB = `${P}:loadbalancer/app/other/1123456789abcdef`;
const RULE = `${P}:listener-rule/app/web/0123456789abcdef/0123456789abcdef/0123456789abcdef`;
const PREVIEW = `${P}:listener-rule/app/web/0123456789abcdef/1123456789abcdef/2123456789abcdef`;
const BLUE = `${P}:targetgroup/web-blue/0123456789abcdef`;
const GREEN = `${P}:targetgroup/web-green/0123456789abcdef`;
const STRAY = `${P}:targetgroup/stray/0123456789abcdef`;
const ALB = { listenerRule: RULE, targetGroups: [BLUE, GREEN] as const };

const reading = (over: Partial<AnchorReading> = {}): AnchorReading => ({
  loadBalancer: { arn: LB, type: 'application', vpcId: 'vpc-1' },
  anchor: { forwards: [{ arn: BLUE, weight: 1 }] },
  ...over,
});
const problems = (r: AnchorReading, production: string | null = LB) => previewRuleProblems(ALB, PREVIEW, r, production).map((p) => `${p.field}: ${p.problem}`);

describe('the preview rule checks of blueGreen', () => {
  it.each([
    ['forwarding to the first group of the pair', reading()],
    ['forwarding to the second', reading({ anchor: { forwards: [{ arn: GREEN, weight: 1 }] } })],
    ['forwarding to both (as a rollout leaves it)', reading({ anchor: { forwards: [{ arn: BLUE, weight: 0 }, { arn: GREEN, weight: 100 }] } })],
  ])('pass a rule of production\'s load balancer %s', (_name, r) => {
    expect(problems(r)).toEqual([]);
  });

  it.each([
    ['a missing load balancer', reading({ loadBalancer: null, anchor: null }), [`the load balancer of listener rule ${PREVIEW} does not exist`]],
    ['a missing rule', reading({ anchor: null }), [`listener rule ${PREVIEW} does not exist`]],
    ['no forward action', reading({ anchor: { forwards: null } }), [`listener rule ${PREVIEW} has no forward action: it cannot send the preview to the new task set`]],
    ['a forward to no group', reading({ anchor: { forwards: [] } }), [`listener rule ${PREVIEW} forwards to no target group of the pair`]],
    [
      'a group outside the pair',
      reading({ anchor: { forwards: [{ arn: BLUE, weight: 1 }, { arn: STRAY, weight: 1 }] } }),
      [`listener rule ${PREVIEW} forwards to ${STRAY}, outside traffic.alb.targetGroups: a rollout could not point it at the new task set alone`],
    ],
    [
      'another load balancer',
      reading({ loadBalancer: { arn: OTHER_LB, type: 'application', vpcId: 'vpc-1' } }),
      [`listener rule ${PREVIEW} is on load balancer ${OTHER_LB}, traffic.alb.listenerRule on ${LB}: a target group serves one load balancer, so the preview rule cannot forward to the pair`],
    ],
    ['a load balancer that is not an Application Load Balancer', reading({ loadBalancer: { arn: LB, type: 'network', vpcId: 'vpc-1' } }), [`load balancer ${LB} is a network load balancer: a preview rule needs an Application Load Balancer`]],
  ])('refuse %s, naming the field', (_name, r, expected) => {
    expect(problems(r)).toEqual(expected.map((problem) => `blueGreen.previewListenerRule: ${problem}`));
  });

  it('compare load balancers only when production\'s was read', () => {
    expect(problems(reading({ loadBalancer: { arn: OTHER_LB, type: 'application', vpcId: 'vpc-1' } }), null)).toEqual([]);
  });
});
