/**
 * The workflow's Advance step: moves a rollout as far as it can go now and answers what the state
 * machine waits for next (a Directive). Reads alarms before each step, looks for a late signature,
 * and makes the ECS calls of each step.
 */
import type { Directive } from '../shared/core/directive';
import { functionRoot } from './wiring/compose';
import type { InvocationContext } from './wiring/inputs';
import { stepHandlers } from './wiring/step-handlers';

const root = functionRoot('advance', ['store', 'ecs', 'verifier', 'workflow', 'alarms']);
const handlers = stepHandlers(async () => (await root.get()).orchestrator, (keys) => root.logger.appendKeys(keys));

export async function advance(event: unknown, context?: InvocationContext): Promise<Directive> {
  root.begin(context);
  return handlers.advance(event);
}
