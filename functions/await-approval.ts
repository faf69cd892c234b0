/**
 * The workflow's AwaitApproval callback task: keeps the task token on the PAUSED rollout, or answers it
 * at once when the rollout was decided meanwhile. Needs the store and Step Functions only.
 */
import { functionRoot } from './wiring/compose';
import { type InvocationContext, parseApprovalInput } from './wiring/inputs';

const root = functionRoot('await-approval', ['store', 'workflow']);

export async function awaitApproval(event: unknown, context?: InvocationContext): Promise<void> {
  const { rolloutId, taskToken } = parseApprovalInput(event);
  root.begin(context, { rolloutId });
  await (await root.get()).orchestrator.registerApprovalWait(rolloutId, taskToken);
}
