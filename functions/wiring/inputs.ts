/** The inputs the state machine passes to the step functions (infra/rollout-state-machine.ts), parsed. */
import * as z from 'zod/mini';
import { carriedRecord } from '../../shared/core/carried-record';
import type { Rollout } from '../../shared/core/rollout';
import { parseOrThrow } from '../../shared/http/validation';
import type { ClockCall } from '../../shared/orchestration/orchestrator';

export type { InvocationContext } from '../../shared/observability/lambda-logger';

const rolloutInput = z.object({ rolloutId: z.string().check(z.minLength(1)) });
/**
 * `wait`: what the callback waits for (absent: an approval, as before it was passed). `directive`: the
 * Advance's (or Recover's) answer that led to the wait, whose `version` is the record it was decided from.
 */
const approvalInput = z.extend(rolloutInput, {
  taskToken: z.string().check(z.minLength(1)),
  wait: z.optional(z.enum(['approval', 'steady'])),
  directive: z.optional(z.looseObject({ version: z.optional(z.int().check(z.minimum(1))) })),
});
/** Which execution calls, and its turn of the loop (absent in executions started before they were passed). */
const clockCall = { execution: z.optional(z.string().check(z.minLength(1), z.maxLength(80))), turn: z.optional(z.int().check(z.minimum(0))) };
/**
 * `directive`: what led here (absent in executions started before it was passed), with the record handed
 * on at `carried.record` (shared/core/carried-record.ts). Taken as it comes: a callback's answer is put
 * there by whoever sent it (an operator's hand-sent SendTaskSuccess too), and anything that is not a
 * record only means the Advance reads it.
 */
const advanceInput = z.extend(rolloutInput, { ...clockCall, directive: z.optional(z.unknown()) });
const recoverInput = z.extend(rolloutInput, {
  ...clockCall,
  error: z.nullish(z.looseObject({ Error: z.optional(z.string()), Cause: z.optional(z.string()) })),
});

/** `carried`: the record handed on with the input, when it is one of this rollout (shared/core/carried-record.ts). */
export function parseAdvanceInput(event: unknown): { rolloutId: string; call: ClockCall; carried: Rollout | null } {
  const { rolloutId, execution, turn, directive } = parseOrThrow(advanceInput, event, 'Advance input');
  return { rolloutId, call: clockCallOf(execution, turn), carried: carriedRecord(field(field(directive, 'carried'), 'record'), rolloutId) };
}

/** `value[name]` when `value` is a plain object; undefined otherwise. */
function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[name] : undefined;
}

export function parseCallbackInput(event: unknown): { rolloutId: string; taskToken: string; wait: 'approval' | 'steady'; version?: number; converge: boolean } {
  const { rolloutId, taskToken, wait, directive } = parseOrThrow(approvalInput, event, 'callback wait input');
  // `converge` is only ever true or absent: anything but true reads as absent.
  const converge = (directive as { converge?: unknown } | undefined)?.converge === true;
  return { rolloutId, taskToken, wait: wait ?? 'approval', ...(directive?.version === undefined ? {} : { version: directive.version }), converge };
}

/** The rollout and the failure as one line: the error's name, then its message rather than Lambda's JSON. */
export function parseRecoverInput(event: unknown): { rolloutId: string; message: string; call: ClockCall } {
  const { rolloutId, error, execution, turn } = parseOrThrow(recoverInput, event, 'Recover input');
  const message = [error?.Error, describeCause(error?.Cause)].filter(Boolean).join(': ') || 'unknown failure';
  return { rolloutId, message, call: clockCallOf(execution, turn) };
}

function clockCallOf(execution: string | undefined, turn: number | undefined): ClockCall {
  return { ...(execution ? { execution } : {}), ...(turn === undefined ? {} : { turn }) };
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
