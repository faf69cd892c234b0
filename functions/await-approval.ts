/**
 * The workflow's callback waits (AwaitApproval, AwaitSteady): keeps the task token on the rollout, or
 * answers it at once when the rollout moved on meanwhile. For a wait on ECS it also looks at ECS once,
 * so a steady state reached before the token was kept answers at once. Needs the store, ECS (read) and
 * Step Functions.
 */
import { functionRoot } from './wiring/compose';
import type { InvocationContext } from './wiring/inputs';
import { stepHandlers } from './wiring/step-handlers';

const root = functionRoot('await-approval', ['store', 'ecs', 'workflow']);
const handlers = stepHandlers(async () => (await root.get()).orchestrator, (keys) => root.logger.appendKeys(keys));

export async function awaitApproval(event: unknown, context?: InvocationContext): Promise<void> {
  root.begin(context);
  await handlers.awaitCallback(event);
}
