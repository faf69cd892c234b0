/**
 * The Step Functions task handlers: the same step logic local mode runs on timers.
 * Advance and Recover answer a Directive; AwaitApproval stores the callback token.
 */
import { z } from 'zod';
import type { Directive } from '../shared/core/directive';
import { parseOrThrow } from '../shared/http/validation';
import { getOrchestrator } from './runtime';

const rolloutInput = z.object({ rolloutId: z.string().min(1) });
const approvalInput = rolloutInput.extend({ taskToken: z.string().min(1) });
const recoverInput = rolloutInput.extend({
  error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).passthrough().nullish(),
});

export async function advance(event: unknown): Promise<Directive> {
  const { rolloutId } = parseOrThrow(rolloutInput, event, 'Advance input');
  return (await getOrchestrator()).advance(rolloutId);
}

export async function awaitApproval(event: unknown): Promise<void> {
  const { rolloutId, taskToken } = parseOrThrow(approvalInput, event, 'AwaitApproval input');
  await (await getOrchestrator()).registerApprovalWait(rolloutId, taskToken);
}

export async function recover(event: unknown): Promise<Directive> {
  const { rolloutId, error } = parseOrThrow(recoverInput, event, 'Recover input');
  const message = [error?.Error, describeCause(error?.Cause)].filter(Boolean).join(': ') || 'unknown failure';
  return (await getOrchestrator()).recover(rolloutId, message);
}

/** Lambda puts `{errorMessage, errorType}` JSON in Cause; show the message, not the JSON. */
function describeCause(cause: string | undefined): string | undefined {
  if (!cause) return undefined;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string };
    return parsed.errorMessage ?? cause;
  } catch {
    return cause;
  }
}
