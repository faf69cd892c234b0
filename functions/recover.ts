/**
 * The workflow's catch-all: a step failed beyond its retries. Records the failure, which rolls an
 * active rollout back (or re-drives an interrupted rollback), and answers a Directive.
 */
import type { Directive } from '../shared/core/directive';
import { functionRoot } from './wiring/compose';
import type { InvocationContext } from './wiring/inputs';
import { stepHandlers } from './wiring/step-handlers';

const root = functionRoot('recover', ['store', 'ecs', 'workflow']);
const handlers = stepHandlers(async () => (await root.get()).orchestrator, (keys) => root.logger.appendKeys(keys));

export async function recover(event: unknown, context?: InvocationContext): Promise<Directive> {
  root.begin(context);
  return handlers.recover(event);
}
