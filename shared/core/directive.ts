/** What the workflow does after each Advance: wait (how long, and for what), wait for an approval, or stop. */
import type { Carried } from './carried-record';
import type { Rollout } from './rollout';
import { RolloutStatus, isTerminal } from './status';
import { secondsUntil } from './time';

/**
 * What the workflow does after an Advance: the one loop both Step Functions and the local runner run.
 * `seconds` is whole seconds so that a Step Functions Wait state's SecondsPath can use it as is.
 */
export type Directive = (
  | { readonly next: 'WAIT'; readonly seconds: number; readonly for: 'steady' | 'bake' | 'hold' | 'signature' }
  /** `seconds`: until the approval deadline, when the pause has one (the workflow looks again then). */
  | { readonly next: 'APPROVAL'; readonly seconds?: number }
  /** Wait for ECS to be steady at the recorded weight: a callback an ECS event answers, with a look at ECS on its timeout. */
  | { readonly next: 'STEADY' }
  | { readonly next: 'DONE'; readonly status: Rollout['status'] }
) & {
  /** The execution's turn of the loop, counted by the step handlers and carried in the state (hand-over). */
  readonly turn?: number;
  /**
   * STEADY and APPROVAL: the version of the record the wait was decided from, passed to the callback
   * wait so that it keeps its token on that record without reading it first.
   */
  readonly version?: number;
  /**
   * STEADY: the Advance made a weight call from the record at `version` and left its look for an intent
   * recorded meanwhile to the wait, whose keep of the token under that version fails if there was one.
   */
  readonly converge?: boolean;
  /**
   * WAIT: the record the directive was decided from, handed on through the Wait state to the next
   * Advance, which decides from it instead of reading it (shared/core/carried-record.ts).
   */
  readonly carried?: Carried;
};

export interface DirectiveOptions {
  /** How often to look at ECS while waiting for steady state, in seconds. */
  readonly steadyPollSeconds: number;
}

export function nextDirective(rollout: Rollout, now: Date, options: DirectiveOptions): Directive {
  if (isTerminal(rollout.status)) return { next: 'DONE', status: rollout.status };
  // PENDING rollouts are moved on by events (a signature push, the lock's release); the clock only
  // looks again for a signature until its deadline, in case its notification was lost.
  if (rollout.status === RolloutStatus.Pending) {
    const wait = rollout.wait;
    if (wait?.for !== 'signature' || !wait.until || rollout.signature) return { next: 'DONE', status: rollout.status };
    return { next: 'WAIT', seconds: Math.min(secondsUntil(wait.until, now), options.steadyPollSeconds), for: 'signature' };
  }
  const wait = rollout.wait;
  if (rollout.status === RolloutStatus.Paused) {
    // Paused by hand (`wait.for: 'manual'`): no deadline; only a Resume (or an ending) wakes the wait.
    if (wait?.for !== 'approval' || !wait.until) return { next: 'APPROVAL' };
    return { next: 'APPROVAL', seconds: secondsUntil(wait.until, now) };
  }
  if (wait?.for === 'hold') return { next: 'WAIT', seconds: options.steadyPollSeconds, for: 'hold' };
  if (wait?.for === 'bake') return { next: 'WAIT', seconds: secondsUntil(wait.until, now), for: 'bake' };
  if (wait?.for === 'steady' && rollout.status === RolloutStatus.Progressing) return { next: 'STEADY' };
  return { next: 'WAIT', seconds: options.steadyPollSeconds, for: 'steady' };
}
