import type { Rollout } from './rollout';
import { RolloutStatus, isTerminal } from './status';

/**
 * What the workflow does after an Advance: the one loop both Step Functions and the local runner run.
 * `seconds` is whole seconds so that a Step Functions Wait state's SecondsPath can use it as is.
 */
export type Directive =
  | { readonly next: 'WAIT'; readonly seconds: number; readonly for: 'steady' | 'bake' | 'hold' | 'signature' }
  /** `seconds`: until the approval deadline, when the pause has one (the workflow looks again then). */
  | { readonly next: 'APPROVAL'; readonly seconds?: number }
  | { readonly next: 'DONE'; readonly status: Rollout['status'] };

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
    const left = Math.max(0, Math.ceil((Date.parse(wait.until) - now.getTime()) / 1000));
    return { next: 'WAIT', seconds: Math.min(left, options.steadyPollSeconds), for: 'signature' };
  }
  const wait = rollout.wait;
  if (rollout.status === RolloutStatus.Paused) {
    if (wait?.for !== 'approval' || !wait.until) return { next: 'APPROVAL' };
    return { next: 'APPROVAL', seconds: Math.max(0, Math.ceil((Date.parse(wait.until) - now.getTime()) / 1000)) };
  }
  if (wait?.for === 'hold') return { next: 'WAIT', seconds: options.steadyPollSeconds, for: 'hold' };
  if (wait?.for === 'bake') {
    const seconds = Math.max(0, Math.ceil((Date.parse(wait.until) - now.getTime()) / 1000));
    return { next: 'WAIT', seconds, for: 'bake' };
  }
  return { next: 'WAIT', seconds: options.steadyPollSeconds, for: 'steady' };
}
