import { describe, expect, it } from 'vitest';
import { configWith, load, problems } from './config-fixtures';

const P = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012';
const RULE = `${P}:listener-rule/app/web/0123456789abcdef/1123456789abcdef/2123456789abcdef`;
const LISTENER = `${P}:listener/app/web/0123456789abcdef/1123456789abcdef`;
const BLUE = `${P}:targetgroup/web-blue/3123456789abcdef`;
const GREEN = `${P}:targetgroup/web-green/4123456789abcdef`;

describe("a service's traffic section", () => {
  it('is absent by default: traffic follows task counts', async () => {
    expect((await load(configWith())).services.web).not.toHaveProperty('traffic');
  });

  it('reads an ALB listener rule or a listener with its pair of target groups', async () => {
    expect((await load(configWith({ traffic: { alb: { listenerRule: RULE, targetGroups: [BLUE, GREEN] } } }))).services.web?.traffic).toEqual({
      alb: { listenerRule: RULE, targetGroups: [BLUE, GREEN] },
    });
    expect((await load(configWith({ traffic: { alb: { listener: LISTENER, targetGroups: [GREEN, BLUE] } } }))).services.web?.traffic).toEqual({
      alb: { listener: LISTENER, targetGroups: [GREEN, BLUE] },
    });
  });

  it.each([
    ['both a rule and a listener', { listenerRule: RULE, listener: LISTENER, targetGroups: [BLUE, GREEN] }, 'services.web.traffic.alb: must name either listenerRule (a rule) or listener (its default action), not both'],
    ['neither', { targetGroups: [BLUE, GREEN] }, 'services.web.traffic.alb: must name either listenerRule (a rule) or listener (its default action), not both'],
    ['one target group', { listenerRule: RULE, targetGroups: [BLUE] }, 'services.web.traffic.alb.targetGroups: must list exactly two target groups'],
    ['the same group twice', { listenerRule: RULE, targetGroups: [BLUE, BLUE] }, 'services.web.traffic.alb.targetGroups[1]: must be two distinct target groups'],
    ['a listener as the rule', { listenerRule: LISTENER, targetGroups: [BLUE, GREEN] }, 'services.web.traffic.alb.listenerRule: is a listener ARN, not a listener rule ARN (use listener: for a listener default action)'],
    ['a rule as the listener', { listener: RULE, targetGroups: [BLUE, GREEN] }, 'services.web.traffic.alb.listener: is a listener rule ARN, not a listener ARN'],
    ['a listener as a target group', { listenerRule: RULE, targetGroups: [BLUE, LISTENER] }, 'services.web.traffic.alb.targetGroups[1]: is a listener ARN, not a target group ARN'],
    ['a Network Load Balancer', { listener: LISTENER.replace('/app/', '/net/'), targetGroups: [BLUE, GREEN] }, 'services.web.traffic.alb.listener: is a Network Load Balancer listener'],
    ["a Network Load Balancer's rule", { listenerRule: RULE.replace('/app/', '/net/'), targetGroups: [BLUE, GREEN] }, "services.web.traffic.alb.listenerRule: is a Network Load Balancer's: a Network Load Balancer has no listener rules"],
    ['not an ARN', { listenerRule: 'web-rule', targetGroups: [BLUE, GREEN] }, 'services.web.traffic.alb.listenerRule: must be a listener rule ARN, like arn:aws:elasticloadbalancing:'],
    ['a group of another region', { listenerRule: RULE, targetGroups: [BLUE, GREEN.replace('eu-west-1', 'us-east-1')] }, 'services.web.traffic.alb.targetGroups[1]: must be in the region and account of the listener rule (eu-west-1:123456789012)'],
    ['an unknown key', { listenerRule: RULE, targetGroups: [BLUE, GREEN], weights: [1] }, "services.web.traffic.alb: unknown key 'weights'"],
  ])('refuses %s, naming the field', async (_name, alb, message) => {
    const found = await problems(configWith({ traffic: { alb } }));
    expect(found).toEqual([expect.stringContaining(message)]);
  });
});
