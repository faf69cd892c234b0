/**
 * The ports the rollout logic talks to. Each has one AWS adapter under `shared/adapters/`; local mode
 * points the same adapters at local endpoints (dynalite, the ECS emulator) wherever it can.
 */
import type { AlbReading, AnchorReading, LoadBalancerReading } from './core/alb-checks';
import type { Rollout, SignatureInfo } from './core/rollout';
import type { RolloutStatus } from './core/status';
import type { TrafficMode } from './core/traffic-split';
import type { VerificationKey, VerifyConfig } from './config/types';
import type { Accepted, Ignored, ImagePush } from './webhooks/image-push';

export interface ListRolloutsQuery {
  readonly service?: string;
  readonly status?: RolloutStatus;
  /** 1-100, default 20. */
  readonly limit?: number;
  /** Opaque cursor returned as `nextCursor` by the previous page. */
  readonly cursor?: string;
}

export interface RolloutPage {
  readonly items: readonly Rollout[];
  readonly nextCursor: string | null;
}

export type DeliveryClaim = { readonly claimed: true } | { readonly claimed: false; readonly rolloutId: string };

/** What a release of the service lock did: `released` when the rollout held it, `queued` when it was marked. */
export interface LockRelease {
  readonly released: boolean;
  readonly queued: boolean;
}

/**
 * What a received delivery still has to do, decided from the config alone when it was answered
 * (docs/architecture.md, "Webhook intake"): an image push for a service, with the id its rollout will
 * have if one starts, or a signature push that may complete a rollout of the service.
 */
export type PlannedPush =
  | { readonly kind: 'image'; readonly service: string; readonly rolloutId: string; readonly push: ImagePush }
  | { readonly kind: 'signature'; readonly service: string; readonly digest: string };

/** A webhook delivery (or an ECR event) taken durably: its answer was given, its work may still be due. */
export interface ReceivedDelivery {
  readonly id: string;
  /** Which route or event it came in by: `registry`, `ecr`, … */
  readonly source: string;
  readonly receivedAt: string;
  readonly planned: readonly PlannedPush[];
  /** What the config alone refused when it was answered. */
  readonly ignored: readonly Ignored[];
}

/** A delivery once its work is done: every rollout it started or resumed, every event ignored and why. */
export interface ProcessedDelivery {
  readonly id: string;
  readonly source: string;
  readonly receivedAt: string;
  readonly processedAt: string;
  readonly accepted: readonly Accepted[];
  readonly ignored: readonly Ignored[];
}

export type DeliveryRecord = ({ readonly status: 'RECEIVED' } & ReceivedDelivery) | ({ readonly status: 'PROCESSED' } & ProcessedDelivery);

/**
 * Hands the work of a received delivery to whoever does it after the answer: an in-process queue in
 * local mode, an asynchronous Lambda invocation in AWS. `dispatch` resolves once the work is handed
 * over (not done); a delivery whose hand-over is lost stays RECEIVED and the watchdog dispatches it again.
 */
export interface DeliveryQueue {
  /**
   * Hands a received delivery's work on. `received` is the record just written, when the caller has it:
   * a worker in this process may use it instead of reading it back; one elsewhere reads it by id.
   */
  dispatch(deliveryId: string, received?: ReceivedDelivery): Promise<void>;
  /**
   * Told while a delivery is being answered, until the returned function is called: a worker sharing the
   * answers' process lets them go first. Absent for a worker elsewhere.
   */
  answering?(): () => void;
}

export interface RolloutStore {
  /** Writes a new record (version 1). Throws VersionConflictError when the id exists. */
  create(rollout: Rollout): Promise<void>;
  /** Throws RolloutNotFoundError. Events come back oldest first, complete. */
  get(id: string): Promise<Rollout>;
  /**
   * Writes `next` when the stored version is `next.version - 1`; throws VersionConflictError otherwise.
   * Events in `next.events` beyond the stored ones are appended to the log; stored events never change.
   * `previous` is the rollout `next` was decided from, as read or saved (version `next.version - 1`):
   * with it the store need not read the record before writing (one call per save). Without it, the
   * store reads it.
   */
  save(next: Rollout, previous?: Rollout): Promise<void>;
  /**
   * Keeps a callback wait's task token on the record at `version` without reading it first: the
   * record becomes version `version + 1` with `taskToken` and `updatedAt` = `at`, and nothing else
   * changes. Answers that record, or null when the stored record is no longer at `version` (the caller
   * then decides from what is stored). Only for a record the caller knows takes the token as it is
   * (shared/orchestration/step-driver.ts: the one a STEADY or APPROVAL directive was decided from).
   */
  keepToken(id: string, version: number, taskToken: string, at: string): Promise<Rollout | null>;
  /** Newest first. With `service`, served by the per-service index. */
  list(query: ListRolloutsQuery): Promise<RolloutPage>;
  /**
   * Takes the per-service lock for `rolloutId` (true), or tells it is held by another (false).
   * Re-entrant, and taking it again keeps its mark. `queued`: taken marked (`markQueued`), for the
   * queue's hand-off that saw others waiting behind this rollout.
   */
  acquireLock(service: string, rolloutId: string, queued?: boolean): Promise<boolean>;
  /**
   * Releases the lock if `rolloutId` holds it; a no-op otherwise (`released` false). `queued`: the
   * released lock was marked, so someone may wait in the queue for it.
   */
  releaseLock(service: string, rolloutId: string): Promise<LockRelease>;
  /**
   * Marks the held lock: a rollout queued behind its holder, so its release reads the queue (an
   * unmarked release does not). False, and nothing written, when the lock is free.
   */
  markQueued(service: string): Promise<boolean>;
  /** The rollout holding the service lock, if any. */
  lockHolder(service: string): Promise<string | null>;
  /**
   * The service's queue of rollouts waiting for its lock, read consistently (never from an index).
   * `enqueue` adds the rollout (idempotent), `dequeue` removes it (a no-op when absent). An entry only
   * says the rollout asked to wait: a crash can leave one whose rollout has started or ended since,
   * so whoever reads the queue checks each rollout's record (shared/orchestration/service-lock.ts).
   */
  enqueue(service: string, rolloutId: string): Promise<void>;
  dequeue(service: string, rolloutId: string): Promise<void>;
  /** The queued rollout ids, oldest first (ids sort by creation time: push order). */
  queued(service: string): Promise<string[]>;
  /**
   * Every rollout that has not ended (PENDING, PROGRESSING, PAUSED, PROMOTING, ROLLING_BACK; not FAILED, which
   * keeps its lock and waits for a human), by id (oldest first). Kept by `create` and `save` themselves,
   * with no write of its own: being active is part of the record. Eventually consistent, which only the
   * watchdog may rely on: a rollout may be missing for a moment after the write that made it active,
   * and may be named a moment after it ended. May also name a rollout that has ended or whose record is
   * missing because an earlier version's entry outlived it (docs/architecture.md, "The active index"):
   * the reader checks each record and calls `forgetActive` for one that is ended or gone.
   */
  listActive(): Promise<string[]>;
  /**
   * Drops an entry of `listActive` that its record does not back (ended, or gone) when the entry is
   * one of its own (an earlier version's); true when it dropped one. False when the record is active,
   * when the entry is too recent to judge (its write may be on its way), and when the rollout was
   * listed from its record alone (the save that ended it took it out already).
   */
  forgetActive(rolloutId: string): Promise<boolean>;
  /**
   * Claims an idempotency key (e.g. `service#digest`) for `rolloutId`. The first claim wins; later ones
   * learn which rollout has it. `ttlSeconds` sets the item's TTL attribute.
   */
  claimDelivery(key: string, rolloutId: string, ttlSeconds: number): Promise<DeliveryClaim>;
  /** Moves a claim from `fromRolloutId` to `toRolloutId`; false when someone else holds it now. */
  takeOverDelivery(key: string, fromRolloutId: string, toRolloutId: string, ttlSeconds: number): Promise<boolean>;
  /** Reads a claim without taking it. */
  deliveryOwner(key: string): Promise<string | null>;
  /**
   * Records a new delivery, the one write a webhook answer waits for: received (its work to do), or
   * processed at once when nothing is planned. Null when recorded now, or the delivery recorded under
   * this id before (a repeat of the same notification), read after the refused write. Throws when it
   * cannot be made durable (the sender is then told to retry).
   */
  receiveDelivery(delivery: ReceivedDelivery | ProcessedDelivery): Promise<DeliveryRecord | null>;
  /**
   * Records a received delivery's outcome; it then leaves `receivedDeliveries`. False, and nothing
   * written, when it was not received any more: another run of its work (a duplicate invocation, a
   * dispatch again) recorded its outcome first, and that one stands.
   */
  completeDelivery(delivery: ProcessedDelivery): Promise<boolean>;
  /** A delivery, received or processed; null when unknown (or expired). */
  delivery(id: string): Promise<DeliveryRecord | null>;
  /**
   * Every delivery received and not yet processed, oldest first. Read from an index, eventually
   * consistent: one received or processed a moment ago may be missing or still listed.
   */
  receivedDeliveries(): Promise<ReceivedDelivery[]>;
}

/** Identifies an ECS service. */
export interface EcsTarget {
  readonly cluster: string;
  readonly service: string;
  /** Container to re-point; when unset the task definition must have exactly one container. */
  readonly container?: string;
}

export interface TaskSetView {
  readonly id: string;
  /** PRIMARY, ACTIVE or DRAINING, as ECS says. */
  readonly status: string;
  readonly taskDefinitionArn: string;
  /** The target container's image reference. */
  readonly image: string;
  /** The digest in `image` when it is pinned by digest, else null. */
  readonly digest: string | null;
  /** Percent of the service's desired count. */
  readonly scale: number;
  readonly runningCount: number;
  /** The computed desired count and the tasks still pending, when ECS reported them. */
  readonly desiredCount?: number;
  readonly pendingCount?: number;
  readonly steady: boolean;
  readonly externalId: string | null;
  /** The load balancer target group the task set's tasks register with; null or absent when none. */
  readonly targetGroupArn?: string | null;
}

export interface ServiceView {
  /** The PRIMARY task set: what runs when no rollout does. Null when the service has none. */
  readonly primary: TaskSetView | null;
  readonly taskSets: readonly TaskSetView[];
  readonly desiredCount: number;
}

export interface EcsDeployer {
  describe(target: EcsTarget): Promise<ServiceView>;
  /**
   * Registers a task definition revision from the stable one with the container's image replaced by
   * `image` (pinned by digest) and creates a task set from it at scale 0, `externalId` = rolloutId.
   * Idempotent: a task set with that externalId is reused.
   */
  createCanary(
    target: EcsTarget,
    input: {
      readonly rolloutId: string;
      readonly image: string;
      readonly stableTaskSetId: string;
      /** The canary's own target group (ALB weights): its load balancer entry is the stable set's with this group. */
      readonly targetGroupArn?: string;
    },
  ): Promise<{ readonly taskSetId: string; readonly taskDefinitionArn: string }>;
  /**
   * Sets the canary to `canaryWeight` percent and the stable set to `stableScale` (default: the rest),
   * scaling up before down.
   */
  setWeights(
    target: EcsTarget,
    input: { readonly stableTaskSetId: string; readonly canaryTaskSetId: string; readonly canaryWeight: number; readonly stableScale?: number },
  ): Promise<void>;
  /** Makes the canary PRIMARY at 100% and deletes the stable set. Idempotent. */
  promote(target: EcsTarget, input: { readonly stableTaskSetId: string; readonly canaryTaskSetId: string }): Promise<void>;
  /**
   * Makes the stable set PRIMARY at 100%, and deletes the canary (when there is one) once the stable set
   * is steady at that size, so the service's capacity never dips. Answers `done: false` with what it
   * waits for while the stable set is not steady yet (the canary keeps running): call it again later.
   * Idempotent.
   */
  rollback(
    target: EcsTarget,
    input: { readonly stableTaskSetId: string; readonly canaryTaskSetId: string | null },
  ): Promise<RollbackProgress>;
}

/** How far a rollback got: done, or waiting (for the stable set to be steady) before removing the canary. */
export type RollbackProgress = { readonly done: true } | { readonly done: false; readonly waitingFor: string };
/**
 * How the canary's share of traffic is set: by an Application Load Balancer's weighted forward to the
 * stable and the canary target groups (`traffic.alb`), or by task counts on one shared target group.
 * Only executes: when to move traffic is decided in shared/orchestration (effect-runner.ts).
 */
export interface TrafficRouter {
  readonly mode: TrafficMode;
  /**
   * Forwards exactly `canaryWeight` percent to the canary's target group and the rest to the stable
   * one (one call), keeping everything else about the rule; nothing to do in task-count mode.
   */
  route(input: { readonly stableTargetGroupArn: string | null; readonly canaryTargetGroupArn: string | null; readonly canaryWeight: number }): Promise<void>;
  /** The canary's share of traffic now (0–100): the load balancer's weights, or running task counts. */
  share(input: { readonly stable: TaskSetView | null; readonly canary: TaskSetView | null }): Promise<number>;
  /**
   * What the load balancer shows of the service's traffic section (its load balancer, rule, target
   * groups and their timings), for the checks at a rollout's start (shared/core/alb-checks.ts). Absent
   * in task-count mode. Read-only.
   */
  inspect?(): Promise<AlbReading>;
  /**
   * The rule (or listener) alone: its load balancer and its actions, for the checks of a blue-green
   * preview rule at a rollout's start (shared/core/preview-rule-checks.ts); `known`, a load balancer
   * already read (not read again when it is the rule's). Absent in task-count mode. Read-only.
   */
  inspectRule?(known?: LoadBalancerReading | null): Promise<AnchorReading>;
}

export type VerificationResult =
  | { readonly outcome: 'verified'; readonly signature: SignatureInfo }
  /** No signature exists yet: the rollout waits for one. */
  | { readonly outcome: 'missing'; readonly detail: string }
  /** Signatures exist and none is acceptable: `reason` says exactly what failed. */
  | { readonly outcome: 'rejected'; readonly reason: string };

export interface VerifyImageRequest {
  readonly registry: string;
  readonly repository: string;
  readonly digest: string;
  readonly keys: readonly VerificationKey[];
  /** The service's whole `verify:` policy (keyless identities, Rekor, trusted root); keys alone when absent. */
  readonly policy?: VerifyConfig;
}

export interface SignatureVerifier {
  verify(request: VerifyImageRequest, now: Date): Promise<VerificationResult>;
}

export const AlarmState = { Ok: 'OK', Alarm: 'ALARM', InsufficientData: 'INSUFFICIENT_DATA' } as const;
export type AlarmState = (typeof AlarmState)[keyof typeof AlarmState];

export interface Alarms {
  /** Current states; an alarm that does not exist is absent from the result. */
  states(names: readonly string[]): Promise<Readonly<Record<string, AlarmState>>>;
}

/** The durable clock that moves rollouts forward (Step Functions in AWS, a timer loop in local mode). */
/** Whether a rollout's clock (one workflow execution) runs: `NONE` when that execution was never started. */
export type ClockState = 'RUNNING' | 'ENDED' | 'NONE';

export interface Workflow {
  /**
   * Starts the clock of this attempt: the execution `clockName(rolloutId, attempt)`. Starting a name that
   * runs already is harmless; a name an execution used and ended is refused with ClockNameTakenError
   * (Step Functions never reuses a closed execution's name), and the caller takes the next attempt.
   * `record`: the rollout as its starter has just saved it, which the execution may carry to its first
   * Advance instead of a read (shared/core/carried-record.ts).
   */
  start(rolloutId: string, attempt: number, record?: Rollout): Promise<void>;
  /** Whether the execution of this attempt runs. */
  clockState(rolloutId: string, attempt: number): Promise<ClockState>;
  /**
   * Ends the rollout's current wait early (approval decided, rollout ended by an event). `taskToken`
   * is the approval wait's token when the workflow recorded one (Step Functions answers it). `rollout`
   * is the record the answer was decided on: the answer may carry it to the next Advance.
   */
  wake(rollout: Rollout, taskToken: string | null): Promise<void>;
}

/**
 * Where the orchestrator's secrets are read: every value local mode takes from an environment variable
 * (a registry's `passwordEnv`, a webhook source's `tokenEnv`/`secretEnv`, a notification's
 * `webhookUrlEnv`/`secretEnv`, `ROLLOUT_LINK_SECRET`, the two tokens), named by that variable. Local
 * mode reads the environment; in AWS each variable is a Secrets Manager secret (docs/aws.md).
 */
export interface SecretSource {
  /**
   * Why `variable` cannot be read, known without reading it (an environment variable that is not set),
   * or null. The config loader reports it at load, as a problem of the field that names the variable.
   */
  problem(variable: string, minLength?: number): string | null;
  /** The value now. Throws SecretUnavailableError saying which secret and why. */
  read(variable: string): Promise<string>;
}
