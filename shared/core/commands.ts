import type { SignatureInfo } from './rollout';

/**
 * Everything that can happen to a rollout. The core decides what each means for the record;
 * whoever observed it (webhook, workflow step, API, alarm) only reports it.
 */
export type RolloutInput =
  | { readonly type: 'SignatureVerified'; readonly signature: SignatureInfo }
  | { readonly type: 'SignatureMissing'; readonly detail: string }
  | { readonly type: 'SignatureRejected'; readonly reason: string }
  /** The service lock is held by another rollout. */
  | { readonly type: 'Queued'; readonly behind: string | null }
  /**
   * The lock is ours; the stable task set is known. `steadyTimeout`: the steady timeout the load
   * balancer's target groups need (`traffic.alb` without a configured `steadyTimeout`), and why.
   */
  | {
      readonly type: 'Started';
      readonly stableTaskSetId: string;
      readonly stableDigest: string | null;
      readonly steadyTimeout?: { readonly seconds: number; readonly basis: string };
    }
  /** The lock is ours but the service cannot be deployed to (no such ECS service, no stable task set). */
  | { readonly type: 'StartFailed'; readonly reason: string }
  | { readonly type: 'CanaryCreated'; readonly taskSetId: string; readonly taskDefinitionArn: string }
  /** The workflow's clock: move forward as far as the steps allow now. */
  /** `unsteady`: why ECS was not steady at the recorded weight when last looked at (for the steady timeout's reason). */
  | { readonly type: 'Tick'; readonly unsteady?: string | null }
  /** ECS was seen steady with the canary at `weight`; ignored unless that is still the recorded weight. */
  /** ECS is steady at `weight`; `trafficShare` is the canary's share of traffic seen then. */
  | { readonly type: 'Steady'; readonly weight: number; readonly trafficShare?: number }
  | ({ readonly type: 'Approve'; readonly comment: string | null } & Actor)
  | ({ readonly type: 'Reject'; readonly comment: string | null } & Actor)
  | ({ readonly type: 'Abort'; readonly reason: string | null } & Actor)
  | ({ readonly type: 'Promote' } & Actor)
  /** Hold a PROGRESSING rollout at its weight until someone resumes it (alarms still roll it back). */
  | ({ readonly type: 'Pause'; readonly reason: string | null } & Actor)
  /** Let a rollout paused by hand go on from where it was. */
  | ({ readonly type: 'Resume' } & Actor)
  /** A newer image of the service arrived and the service's onNewImage policy is supersede. */
  | { readonly type: 'Supersede'; readonly by: string }
  /** Something outside the rollout says wait (an alarm firing before the canary exists, no alarm data, an unsteady stable set). */
  | { readonly type: 'Hold'; readonly reason: string }
  /** Whatever held the rollout has cleared. */
  | { readonly type: 'Unhold' }
  | { readonly type: 'AlarmFired'; readonly alarm: string; readonly reason: string | null }
  | { readonly type: 'EcsFailed'; readonly message: string }
  /** A workflow step failed in a way its retries could not fix (a crash, a timeout): roll back. */
  | { readonly type: 'WorkflowFailed'; readonly message: string }
  /** The workflow waits for an approval under this task token (Step Functions' callback pattern). */
  | { readonly type: 'ApprovalWaitStarted'; readonly taskToken: string }
  /** The workflow waits for ECS to be steady under this task token; an ECS event (or a look at ECS) answers it. */
  | { readonly type: 'SteadyWaitStarted'; readonly taskToken: string }
  /** The workflow's wait under this token was answered (SendTaskSuccess/SendTaskFailure went through): forget the token. */
  | { readonly type: 'WaitAnswered'; readonly taskToken: string }
  | { readonly type: 'Promoted' }
  | { readonly type: 'RolledBack' }
  /** The rollback waits (for the stable set to be steady at full size) before it removes the canary. */
  | { readonly type: 'RollbackWaiting'; readonly waitingFor: string }
  | { readonly type: 'RollbackFailed'; readonly message: string };

export type RolloutInputType = RolloutInput['type'];

/** Who decided: the identity behind the credential, and which credential it used. */
export interface Actor {
  readonly by: string;
  /** The credential's name (`ROLLOUT_API_TOKEN`, a named token, `oidc:<issuer>`); null when unknown. */
  readonly credential?: string | null;
}

/** Side effects the core asks for, as data. Drivers run them in order after the record is saved. */
export type Effect =
  /** Take the service lock and read the stable task set; answers Started or Queued. */
  | { readonly type: 'acquireLock' }
  | { readonly type: 'createCanary' }
  | { readonly type: 'applyWeight'; readonly weight: number }
  | { readonly type: 'promote' }
  | { readonly type: 'rollback' }
  /** Give the lock up and start the next queued rollout of the service. */
  | { readonly type: 'releaseLock' }
  /**
   * Hand the rollout to the workflow (its durable clock). `attempt`: the clock attempt the saved
   * transition took itself (a rollout's first clock, taken in its Started save), whose execution is to
   * be started; absent, the starter takes the next attempt first (shared/orchestration/clock.ts).
   */
  | { readonly type: 'startWorkflow'; readonly attempt?: number }
  /**
   * End the workflow's current wait early (approval decided, rollout ended by an event). Carries the
   * approval wait's task token, if one was recorded: the record forgets it in the same transition.
   */
  | { readonly type: 'wakeWorkflow'; readonly taskToken: string | null };

export type EffectType = Effect['type'];
