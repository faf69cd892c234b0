/**
 * Why a weight is not steady yet, in words, from what ECS shows of the two task sets: tasks not
 * started, targets not healthy yet (every task runs but ECS does not report STEADY_STATE, which also
 * waits for load balancer health checks), or tasks still stopping (draining). Pure: the caller reads ECS.
 */

export interface TaskSetProgress {
  /** `canary` or `stable`. */
  readonly role: string;
  readonly id: string;
  /** PRIMARY, ACTIVE or DRAINING. */
  readonly status: string;
  readonly steady: boolean;
  readonly runningCount: number;
  /** The computed desired count, when known. */
  readonly desiredCount?: number;
  readonly pendingCount?: number;
}

function reasonFor(set: TaskSetProgress): string | null {
  if (set.steady) return null;
  const { role, runningCount: running, desiredCount: wanted, pendingCount: pending = 0 } = set;
  if (set.status === 'DRAINING') return `${role} task set ${set.id} is DRAINING (${running} tasks still running)`;
  if (wanted !== undefined && running < wanted) {
    return `${role} tasks not started: ${running} of ${wanted} running${pending > 0 ? `, ${pending} pending` : ''}`;
  }
  if (wanted !== undefined && running > wanted) return `${role} tasks draining: ${running} running, ${wanted} wanted`;
  return `${role} targets not healthy yet: ${running} of ${wanted ?? running} tasks running, not STEADY_STATE`;
}

/** Every reason the task sets give, joined; null when all of them are steady. */
export function unsteadyReason(sets: readonly TaskSetProgress[]): string | null {
  const reasons = sets.map(reasonFor).filter((reason): reason is string => reason !== null);
  return reasons.length > 0 ? reasons.join('; ') : null;
}
