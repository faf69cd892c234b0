/**
 * How a canary weight becomes traffic, in each traffic mode (docs/configuration.md#traffic). Pure.
 *
 * - `taskCount` (no `traffic` section): both task sets share one target group, so traffic follows
 *   running tasks: the canary is scaled to the weight and the stable set to the rest.
 * - `alb` (`traffic.alb`): each task set has its own target group of the pair and the listener rule's
 *   weighted forward carries the exact weight; the stable set stays at full size until promotion and
 *   the canary runs at least enough tasks for its share (at least one).
 */
export type TrafficMode = 'taskCount' | 'alb';

export interface TaskSetScales {
  /** Percent of the service's desired count. */
  readonly canary: number;
  readonly stable: number;
}

/** ECS `scale` percentages that carry `canaryWeight` in `mode`. At 1% ECS runs one task (it rounds up). */
export const taskSetScales = (mode: TrafficMode, canaryWeight: number): TaskSetScales =>
  mode === 'alb' ? { canary: Math.max(1, canaryWeight), stable: 100 } : { canary: canaryWeight, stable: 100 - canaryWeight };

/** ECS's computed desired count of a task set: ceil(desired × scale / 100). */
export const tasksAt = (desiredCount: number, scale: number): number => Math.ceil((desiredCount * scale) / 100);

/** The canary's share of traffic when it follows running tasks (one shared target group), 0–100. */
export const taskCountShare = (canaryTasks: number, stableTasks: number): number =>
  canaryTasks + stableTasks === 0 ? 0 : Math.round((100 * canaryTasks) / (canaryTasks + stableTasks));

/** The share of traffic a weighted forward gives one of its target groups, 0–100. */
export const weightedShare = (weight: number, total: number): number => (total === 0 ? 0 : Math.round((100 * weight) / total));

/** Points a traffic share may differ from the configured weight before the step is reported as coarse. */
export const COARSE_SHARE_POINTS = 5;

/** The canary's share of traffic that task counts give `canaryWeight` at `desiredCount` (ECS rounds each set up). */
export const taskCountShareAt = (desiredCount: number, canaryWeight: number): number =>
  canaryWeight === 0 || canaryWeight === 100
    ? canaryWeight
    : taskCountShare(tasksAt(desiredCount, canaryWeight), tasksAt(desiredCount, 100 - canaryWeight));

/** Whether a share is too far from its weight (more than COARSE_SHARE_POINTS) to call the step what it says. */
export const isCoarse = (canaryWeight: number, share: number): boolean => Math.abs(share - canaryWeight) > COARSE_SHARE_POINTS;

/**
 * The `setWeight` steps task counts cannot express at `desiredCount`: with one task every step between
 * 0 and 100 is all or half, otherwise a share more than COARSE_SHARE_POINTS off the weight.
 */
export function coarseSteps(weights: readonly (number | null)[], desiredCount: number): { readonly step: number; readonly weight: number; readonly share: number }[] {
  return weights.flatMap((weight, step) => {
    if (weight === null || weight === 0 || weight === 100) return [];
    const share = taskCountShareAt(desiredCount, weight);
    return desiredCount === 1 || isCoarse(weight, share) ? [{ step, weight, share }] : [];
  });
}
