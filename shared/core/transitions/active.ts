/**
 * Inputs that PROGRESSING and PAUSED take alike: a human or an alarm ending the rollout, a promote, a
 * newer image, failures, holds. Once the promotion is past the point of return (finalizing), endings
 * are refused or ignored and failures retry the promotion instead.
 */
import { InvalidTransitionError } from '../../errors';
import { EventType } from '../events';
import { messages, refusals } from '../messages';
import type { Rollout } from '../rollout';
import { type Handler, type StatusHandlers, unchanged } from './draft';
import { decision, unhold } from './shared';
import { promoteNow, startRollback } from './step-progress';

/** Promotion past the point of return: the canary is steady at 100% and the old set is being removed. */
export function finalizing(rollout: Rollout): boolean {
  return rollout.promoting && rollout.wait?.for !== 'steady';
}

export const rejectOrAbort: Handler<'Reject' | 'Abort'> = (d, input) => {
  const { verb, type, what } = decision(input);
  if (finalizing(d.before)) throw new InvalidTransitionError(refusals.beingMadePrimary(verb, d.before.id));
  d.log(type, what);
  startRollback(d, what);
  return d.result();
};

export const supersede: Handler<'Supersede'> = (d, input) => {
  if (finalizing(d.before)) throw new InvalidTransitionError(refusals.supersedeFinalizing(d.before.id));
  const what = messages.superseded(input.by);
  d.log(EventType.Superseded, what);
  startRollback(d, what);
  return d.result();
};

export const promote: Handler<'Promote'> = (d, input) => {
  if (d.before.promoting) throw new InvalidTransitionError(refusals.alreadyPromoting(d.before.id));
  d.log(EventType.PromoteRequested, messages.promoteRequested(input.by));
  promoteNow(d);
  d.wake();
  return d.result();
};

export const alarmFired: Handler<'AlarmFired'> = (d, input) => {
  if (finalizing(d.before)) return unchanged(d.before);
  const what = messages.alarmFired(input.alarm, input.reason);
  d.log(EventType.AlarmFired, what);
  startRollback(d, what);
  return d.result();
};

export const ecsOrWorkflowFailed: Handler<'EcsFailed' | 'WorkflowFailed'> = (d, input) => {
  const type = input.type === 'EcsFailed' ? EventType.EcsError : EventType.WorkflowError;
  if (finalizing(d.before)) {
    // The canary may already be primary and the old set gone: rolling back now would throw a
    // finished deploy away, or fail for good. The promotion is idempotent: look again and retry it.
    d.log(type, messages.promotionRetry(input.message));
    d.r.wait = { for: 'steady', since: d.at };
    d.r.ecs = { ...d.before.ecs, claim: null };
    return d.result();
  }
  const what = input.type === 'EcsFailed' ? messages.ecsFailed(input.message) : messages.workflowFailed(input.message);
  d.log(type, what);
  startRollback(d, what);
  return d.result();
};

export const hold: Handler<'Hold'> = (d, input) => {
  const wait = d.before.wait;
  // Paused by hand: nothing moves until resumed, and the next Advance after it checks again.
  if (d.before.promoting || wait?.for === 'manual' || (wait?.for === 'hold' && wait.reason === input.reason)) return unchanged(d.before);
  // What it waited for before (a bake, a steady state) comes back when the hold ends.
  const resume = wait?.for === 'hold' ? wait.resume : wait;
  d.r.wait = { for: 'hold', reason: input.reason, since: wait?.for === 'hold' ? wait.since : d.at, resume: resume ?? null };
  d.log(EventType.Held, messages.held(input.reason));
  return d.result();
};

/** What PROGRESSING and PAUSED both take, the same way: spread into both status tables. */
export const takenWhileActive: StatusHandlers = {
  Reject: rejectOrAbort,
  Abort: rejectOrAbort,
  Promote: promote,
  Supersede: supersede,
  AlarmFired: alarmFired,
  EcsFailed: ecsOrWorkflowFailed,
  WorkflowFailed: ecsOrWorkflowFailed,
  Hold: hold,
  Unhold: unhold,
};
