/** ROLLING_BACK: the canary is being removed; the rollback's outcome ends the rollout. */
import { EventType } from '../events';
import { messages } from '../messages';
import { RolloutStatus } from '../status';
import { type Handler, type StatusHandlers, unchanged } from './draft';
import { answerWaitAtOnce, removeLateCanary, unhold } from './shared';

const rolledBack: Handler<'RolledBack'> = (d) => {
  d.r.status = RolloutStatus.RolledBack;
  d.r.trafficShare = 0;
  d.r.canaryWeight = 0;
  d.r.wait = null;
  d.log(EventType.RolledBack, messages.rolledBack(d.before.ecs.stableTaskSetId));
  d.effect({ type: 'releaseLock' });
  return d.result();
};

/**
 * The stable set is back at 100% but not steady yet: the canary stays until it is (capacity never
 * dips). Recorded once, with when the wait began; the clock looks again until the rollback is done.
 */
const rollbackWaiting: Handler<'RollbackWaiting'> = (d, input) => {
  if (d.before.wait?.for === 'steady') return unchanged(d.before);
  d.r.wait = { for: 'steady', since: d.at };
  d.log(EventType.RollbackWaiting, messages.rollbackWaiting(input.waitingFor));
  // A rollback retried from FAILED runs outside any execution: the clock must run to look again.
  d.effect({ type: 'startWorkflow' });
  return d.result();
};

/** FAILED keeps the service lock: a human looks, then aborts again to retry (see ended.ts). */
const rollbackFailed: Handler<'RollbackFailed'> = (d, input) => {
  d.r.status = RolloutStatus.Failed;
  d.r.reason = messages.rollbackFailedReason(d.before.reason, input.message);
  d.r.wait = null;
  d.log(EventType.RollbackFailed, messages.rollbackFailed(input.message));
  return d.result();
};

export const rollingBack: StatusHandlers = {
  // Re-drives a rollback that a crash interrupted; the adapter's rollback is idempotent.
  Tick: (d) => unchanged(d.before, [{ type: 'rollback' }]),
  RolledBack: rolledBack,
  RollbackWaiting: rollbackWaiting,
  RollbackFailed: rollbackFailed,
  CanaryCreated: removeLateCanary,
  ApprovalWaitStarted: answerWaitAtOnce,
  Unhold: unhold,
};
