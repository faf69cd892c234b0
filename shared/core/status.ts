/** Where a rollout stands. The API, the store, the core and the workflow all use these values. */
export const RolloutStatus = {
  Pending: 'PENDING',
  Progressing: 'PROGRESSING',
  Paused: 'PAUSED',
  /**
   * Blue-green: production switched to the new task set, the old one still at full size for the
   * service's `scaleDownDelay`; an alarm or an abort switches back at once.
   */
  Promoting: 'PROMOTING',
  Succeeded: 'SUCCEEDED',
  RollingBack: 'ROLLING_BACK',
  RolledBack: 'ROLLED_BACK',
  Rejected: 'REJECTED',
  Failed: 'FAILED',
} as const;
export type RolloutStatus = (typeof RolloutStatus)[keyof typeof RolloutStatus];
export const ROLLOUT_STATUSES = Object.values(RolloutStatus) as [RolloutStatus, ...RolloutStatus[]];

/** Statuses after which nothing happens any more without a human (FAILED may be aborted again to retry the rollback). */
const TERMINAL: ReadonlySet<RolloutStatus> = new Set([
  RolloutStatus.Succeeded,
  RolloutStatus.RolledBack,
  RolloutStatus.Rejected,
  RolloutStatus.Failed,
]);

export function isTerminal(status: RolloutStatus): boolean {
  return TERMINAL.has(status);
}

/** A rollout that may have changed ECS and has not yet ended: it holds the service lock. */
export function holdsEcs(status: RolloutStatus): boolean {
  return (
    status === RolloutStatus.Progressing ||
    status === RolloutStatus.Paused ||
    status === RolloutStatus.Promoting ||
    status === RolloutStatus.RollingBack
  );
}

export const StepStatus = {
  Pending: 'PENDING',
  Running: 'RUNNING',
  Completed: 'COMPLETED',
  Skipped: 'SKIPPED',
} as const;
export type StepStatus = (typeof StepStatus)[keyof typeof StepStatus];
