/** The type of each entry in a rollout's event log: one per transition, named for what happened. */
export const EventType = {
  Created: 'CREATED',
  SignatureVerified: 'SIGNATURE_VERIFIED',
  SignatureMissing: 'SIGNATURE_MISSING',
  SignatureRejected: 'SIGNATURE_REJECTED',
  Queued: 'QUEUED',
  Started: 'STARTED',
  StartFailed: 'START_FAILED',
  CanaryCreated: 'CANARY_CREATED',
  StepStarted: 'STEP_STARTED',
  WeightSet: 'WEIGHT_SET',
  StepCompleted: 'STEP_COMPLETED',
  Paused: 'PAUSED',
  ManuallyPaused: 'MANUALLY_PAUSED',
  Resumed: 'RESUMED',
  Approved: 'APPROVED',
  Rejected: 'REJECTED',
  Aborted: 'ABORTED',
  Superseded: 'SUPERSEDED',
  Held: 'HELD',
  Unheld: 'UNHELD',
  SteadyTimeout: 'STEADY_TIMEOUT',
  ApprovalTimeout: 'APPROVAL_TIMEOUT',
  PromoteRequested: 'PROMOTE_REQUESTED',
  Promoting: 'PROMOTING',
  /** Blue-green: production switched to the new task set; the old one stays for scaleDownDelay. */
  Switched: 'SWITCHED',
  Succeeded: 'SUCCEEDED',
  AlarmFired: 'ALARM_FIRED',
  EcsError: 'ECS_ERROR',
  WorkflowError: 'WORKFLOW_ERROR',
  RollbackStarted: 'ROLLBACK_STARTED',
  RollbackWaiting: 'ROLLBACK_WAITING',
  RolledBack: 'ROLLED_BACK',
  RollbackFailed: 'ROLLBACK_FAILED',
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

export interface RolloutEvent {
  /** ISO-8601 UTC. */
  readonly at: string;
  readonly type: EventType;
  readonly message: string;
  /** Position in the rollout's log, from 0: the store keys the append-only log by it. */
  readonly seq: number;
}
