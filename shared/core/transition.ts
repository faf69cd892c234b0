/**
 * The rollout as a pure state machine: `transition(rollout, input, now)` returns the next record and the
 * effects to run, and runs nothing. Each status has one table of the inputs it takes (transitions/*.ts),
 * so what is legal in a status is read in one place; every other input gets the default below.
 */
import { InvalidTransitionError } from '../errors';
import type { Effect, RolloutInput, RolloutInputType } from './commands';
import { refusals } from './messages';
import type { Rollout } from './rollout';
import { ROLLOUT_STATUSES, RolloutStatus } from './status';
import { Draft, type Handler, type StatusHandlers, unchanged } from './transitions/draft';
import { failed, rejected, rolledBack, succeeded } from './transitions/ended';
import { paused } from './transitions/paused';
import { pending } from './transitions/pending';
import { progressing } from './transitions/progressing';
import { promoting } from './transitions/promoting';
import { rollingBack } from './transitions/rolling-back';
import { answerWaitAtOnce } from './transitions/shared';

export interface TransitionResult {
  readonly rollout: Rollout;
  readonly effects: readonly Effect[];
  /** False when the input changed nothing; the record is then returned as it was, same version. */
  readonly changed: boolean;
}

const BY_STATUS: Record<RolloutStatus, StatusHandlers> = {
  [RolloutStatus.Pending]: pending,
  [RolloutStatus.Progressing]: progressing,
  [RolloutStatus.Paused]: paused,
  [RolloutStatus.Promoting]: promoting,
  [RolloutStatus.RollingBack]: rollingBack,
  [RolloutStatus.Succeeded]: succeeded,
  [RolloutStatus.RolledBack]: rolledBack,
  [RolloutStatus.Rejected]: rejected,
  [RolloutStatus.Failed]: failed,
};

/** Inputs that are a person's (or a newer image's) decision; all others report what was observed. */
const COMMANDS: ReadonlySet<RolloutInputType> = new Set(['Approve', 'Reject', 'Abort', 'Promote', 'Pause', 'Resume', 'Supersede']);

/** Bookkeeping every status takes the same way: it records no event and decides nothing. */
const ANY_STATUS: StatusHandlers = {
  // Only PROGRESSING waits for ECS: elsewhere the wait is answered at once (the rollout moved on).
  SteadyWaitStarted: answerWaitAtOnce,
  WaitAnswered: (d, input) => {
    if (d.before.taskToken !== input.taskToken) return unchanged(d.before);
    d.r.taskToken = null;
    return d.result();
  },
};

/**
 * Inputs only the workflow's Advance sends. While it runs, the workflow waits under no task token: a
 * token still on the record belongs to a wait that is over (answered, or timed out), and a save these
 * inputs make forgets it, so that answering a wait needs no save of its own.
 */
const CLOCK_INPUTS: ReadonlySet<RolloutInputType> = new Set(['Tick', 'Steady']);

export function transition(rollout: Rollout, input: RolloutInput, now: Date): TransitionResult {
  const handle = (BY_STATUS[rollout.status][input.type] ?? ANY_STATUS[input.type]) as Handler | undefined;
  const result = handle ? handle(new Draft(rollout, now), input) : notTaken(rollout, input);
  if (!result.changed || !result.rollout.taskToken || !CLOCK_INPUTS.has(input.type)) return result;
  return { ...result, rollout: { ...result.rollout, taskToken: null } };
}

/**
 * The default, for an input the rollout's status does not take. A command is refused with
 * InvalidTransitionError, naming the statuses that do take it (an API conflict: the caller asked for
 * something the rollout can no longer do). An observation came too late (a Steady after a rollback, an
 * alarm after success) or too early, and changes nothing.
 */
function notTaken(rollout: Rollout, input: RolloutInput): TransitionResult {
  if (!COMMANDS.has(input.type)) return unchanged(rollout);
  const allowed = ROLLOUT_STATUSES.filter((status) => BY_STATUS[status][input.type] !== undefined);
  throw new InvalidTransitionError(refusals.notInStatus(input.type.toLowerCase(), rollout.id, rollout.status, allowed));
}
