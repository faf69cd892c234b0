/**
 * The workflow's catch-all: a step failed beyond its retries. Records the failure, which rolls an
 * active rollout back (or re-drives an interrupted rollback), and answers a Directive.
 */
import type { Directive } from '../shared/core/directive';
import { functionRoot } from './wiring/compose';
import { type InvocationContext, parseRecoverInput } from './wiring/inputs';

const root = functionRoot('recover', ['store', 'ecs', 'workflow']);

export async function recover(event: unknown, context?: InvocationContext): Promise<Directive> {
  const { rolloutId, message, call } = parseRecoverInput(event);
  root.begin(context, { rolloutId, ...call });
  return (await root.get()).orchestrator.recover(rolloutId, message, call);
}
