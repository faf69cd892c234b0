/**
 * Every retry limit, interval and lifetime of the rollout loop, in one place, each with the reason for
 * its value (docs/architecture.md, "Retries and limits"). The orchestration modules read their defaults
 * from here; `OrchestratorOptions` may override some of them (tests shorten the waits).
 */
export const RolloutPolicy = {
  /**
   * Saves of one transition before a version conflict is given up on. Each conflict means another
   * writer saved in between; eight in a row only happens when something is looping, and the caller
   * (a webhook, the workflow) then retries the whole input.
   */
  maxSaveAttempts: 8,
  /**
   * Tries at taking the service lock. The second and third only run when the holder released it
   * between our conditional put and our read of who holds it.
   */
  lockAttempts: 3,
  /**
   * Rounds of "apply the recorded weight, read the record again" in one call. Each round only follows
   * a weight another actor recorded meanwhile; five covers a promote landing during a step.
   */
  weightRounds: 5,
  /** ECS rollback attempts in one go before the rollout is FAILED (abort again retries). */
  rollbackAttempts: 3,
  /** Pause before the n-th rollback retry: n × this, in ms (ECS throttling clears within seconds). */
  rollbackBackoffMs: 500,
  /**
   * Looks for a canary whose CreateTaskSet answer never came back (by its externalId) before a rollback
   * takes it not to exist: ECS describes are eventually consistent and may miss a task set created a
   * moment ago. The n-th look waits n × `rollbackBackoffMs` first (about 3 s in all by default).
   */
  canaryLookupAttempts: 4,
  /**
   * A ROLLING_BACK record untouched this long has lost the actor that was rolling it back (a crash):
   * the workflow re-drives it. Longer than one rollback with its retries takes.
   */
  staleRollbackSeconds: 30,
  /**
   * A create-canary or promote call claimed on the record this long ago is taken to have died with its
   * writer, and may be claimed again. Longer than the slowest CreateTaskSet or promotion observed, shorter
   * than the default steady timeout (600 s), so a lost claim is retried before it rolls back.
   */
  claimLifetimeSeconds: 120,
  /** How long a (service, digest) delivery claim is kept: registries retry deliveries for days. */
  deliveryTtlSeconds: 7 * 24 * 3600,
  /**
   * A webhook delivery answered this long ago and still not processed is taken to have lost its work
   * (the process died between the answer and the work, or the hand-over was lost), and the watchdog
   * dispatches it again. Longer than any delivery's work takes (a few registry looks with their retries).
   */
  deliveryRedispatchSeconds: 60,
  /**
   * How long a process remembers a delivery a sender identifies, once recorded or read, and answers a
   * repeat of it (a registry retrying) without the store: registries retry within seconds to minutes.
   * Far shorter than an outcome is kept (7 days), so what is remembered is always still recorded.
   */
  recentDeliverySeconds: 300,
  /** How many such deliveries a process remembers at most (the oldest are forgotten first). */
  recentDeliveries: 1000,
  /**
   * Pauses before looking again for a signature that a `.sig` push announced but the registry did not
   * serve yet (it may notify before the tag resolves), in ms.
   */
  signatureRecheckMs: [250, 500, 1000] as readonly number[],
  /**
   * Pauses before asking the registry again whether a claimed tag is the pushed digest (it may notify
   * before it serves the tag, or fail for a moment right after a push), in ms.
   */
  tagConfirmRetryMs: [100, 300, 900] as readonly number[],
  /** How long an image waits for its signature when the service does not say (`verify.waitFor`). */
  signatureWaitSeconds: 600,
  /**
   * Seconds between looks at ECS while waiting for steady state, holding, or waiting for a signature:
   * the workflow's Wait. In Lambda each look is a state transition, so it is longer there
   * (`lambdaSteadyPollSeconds`).
   */
  steadyPollSeconds: 5,
  lambdaSteadyPollSeconds: 10,
  /**
   * Tries at starting a rollout's clock: each takes the next attempt. A second only runs when the first
   * attempt's name was already spent (a crash between taking it and starting it, then a late start).
   */
  clockStartAttempts: 3,
  /**
   * Turns of the workflow's loop (Advance → wait → Advance) before the execution hands over to a fresh
   * one. A turn writes about 10 history events, and Step Functions fails an execution at 25,000: 1,000
   * turns stay well below it whatever the waits are.
   */
  handoverTurns: 1000,
  /**
   * How often the watchdog looks after every active rollout (an EventBridge schedule in AWS, a timer in
   * local mode): restarts clocks that stopped, and makes deadlines act within this time of passing.
   */
  watchdogIntervalSeconds: 60,
  /** Sends of a callback wait's answer (SendTaskSuccess/Failure) in one go; the watchdog sends again later. */
  wakeAttempts: 3,
  /** Pause before the n-th send of an answer: n × this, in ms. */
  wakeBackoffMs: 200,
} as const;

export type RolloutPolicy = typeof RolloutPolicy;
