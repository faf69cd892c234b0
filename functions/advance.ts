/**
 * The workflow's Advance step: moves a rollout as far as it can go now and answers what the state
 * machine waits for next (a Directive). Reads alarms before each step, looks for a late signature,
 * and makes the ECS calls of each step.
 */
import type { Directive } from '../shared/core/directive';
import { functionRoot } from './wiring/compose';
import { type InvocationContext, parseAdvanceInput } from './wiring/inputs';

const root = functionRoot('advance', ['store', 'ecs', 'verifier', 'workflow', 'alarms']);

export async function advance(event: unknown, context?: InvocationContext): Promise<Directive> {
  const { rolloutId, call } = parseAdvanceInput(event);
  root.begin(context, { rolloutId, ...call });
  return (await root.get()).orchestrator.advance(rolloutId, call);
}
