/**
 * What must be true before a rollout moves on, decided in one place from what was observed: its alarms
 * (an alarm in ALARM rolls a live canary back and holds a rollout whose canary does not exist yet;
 * INSUFFICIENT_DATA counts as the service's policy says), a steady stable task set to roll back to
 * before the canary is created, its image still in the registry (by digest), and room for the canary
 * within ECS's task sets per service. Every
 * reason is collected first, then one input is chosen: a reason to roll back wins, then the reasons to
 * hold (all of them, in one Hold), else the end of a hold.
 */
import type { RolloutInput } from './commands';
import type { Rollout } from './rollout';

export interface PreStepPolicy {
  /** The alarms the service watches. */
  readonly alarms: readonly string[];
  /** What INSUFFICIENT_DATA means: `ok` (nothing), `hold`, or `fail` (roll back). */
  readonly insufficientData: 'ok' | 'hold' | 'fail';
}

export interface PreStepObservations {
  /** Alarm states by name, as read now; an alarm missing here was not read (no verdict). */
  readonly alarmStates: Readonly<Record<string, string>>;
  /**
   * The stable task set, when it was looked at (only before the canary exists): `missing` when ECS
   * answered without it, null when ECS could not be read (no verdict).
   */
  readonly stable?: { readonly id: string; readonly steady: boolean; readonly runningCount: number } | 'missing' | null;
  /**
   * The service's task sets, counted when the stable set was looked at (before the canary exists):
   * every one that still exists, DRAINING ones included, and whether one of them is this rollout's
   * canary already (a create whose answer was lost). Absent: not looked at (no verdict).
   */
  readonly taskSets?: { readonly count: number; readonly draining: number; readonly ownCanary: boolean };
  /**
   * The stable task set's image, asked of its registry by digest (before the canary exists): a rollback
   * runs it again, so it must still be there. `present: false` when the registry has no such manifest.
   * Absent: not checked (no digest to check it by, a registry the configuration does not name, or a
   * registry that could not answer: no verdict).
   */
  readonly stableImage?: { readonly image: string; readonly present: boolean };
}

/** ECS's quota "Task sets per service" (not adjustable): a CreateTaskSet beyond it is refused. */
export const MAX_TASK_SETS_PER_SERVICE = 5;

/** True when the checks need a look at the stable task set: before the canary exists. */
export function needsStableLook(rollout: Rollout): boolean {
  return rollout.ecs.canaryTaskSetId === null && rollout.ecs.stableTaskSetId !== null;
}

/** The input the observations call for, or null when nothing changes. */
export function preStepVerdict(rollout: Rollout, policy: PreStepPolicy, seen: PreStepObservations): RolloutInput | null {
  const canaryLive = rollout.ecs.canaryTaskSetId !== null;
  const rollbacks: RolloutInput[] = [];
  const holds: string[] = [];

  const firing = policy.alarms.filter((n) => seen.alarmStates[n] === 'ALARM');
  const noData = policy.alarms.filter((n) => seen.alarmStates[n] === 'INSUFFICIENT_DATA');
  if (firing.length > 0 && canaryLive) rollbacks.push({ type: 'AlarmFired', alarm: firing[0]!, reason: 'in ALARM when checked before the next step' });
  if (firing.length > 0 && !canaryLive) {
    holds.push(`alarm ${firing.join(', ')} ${firing.length > 1 ? 'are' : 'is'} in ALARM; the canary starts once ${firing.length > 1 ? 'they are' : 'it is'} OK`);
  }
  if (noData.length > 0 && policy.insufficientData === 'fail') {
    rollbacks.push({ type: 'AlarmFired', alarm: noData[0]!, reason: 'INSUFFICIENT_DATA, which this service counts as failing (alarmPolicy.insufficientData: fail)' });
  }
  if (noData.length > 0 && policy.insufficientData === 'hold') holds.push(`alarm ${noData.join(', ')} has INSUFFICIENT_DATA (alarmPolicy.insufficientData: hold)`);

  const stable = seen.stable;
  if (stable === 'missing') rollbacks.push({ type: 'EcsFailed', message: `the stable task set ${rollout.ecs.stableTaskSetId} to roll back to is gone` });
  else if (stable && !stable.steady) holds.push(`the stable task set ${stable.id} to roll back to is not steady yet (${stable.runningCount} running)`);

  const image = seen.stableImage;
  if (image && !image.present) holds.push(`the stable image ${image.image} (the rollback target) is not in its registry; push it again (by digest) or fix the stable task set`);

  const taskSets = seen.taskSets;
  if (taskSets && !taskSets.ownCanary && taskSets.count >= MAX_TASK_SETS_PER_SERVICE) {
    holds.push(
      `the ECS service already has ${taskSets.count} task sets (${taskSets.draining} DRAINING), the most ECS allows ` +
        `(${MAX_TASK_SETS_PER_SERVICE}); the canary is created once one has drained`,
    );
  }

  if (rollbacks.length > 0) return rollbacks[0]!;
  if (holds.length > 0) return { type: 'Hold', reason: holds.join('; ') };
  return rollout.wait?.for === 'hold' ? { type: 'Unhold' } : null;
}
