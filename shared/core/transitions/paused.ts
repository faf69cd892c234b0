/**
 * PAUSED: the rollout waits at an approval pause for its approvers, or for the pause's deadline, when
 * it has one (then its onTimeout decides). Everything active.ts handles applies here as well.
 */
import { InvalidTransitionError } from '../../errors';
import { EventType } from '../events';
import { identityKey } from '../identity';
import { messages, pauseLabel, refusals, stepLabel } from '../messages';
import { RolloutStatus } from '../status';
import { alarmFired, ecsOrWorkflowFailed, hold, promote, rejectOrAbort, supersede } from './active';
import { type Handler, type StatusHandlers, unchanged } from './draft';
import { removeLateCanary, unhold } from './shared';
import { approvalTimedOut, completeStep } from './step-progress';

/** Counts distinct people (by identityKey): the pause completes once it has as many as it requires. */
const approve: Handler<'Approve'> = (d, input) => {
  const rollout = d.before;
  const i = rollout.currentStep ?? 0;
  const step = rollout.steps[i];
  const required = step && 'pause' in step ? (step.pause.approvals ?? 1) : 1;
  const approvers = new Set(rollout.approvals.filter((a) => a.step === i).map((a) => identityKey(a.by)));
  if (approvers.has(identityKey(input.by))) {
    throw new InvalidTransitionError(refusals.alreadyApproved(input.by, stepLabel(i, rollout.steps.length), rollout.id, required));
  }
  d.r.approvals = [...d.r.approvals, { by: input.by, credential: input.credential ?? null, comment: input.comment, at: d.at, step: i }];
  const count = approvers.size + 1;
  d.log(EventType.Approved, messages.approved(pauseLabel(rollout.steps, i), input.by, input.credential, count, required, input.comment));
  if (count < required) return d.result();
  completeStep(d, i);
  d.r.status = RolloutStatus.Progressing;
  d.wake();
  return d.result();
};

/** The clock: only the approval deadline matters here. */
const tick: Handler<'Tick'> = (d) => {
  const wait = d.before.wait;
  if (wait?.for !== 'approval' || !wait.until || d.now.getTime() < Date.parse(wait.until)) return unchanged(d.before);
  approvalTimedOut(d);
  return d.result();
};

/** The workflow waits for the approval under this task token: recorded, so that the decision can wake it. */
const approvalWaitStarted: Handler<'ApprovalWaitStarted'> = (d, input) => {
  if (d.before.taskToken === input.taskToken) return unchanged(d.before);
  d.r.taskToken = input.taskToken;
  return d.result();
};

export const paused: StatusHandlers = {
  Approve: approve,
  Tick: tick,
  ApprovalWaitStarted: approvalWaitStarted,
  // A pause is only reached after the canary exists; should ECS report one anyway, it is removed.
  CanaryCreated: removeLateCanary,
  // Taken alike while PROGRESSING (active.ts):
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
