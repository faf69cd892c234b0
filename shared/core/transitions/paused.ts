/**
 * PAUSED: the rollout waits at an approval pause for its approvers, or for the pause's deadline, when
 * it has one (then its onTimeout decides); or it was paused by hand (`wait.for: 'manual'`) and waits
 * for a Resume. Each has its own way out: Approve for the first, Resume for the second. Everything
 * active.ts handles applies to both.
 */
import { InvalidTransitionError } from '../../errors';
import { EventType } from '../events';
import { identityKey } from '../identity';
import { messages, pauseLabel, refusals, stepLabel } from '../messages';
import type { Wait } from '../rollout';
import { RolloutStatus } from '../status';
import { takenWhileActive } from './active';
import { type Handler, type StatusHandlers, unchanged } from './draft';
import { removeLateCanary } from './shared';
import { approvalTimedOut, completeStep } from './step-progress';

/** Counts distinct people (by identityKey): the pause completes once it has as many as it requires. */
const approve: Handler<'Approve'> = (d, input) => {
  const rollout = d.before;
  if (rollout.wait?.for === 'manual') throw new InvalidTransitionError(refusals.approveManualPause(rollout.id, rollout.wait.by));
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

/** The wait paused by hand, its clock moved on by the time paused: a bake keeps the time it had left, a steady wait its timeout. */
function afterPause(wait: Exclude<Wait, { for: 'manual' }> | null, pausedMs: number): Exclude<Wait, { for: 'manual' }> | null {
  const later = (iso: string) => new Date(Date.parse(iso) + pausedMs).toISOString();
  switch (wait?.for) {
    case 'bake':
      return { ...wait, until: later(wait.until) };
    case 'steady':
      return { ...wait, since: later(wait.since) };
    case 'hold':
      return { ...wait, resume: afterPause(wait.resume, pausedMs) as typeof wait.resume };
    default:
      return wait ?? null;
  }
}

/** Lets a rollout paused by hand go on where it was; the next Advance looks at ECS and the alarms again. */
const resume: Handler<'Resume'> = (d, input) => {
  const rollout = d.before;
  const wait = rollout.wait;
  if (wait?.for !== 'manual') throw new InvalidTransitionError(refusals.resumeApprovalPause(rollout.id, pauseLabel(rollout.steps, rollout.currentStep ?? 0)));
  const pausedMs = Math.max(0, d.now.getTime() - Date.parse(wait.since));
  d.r.status = RolloutStatus.Progressing;
  d.r.wait = afterPause(wait.resume, pausedMs);
  d.log(EventType.Resumed, messages.resumed(input.by, input.credential, Math.round(pausedMs / 1000), wait.by, wait.reason));
  d.wake();
  return d.result();
};

/**
 * A canary ECS reports while paused: at an approval pause it cannot be ours (a pause is reached after
 * the canary exists) and is removed; paused by hand before the canary existed, it is recorded, and the
 * steps start on it after the Resume.
 */
const canaryCreated: Handler<'CanaryCreated'> = (d, input) => {
  const { ecs, wait } = d.before;
  if (wait?.for !== 'manual') return removeLateCanary(d, input);
  if (ecs.canaryTaskSetId) return unchanged(d.before);
  d.r.ecs = { ...ecs, canaryTaskSetId: input.taskSetId, taskDefinitionArn: input.taskDefinitionArn, claim: null };
  d.log(EventType.CanaryCreated, messages.canaryCreated(input.taskSetId, input.taskDefinitionArn));
  return d.result();
};

export const paused: StatusHandlers = {
  Approve: approve,
  Resume: resume,
  Tick: tick,
  ApprovalWaitStarted: approvalWaitStarted,
  CanaryCreated: canaryCreated,
  // Taken alike while PROGRESSING (active.ts):
  ...takenWhileActive,
};
