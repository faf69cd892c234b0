/** Handlers that several statuses share, beyond the active ones (see active.ts). */
import type { RolloutInput } from '../commands';
import { EventType } from '../events';
import { messages } from '../messages';
import { type Handler, unchanged } from './draft';
import { advance } from './step-progress';

/**
 * A callback wait registered when the rollout no longer waits for it (ApprovalWaitStarted outside PAUSED,
 * SteadyWaitStarted when ECS is no longer waited for): it moved on between the Advance that asked for
 * the wait and the wait itself, so the wait is answered at once.
 */
export const answerWaitAtOnce: Handler<'ApprovalWaitStarted' | 'SteadyWaitStarted'> = (d, input) =>
  unchanged(d.before, [{ type: 'wakeWorkflow', taskToken: input.taskToken }]);

/** Whatever held the rollout cleared: it waits again for what it waited for before the hold. */
export const unhold: Handler<'Unhold'> = (d) => {
  const wait = d.before.wait;
  if (wait?.for !== 'hold') return unchanged(d.before);
  d.r.wait = wait.resume;
  d.log(EventType.Unheld, messages.unheld(wait.reason));
  // Without a canary the next Tick creates it first; with one, the steps go on now.
  if (d.before.ecs.canaryTaskSetId) advance(d);
  return d.result();
};

/** ECS created the canary after the rollout stopped progressing: record it and remove it rather than leave it running. */
export const removeLateCanary: Handler<'CanaryCreated'> = (d, input) => {
  const { ecs } = d.before;
  if (ecs.canaryTaskSetId) return unchanged(d.before);
  d.r.ecs = { ...ecs, canaryTaskSetId: input.taskSetId, taskDefinitionArn: input.taskDefinitionArn, claim: null };
  d.log(EventType.CanaryCreated, messages.canaryAfterEnd(input.taskSetId));
  d.effect({ type: 'rollback' });
  return d.result();
};

/** A Reject or an Abort: its verb, its event type, and what it says (`aborted by bob (token): bad day`). */
export function decision(input: Extract<RolloutInput, { type: 'Reject' | 'Abort' }>) {
  return input.type === 'Reject'
    ? { verb: 'reject', type: EventType.Rejected, what: messages.decided('rejected', input.by, input.credential, input.comment) } as const
    : { verb: 'abort', type: EventType.Aborted, what: messages.decided('aborted', input.by, input.credential, input.reason) } as const;
}
