/**
 * What only the load balancer knows about a service's `traffic.alb`, checked before a rollout touches
 * anything (docs/configuration.md#traffic): the load balancer is an Application Load Balancer, the rule
 * (or the listener's default action) forwards to the pair and nothing else, each group of the pair
 * exists, belongs to an Application Load Balancer, and shares the load balancer's VPC and the other
 * group's protocol, and the stable task set is registered with one of the pair. Pure: the adapter reads
 * ELBv2 (or the local stand-in), the rollout's start and `rollout doctor` both ask this.
 */
import { DEFAULT_STEADY_TIMEOUT_SECONDS, type SteadyTimeoutAllowance, type TargetGroupTiming, healthySeconds, steadyTimeoutFor } from './steady-timeout';

/** The `traffic.alb` section, as configured (shared/config/traffic-schema.ts). */
export interface AlbPair {
  readonly listenerRule?: string;
  readonly listener?: string;
  readonly targetGroups: readonly [string, string];
}

export interface LoadBalancerReading {
  readonly arn: string;
  /** `application`, `network` or `gateway`. */
  readonly type: string;
  readonly vpcId: string;
}

export interface TargetGroupReading extends TargetGroupTiming {
  readonly arn: string;
  /** HTTP or HTTPS for an Application Load Balancer's; TCP, TLS, UDP, TCP_UDP for a Network one's; GENEVE for a Gateway one's. */
  readonly protocol: string;
  readonly vpcId: string;
  /** The load balancers whose rules forward to it. */
  readonly loadBalancerArns: readonly string[];
}

/** What ELBv2 shows of a listener rule (or a listener's default action); null where it does not exist. */
export interface AnchorReading {
  /** The load balancer the rule or listener belongs to (from its ARN). */
  readonly loadBalancer: LoadBalancerReading | null;
  /**
   * The rule (or the listener's default action): `forwards` lists the groups its one forward action
   * sends to with their weights, null when it has no forward action (or more than one).
   */
  readonly anchor: { readonly forwards: readonly { readonly arn: string; readonly weight: number }[] | null } | null;
}

/** What ELBv2 shows of a service's `traffic.alb`; null where the resource does not exist. */
export interface AlbReading extends AnchorReading {
  /** The groups of the pair, in the configured order. */
  readonly targetGroups: readonly [TargetGroupReading | null, TargetGroupReading | null];
}

export interface AlbProblem {
  /** The field of the service's section at fault, `traffic.alb.targetGroups[1]`. */
  readonly field: string;
  /** What is wrong, naming the AWS resource. */
  readonly problem: string;
  /** How to fix it. */
  readonly fix: string;
}

const PROTOCOLS_OF_APPLICATION = new Set(['HTTP', 'HTTPS']);

/** The kind of load balancer a target group serves, from its protocol and the load balancers using it. */
function loadBalancerKind(group: TargetGroupReading): 'application' | 'network' | 'gateway' {
  if (group.protocol === 'GENEVE' || group.loadBalancerArns.some((arn) => arn.includes(':loadbalancer/gwy/'))) return 'gateway';
  if (!PROTOCOLS_OF_APPLICATION.has(group.protocol) || group.loadBalancerArns.some((arn) => arn.includes(':loadbalancer/net/'))) return 'network';
  return 'application';
}

/**
 * Every problem, in the order they would bite; empty when a rollout can move this service's traffic.
 * `stableTargetGroupArn`: the target group the service's PRIMARY task set is registered with, when ECS
 * was read (undefined: not checked).
 */
export function albProblems(alb: AlbPair, reading: AlbReading, stableTargetGroupArn?: string | null): AlbProblem[] {
  const problems: AlbProblem[] = [];
  const anchorField = alb.listenerRule !== undefined ? 'traffic.alb.listenerRule' : 'traffic.alb.listener';
  const anchorArn = alb.listenerRule ?? alb.listener ?? '';
  const anchorWord = alb.listenerRule !== undefined ? 'listener rule' : 'listener';
  const add = (field: string, problem: string, fix: string) => problems.push({ field, problem, fix });

  const lb = reading.loadBalancer;
  if (lb === null) {
    add(anchorField, `the load balancer of ${anchorWord} ${anchorArn} does not exist`, `correct ${anchorField}, or create the load balancer in that region and account`);
    return problems;
  }
  if (lb.type !== 'application') {
    add(anchorField, `load balancer ${lb.arn} is a ${lb.type} load balancer: weighted target groups need an Application Load Balancer`, `name a rule or listener of an Application Load Balancer in ${anchorField}`);
  }
  if (reading.anchor === null) {
    add(anchorField, `${anchorWord} ${anchorArn} does not exist`, `correct ${anchorField}, or create the ${anchorWord}`);
  } else if (reading.anchor.forwards === null) {
    add(anchorField, `${anchorWord} ${anchorArn} has no forward action: its weights cannot carry the split`, `make the ${anchorWord}'s last action a forward to ${alb.targetGroups[0]}`);
  } else {
    const pair = new Set<string>(alb.targetGroups);
    const strangers = reading.anchor.forwards.filter((group) => !pair.has(group.arn)).map((group) => group.arn);
    if (strangers.length > 0) {
      add(anchorField, `${anchorWord} ${anchorArn} forwards to ${strangers.join(', ')}, outside traffic.alb.targetGroups: its weights would not be the configured split`, `make the ${anchorWord} forward to the pair only, or list the groups it forwards to in traffic.alb.targetGroups`);
    } else if (reading.anchor.forwards.length === 0) {
      add(anchorField, `${anchorWord} ${anchorArn} forwards to no target group of the pair`, `make the ${anchorWord} forward to ${alb.targetGroups[0]}`);
    }
  }

  const [a, b] = reading.targetGroups;
  reading.targetGroups.forEach((group, i) => {
    const field = `traffic.alb.targetGroups[${i}]`;
    if (group === null) {
      add(field, `target group ${alb.targetGroups[i]} does not exist`, `correct ${field}, or create the target group (protocol HTTP or HTTPS, target type ip, in VPC ${lb.vpcId})`);
      return;
    }
    const kind = loadBalancerKind(group);
    if (kind !== 'application') {
      add(field, `target group ${group.arn} (${group.protocol}) is a ${kind === 'network' ? 'Network' : 'Gateway'} Load Balancer's: an Application Load Balancer cannot forward to it`, `name an HTTP or HTTPS target group in ${field}`);
    }
    const others = group.loadBalancerArns.filter((arn) => arn !== lb.arn);
    if (others.length > 0) {
      add(field, `target group ${group.arn} already serves load balancer ${others.join(', ')}: a target group serves one load balancer`, `give ${field} a target group of its own`);
    }
    if (group.vpcId !== lb.vpcId) {
      add(field, `target group ${group.arn} is in VPC ${group.vpcId}, the load balancer ${lb.arn} in ${lb.vpcId}`, `name a target group in VPC ${lb.vpcId} in ${field}`);
    }
  });
  if (a && b && a.protocol !== b.protocol) {
    add('traffic.alb.targetGroups[1]', `target group ${b.arn} uses ${b.protocol}, the other of the pair (${a.arn}) ${a.protocol}: the stable and the canary must be reached alike`, 'use two target groups of the same protocol (and port) for the pair');
  }

  if (stableTargetGroupArn !== undefined && !alb.targetGroups.includes(stableTargetGroupArn ?? '')) {
    add(
      'traffic.alb.targetGroups',
      `the PRIMARY task set is registered with ${stableTargetGroupArn ?? 'no target group'}, not with one of the pair: traffic could not be moved back to it`,
      `register the PRIMARY task set with ${alb.targetGroups[0]} (its loadBalancers), or list its target group in traffic.alb.targetGroups`,
    );
  }
  return problems;
}

/** One line for a rollout's reason: every problem with its field. */
export function albProblemsText(problems: readonly AlbProblem[]): string {
  return problems.map((p) => `${p.field}: ${p.problem}`).join('; ');
}

/**
 * The steady timeout the pair's health checks and deregistration delay need (shared/core/steady-timeout.ts),
 * never less than `atLeastSeconds` (the service's default), with the basis in words for the record.
 */
export function albSteadyTimeout(
  groups: readonly TargetGroupReading[],
  allowance: SteadyTimeoutAllowance = {},
): { readonly seconds: number; readonly basis: string } {
  const timings = groups.map(({ healthCheckIntervalSeconds, healthyThresholdCount, deregistrationDelaySeconds }) => ({ healthCheckIntervalSeconds, healthyThresholdCount, deregistrationDelaySeconds }));
  const seconds = steadyTimeoutFor(timings, { atLeastSeconds: DEFAULT_STEADY_TIMEOUT_SECONDS, ...allowance });
  const slowest = [...groups].sort((x, y) => healthySeconds(y) + y.deregistrationDelaySeconds - (healthySeconds(x) + x.deregistrationDelaySeconds))[0];
  const basis = slowest
    ? `target group ${slowest.arn}: health check ${slowest.healthyThresholdCount} × ${slowest.healthCheckIntervalSeconds}s, deregistration delay ${slowest.deregistrationDelaySeconds}s`
    : 'no target group';
  return { seconds, basis };
}
