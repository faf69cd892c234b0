/**
 * The state machine's task handlers, once: parse the task's input, call the orchestrator. The Lambda
 * entry points (functions/advance.ts, await-approval.ts, recover.ts) and local mode's Step Functions
 * stand-in both run these, so the loop is the same code in both places.
 */
import type { Directive } from '../../shared/core/directive';
import type { Orchestrator } from '../../shared/orchestration/orchestrator';
import { parseAdvanceInput, parseCallbackInput, parseRecoverInput } from './inputs';

export interface StepHandlers {
  advance(event: unknown): Promise<Directive>;
  /** AwaitApproval and AwaitSteady: keep the callback's task token on the rollout. */
  awaitCallback(event: unknown): Promise<void>;
  recover(event: unknown): Promise<Directive>;
}

/** `bind` hears each invocation's rollout (the Lambda logger binds it to every line). */
export function stepHandlers(orchestrator: () => Promise<Orchestrator>, bind: (keys: Record<string, unknown>) => void = () => {}): StepHandlers {
  return {
    async advance(event) {
      const { rolloutId, call, carried } = parseAdvanceInput(event);
      bind({ rolloutId, ...call });
      return (await orchestrator()).advance(rolloutId, call, carried);
    },
    async awaitCallback(event) {
      const { rolloutId, taskToken, wait, version, converge } = parseCallbackInput(event);
      bind({ rolloutId, wait });
      const o = await orchestrator();
      if (wait === 'steady') await o.registerSteadyWait(rolloutId, taskToken, version, converge);
      else await o.registerApprovalWait(rolloutId, taskToken, version);
    },
    async recover(event) {
      const { rolloutId, message, call } = parseRecoverInput(event);
      bind({ rolloutId, ...call });
      return (await orchestrator()).recover(rolloutId, message, call);
    },
  };
}
