/**
 * PROMOTING (blue-green only): production was switched to the new task set, and the old one stays at
 * full size for `scaleDownDelay` (a `bake` wait until then). Until the delay is over, an alarm, an abort
 * or a reject rolls back at once: production switches back (one call) and the new set is removed.
 * Then the promote call makes the new set primary and removes the old one (the point of return: from
 * there, endings are refused or ignored and failures retry the promotion).
 */
import { InvalidTransitionError } from '../../errors';
import { EventType } from '../events';
import { messages, refusals } from '../messages';
import type { Rollout } from '../rollout';
import { hold, supersede } from './active';
import { type Draft, type Handler, type StatusHandlers, unchanged } from './draft';
import { claimCall, promoted } from './progressing';
import { answerWaitAtOnce, decision, unhold } from './shared';
import { startRollback } from './step-progress';

/** Production is on the new set and the old one still runs: a rollback is one switch away. */
const reversible = (rollout: Rollout): boolean => rollout.wait?.for === 'bake';

/** The clock: once scaleDownDelay is over, the promote call (claimed once; a stale claim is renewed). */
const tick: Handler<'Tick'> = (d) => {
  const rollout = d.before;
  if (reversible(rollout)) {
    if (d.now.getTime() < Date.parse((rollout.wait as { until: string }).until)) return unchanged(rollout);
    d.r.wait = null;
    d.log(EventType.Promoting, messages.scaleDownDelayOver(rollout.blueGreen?.scaleDownDelaySeconds ?? 0));
    d.r.ecs = { ...rollout.ecs, claim: { call: 'promote', since: d.at, attempt: rollout.clock?.attempt ?? 0 } };
    d.effect({ type: 'promote' });
    return d.result();
  }
  return claimCall(d, 'promote');
};

const rejectOrAbort: Handler<'Reject' | 'Abort'> = (d, input) => {
  const { verb, type, what } = decision(input);
  if (!reversible(d.before)) throw new InvalidTransitionError(refusals.oldSetBeingRemoved(verb, d.before.id));
  d.log(type, what);
  startRollback(d, what);
  return d.result();
};

/** Before the delay is over, the old set still serves a switch back; after it, the promotion is retried. */
const failedWhilePromoting: Handler<'EcsFailed' | 'WorkflowFailed'> = (d, input) => {
  const type = input.type === 'EcsFailed' ? EventType.EcsError : EventType.WorkflowError;
  if (reversible(d.before)) {
    const what = input.type === 'EcsFailed' ? messages.ecsFailed(input.message) : messages.workflowFailed(input.message);
    d.log(type, what);
    startRollback(d, what);
    return d.result();
  }
  d.log(type, messages.promotionRetry(input.message));
  d.r.wait = null;
  d.r.ecs = { ...d.before.ecs, claim: null };
  return d.result();
};

/** Promote and Pause are not taken (transition's default refusal names the statuses that take them). */
export const promoting: StatusHandlers = {
  Tick: tick,
  Promoted: promoted,
  Reject: rejectOrAbort,
  Abort: rejectOrAbort,
  // An alarm rolls back while the old set still runs, and is too late after. A newer image waits for
  // this one to end (active.ts refuses to supersede a promotion).
  AlarmFired: (d, input) => (reversible(d.before) ? rollBackOnAlarm(d, input) : unchanged(d.before)),
  Supersede: supersede,
  EcsFailed: failedWhilePromoting,
  WorkflowFailed: failedWhilePromoting,
  Hold: hold,
  Unhold: unhold,
  ApprovalWaitStarted: answerWaitAtOnce,
};

function rollBackOnAlarm(d: Draft, input: Parameters<Handler<'AlarmFired'>>[1]) {
  const what = messages.alarmFired(input.alarm, input.reason);
  d.log(EventType.AlarmFired, what);
  startRollback(d, what);
  return d.result();
}
