/**
 * What only the load balancer knows about a blue-green service's `blueGreen.previewListenerRule`
 * (docs/configuration.md#bluegreen): the rule exists, is on the load balancer of the production rule
 * (`traffic.alb`; a target group serves one load balancer, so a rule of another could not forward to the
 * pair), which is an Application Load Balancer, and forwards to the pair's groups and nothing else (a
 * rollout points it at the new set's group). Pure: a rollout's start (shared/orchestration/alb-preflight.ts) and
 * `rollout doctor` read ELBv2 and ask this.
 */
import type { AlbPair, AlbProblem, AnchorReading } from './alb-checks';

const FIELD = 'blueGreen.previewListenerRule';

/**
 * Every problem of the preview rule `previewArn`, read as `reading`; empty when a rollout can point it
 * at the new task set. `productionLoadBalancerArn`: the load balancer of `traffic.alb`'s rule or
 * listener, when it exists (null: not compared).
 */
export function previewRuleProblems(alb: AlbPair, previewArn: string, reading: AnchorReading, productionLoadBalancerArn: string | null): AlbProblem[] {
  const problems: AlbProblem[] = [];
  const add = (problem: string, fix: string) => problems.push({ field: FIELD, problem, fix });
  const production = alb.listenerRule !== undefined ? 'traffic.alb.listenerRule' : 'traffic.alb.listener';
  const lb = reading.loadBalancer;
  if (lb === null) {
    add(`the load balancer of listener rule ${previewArn} does not exist`, `correct ${FIELD}: a rule of a test listener on the load balancer of ${production}`);
    return problems;
  }
  if (lb.type !== 'application') {
    add(`load balancer ${lb.arn} is a ${lb.type} load balancer: a preview rule needs an Application Load Balancer`, `name a rule of a test listener of an Application Load Balancer in ${FIELD}`);
  }
  if (productionLoadBalancerArn !== null && lb.arn !== productionLoadBalancerArn) {
    add(
      `listener rule ${previewArn} is on load balancer ${lb.arn}, ${production} on ${productionLoadBalancerArn}: a target group serves one load balancer, so the preview rule cannot forward to the pair`,
      `name a rule of a test listener of load balancer ${productionLoadBalancerArn} in ${FIELD}`,
    );
  }
  if (reading.anchor === null) {
    add(`listener rule ${previewArn} does not exist`, `correct ${FIELD}, or create the rule on a test listener of the load balancer, forwarding to ${alb.targetGroups[0]}`);
  } else if (reading.anchor.forwards === null) {
    add(`listener rule ${previewArn} has no forward action: it cannot send the preview to the new task set`, `make the rule's last action a forward to ${alb.targetGroups[0]}`);
  } else {
    const pair = new Set<string>(alb.targetGroups);
    const strangers = reading.anchor.forwards.filter((group) => !pair.has(group.arn)).map((group) => group.arn);
    if (strangers.length > 0) {
      add(`listener rule ${previewArn} forwards to ${strangers.join(', ')}, outside traffic.alb.targetGroups: a rollout could not point it at the new task set alone`, `make the rule forward to one of traffic.alb.targetGroups (${alb.targetGroups[0]})`);
    } else if (reading.anchor.forwards.length === 0) {
      add(`listener rule ${previewArn} forwards to no target group of the pair`, `make the rule forward to ${alb.targetGroups[0]}`);
    }
  }
  return problems;
}
