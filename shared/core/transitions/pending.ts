/**
 * PENDING: the rollout waits for its signature, then for the service lock. ECS is untouched, so
 * ending it here (a rejected signature, an abort, a newer image) only gives the lock back.
 */
import { EventType } from '../events';
import { messages } from '../messages';
import { RolloutStatus } from '../status';
import { type Draft, type Handler, type StatusHandlers, unchanged } from './draft';
import { answerWaitAtOnce, decision, unhold } from './shared';

const signatureVerified: Handler<'SignatureVerified'> = (d, input) => {
  if (d.before.signature) return unchanged(d.before);
  d.r.signature = input.signature;
  d.r.wait = { for: 'lock', behind: null };
  d.log(EventType.SignatureVerified, messages.signatureVerified(input.signature));
  d.effect({ type: 'acquireLock' });
  return d.result();
};

const signatureMissing: Handler<'SignatureMissing'> = (d, input) => {
  const rollout = d.before;
  // Re-checks while waiting log the wait once, not once per check.
  const logged = rollout.events.some((e) => e.type === EventType.SignatureMissing);
  if (rollout.signature || logged) return unchanged(rollout);
  const until = rollout.wait?.for === 'signature' ? rollout.wait.until : undefined;
  d.r.wait = until ? { for: 'signature', until } : { for: 'signature' };
  d.log(EventType.SignatureMissing, messages.signatureMissing(until, input.detail));
  // The workflow's clock looks again until the deadline (a notification can be lost).
  if (until) d.effect({ type: 'startWorkflow' });
  return d.result();
};

const signatureRejected: Handler<'SignatureRejected'> = (d, input) => {
  if (d.before.signature) return unchanged(d.before);
  d.r.status = RolloutStatus.Rejected;
  d.r.reason = input.reason;
  d.r.wait = null;
  d.log(EventType.SignatureRejected, messages.signatureRejected(input.reason));
  // A verified signature is recorded only after the lock is taken, so a crash in between leaves the
  // lock with a rollout whose signature is checked again: if it no longer verifies, the lock goes back.
  d.effect({ type: 'releaseLock' });
  return d.result();
};

const queued: Handler<'Queued'> = (d, input) => {
  const wait = d.before.wait;
  if (wait?.for === 'lock' && wait.behind === input.behind) return unchanged(d.before);
  d.r.wait = { for: 'lock', behind: input.behind };
  d.log(EventType.Queued, messages.queued(input.behind, d.before.service));
  return d.result();
};

const started: Handler<'Started'> = (d, input) => {
  if (!d.before.signature) return unchanged(d.before);
  d.r.status = RolloutStatus.Progressing;
  d.r.previousDigest = input.stableDigest;
  d.r.currentStep = 0;
  d.r.wait = null;
  d.r.ecs = { ...d.before.ecs, stableTaskSetId: input.stableTaskSetId };
  if (input.steadyTimeout) d.r.steadyTimeoutSeconds = input.steadyTimeout.seconds;
  d.log(EventType.Started, messages.started(input.stableTaskSetId, input.stableDigest, input.steadyTimeout));
  if (d.before.clock) {
    // A clock took an attempt already (it looked for a late signature): it is started only if it stopped.
    d.effect({ type: 'startWorkflow' });
  } else {
    // No clock yet: the first attempt is taken in this version-checked save, not in one of its own.
    d.r.clock = { attempt: 1, since: d.at };
    d.effect({ type: 'startWorkflow', attempt: 1 });
  }
  return d.result();
};

const startFailed: Handler<'StartFailed'> = (d, input) => {
  d.r.status = RolloutStatus.Rejected;
  d.r.reason = input.reason;
  d.r.wait = null;
  d.log(EventType.StartFailed, messages.startFailed(input.reason));
  d.effect({ type: 'releaseLock' });
  return d.result();
};

/** Ends the rollout before it touched ECS: ROLLED_BACK with `reason`, and the lock (if taken) given back. */
function endBeforeStart(d: Draft, type: EventType, reason: string) {
  d.r.status = RolloutStatus.RolledBack;
  d.r.reason = reason;
  d.r.wait = null;
  d.log(type, reason);
  d.effect({ type: 'releaseLock' });
  return d.result();
}

export const pending: StatusHandlers = {
  SignatureVerified: signatureVerified,
  SignatureMissing: signatureMissing,
  SignatureRejected: signatureRejected,
  Queued: queued,
  Started: started,
  StartFailed: startFailed,
  Reject: (d, input) => endBeforeStart(d, EventType.Rejected, messages.endedBeforeStart(decision(input).what)),
  Abort: (d, input) => endBeforeStart(d, EventType.Aborted, messages.endedBeforeStart(decision(input).what)),
  Supersede: (d, input) => endBeforeStart(d, EventType.Superseded, messages.supersededBeforeStart(input.by)),
  ApprovalWaitStarted: answerWaitAtOnce,
  Unhold: unhold,
};
