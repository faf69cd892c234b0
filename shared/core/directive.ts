import type { Rollout } from './rollout';
import { RolloutStatus, isTerminal } from './status';

/**
 * What the workflow does after an Advance: the one loop both Step Functions and the local runner run.
 * `seconds` is whole seconds so that a Step Functions Wait state's SecondsPath can use it as is.
 */
export type Directive =
  | { readonly next: 'WAIT'; readonly seconds: number; readonly for: 'steady' | 'bake' | 'signature' | 'lock' }
  | { readonly next: 'APPROVAL' }
  | { readonly next: 'DONE'; readonly status: Rollout['status'] };

export interface DirectiveOptions {
  /** How often to look at ECS while waiting for steady state, in seconds. */
  readonly steadyPollSeconds: number;
}

export function nextDirective(rollout: Rollout, now: Date, options: DirectiveOptions): Directive {
  if (isTerminal(rollout.status)) return { next: 'DONE', status: rollout.status };
  // PENDING rollouts are moved on by events (a signature push, the lock's release), not by the clock.
  if (rollout.status === RolloutStatus.Pending) return { next: 'DONE', status: rollout.status };
  if (rollout.status === RolloutStatus.Paused) return { next: 'APPROVAL' };
  const wait = rollout.wait;
  if (wait?.for === 'bake') {
    const seconds = Math.max(0, Math.ceil((Date.parse(wait.until) - now.getTime()) / 1000));
    return { next: 'WAIT', seconds, for: 'bake' };
  }
  return { next: 'WAIT', seconds: options.steadyPollSeconds, for: 'steady' };
}
