/**
 * A target's health derived from the clock, as Elastic Load Balancing reports it: `initial` from its
 * registration until it has passed the healthy threshold of consecutive checks (interval × threshold),
 * then `healthy`; `draining` for the deregistration delay after it is deregistered, then gone;
 * `unused` while no listener rule forwards to its target group. `unhealthy` only when a test makes the
 * group's checks fail (then after interval × unhealthy threshold).
 */
import type { StoredTarget, StoredTargetGroup } from './types';

export type TargetState = 'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining';

export interface TargetHealthReading {
  readonly state: TargetState;
  readonly reason?: string;
  readonly description?: string;
  /** When this reading changes by itself (the next health or drain milestone); null when it does not. */
  readonly changesAt: number | null;
}

export interface HealthContext {
  /** Whether a listener rule (or default action) forwards to the group. */
  readonly inUse: boolean;
  /** Since when the group's health checks fail (a fault); null when they pass. */
  readonly failingSince: number | null;
}

/** When a registered target first reports healthy. */
export const healthyAt = (group: StoredTargetGroup, target: StoredTarget): number =>
  target.registeredAt + group.healthCheck.intervalSeconds * group.healthCheck.healthyThreshold * 1000;

/** When a deregistered target has drained and is gone. */
export const drainedAt = (group: StoredTargetGroup, target: StoredTarget): number | null =>
  target.deregisteredAt === undefined ? null : target.deregisteredAt + group.deregistrationDelaySeconds * 1000;

export function readTargetHealth(group: StoredTargetGroup, target: StoredTarget, now: number, context: HealthContext): TargetHealthReading {
  const drained = drainedAt(group, target);
  if (drained !== null) {
    return { state: 'draining', reason: 'Target.DeregistrationInProgress', description: 'Target deregistration is in progress', changesAt: drained };
  }
  if (!context.inUse) {
    return { state: 'unused', reason: 'Target.NotInUse', description: 'Target group is not configured to receive traffic from the load balancer', changesAt: null };
  }
  const { intervalSeconds, unhealthyThreshold } = group.healthCheck;
  if (context.failingSince !== null) {
    const since = Math.max(context.failingSince, target.registeredAt);
    const failedAt = since + intervalSeconds * unhealthyThreshold * 1000;
    if (now >= failedAt) {
      return { state: 'unhealthy', reason: 'Target.FailedHealthChecks', description: 'Health checks failed', changesAt: null };
    }
  }
  const healthy = healthyAt(group, target);
  if (now < healthy) {
    const checking = now >= target.registeredAt + intervalSeconds * 1000;
    return checking
      ? { state: 'initial', reason: 'Elb.InitialHealthChecking', description: 'Initial health checks in progress', changesAt: healthy }
      : { state: 'initial', reason: 'Elb.RegistrationInProgress', description: 'Target registration is in progress', changesAt: healthy };
  }
  return { state: 'healthy', changesAt: null };
}
