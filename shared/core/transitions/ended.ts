/**
 * The ended statuses: SUCCEEDED, ROLLED_BACK, REJECTED and FAILED. Late observations change nothing,
 * but what they leave behind is cleaned up: a lock taken meanwhile is given back, a canary created
 * meanwhile removed. A FAILED rollback is retried by aborting again.
 */
import { messages } from '../messages';
import { type Handler, type StatusHandlers, unchanged } from './draft';
import { answerWaitAtOnce, decision, removeLateCanary, unhold } from './shared';
import { startRollback } from './step-progress';

/** The lock was taken for a rollout that ended meanwhile (aborted while queued): give it back. */
const giveLockBack: Handler<'Started'> = (d) => unchanged(d.before, [{ type: 'releaseLock' }]);

/** Abort of a FAILED rollout, once the cause is fixed: the rollback runs again. */
const retryRollback: Handler<'Abort'> = (d, input) => {
  const { type, what } = decision(input);
  d.log(type, messages.retryingRollback(what));
  startRollback(d, messages.retryingRollbackReason(what));
  return d.result();
};

/** What every ended status takes (REJECTED differs: see below). */
const ended: StatusHandlers = {
  Started: giveLockBack,
  CanaryCreated: removeLateCanary,
  ApprovalWaitStarted: answerWaitAtOnce,
  Unhold: unhold,
};

export const succeeded: StatusHandlers = ended;

export const rolledBack: StatusHandlers = ended;

/** REJECTED never touched ECS (it ended PENDING): a canary reported for it is ignored. */
export const rejected: StatusHandlers = {
  Started: giveLockBack,
  ApprovalWaitStarted: answerWaitAtOnce,
  Unhold: unhold,
};

export const failed: StatusHandlers = { ...ended, Abort: retryRollback };
