/**
 * Execution history in AWS's shape (API reference, HistoryEvent; event type names from the model's
 * HistoryEventType enum): `{timestamp, type, id, previousEventId, <type>EventDetails}`, ids from 1.
 *
 * aws-local-stepfunctions only reports execution started/succeeded/failed, state entered/exited/failed/
 * retried/caught and Map/Parallel iterations, so the rest is derived here (see step-functions-emulator.ts):
 * - `StateEntered`/`StateExited` become `<Type>StateEntered`/`<Type>StateExited` (a Fail state only enters);
 * - Task attempts are recorded by the stand-in's own wrapper around each handler: a Task whose Resource is a
 *   Lambda function ARN writes `LambdaFunctionScheduled/Started/Succeeded|Failed|TimedOut`; an integration
 *   (`arn:aws:states:::lambda:invoke[.waitForTaskToken]`, …) writes `TaskScheduled/Started/[Submitted]/
 *   Succeeded|Failed|TimedOut`; a retry is a new Scheduled/Started (AWS writes no "retried" event);
 * - a stop writes `<Type>StateAborted` for a Task, Wait, Map or Parallel state in progress, then `ExecutionAborted`.
 *
 * Memory: an execution's history keeps every state's input and output, which carry the rollout's record
 * (several KiB each, some forty per rollout), and the stand-in keeps every execution's history as AWS does.
 * With hundreds of rollouts running that was most of local mode's heap, so a data member of 1 KiB or
 * more is kept deflated (`PackedText`) and inflated only when the history is read.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';

export interface HistoryEvent {
  /** Epoch milliseconds here; seconds (with fractions) on the wire, as AWS JSON timestamps. */
  readonly timestamp: number;
  readonly type: string;
  readonly id: number;
  readonly previousEventId: number;
  readonly [details: `${string}EventDetails`]: Record<string, unknown> | undefined;
}

/** The details member of an event type: `TaskStateEntered` → `stateEnteredEventDetails`. */
export function detailsKey(type: string): `${string}EventDetails` {
  const stateEvent = /^(Task|Choice|Wait|Pass|Succeed|Fail|Map|Parallel)State(Entered|Exited)$/.exec(type);
  if (stateEvent) return `state${stateEvent[2]}EventDetails`;
  return `${type[0]!.toLowerCase()}${type.slice(1)}EventDetails`;
}

/** Event types that carry no details member in AWS's model. */
const NO_DETAILS = new Set(['TaskStateAborted', 'WaitStateAborted', 'MapStateAborted', 'ParallelStateAborted', 'LambdaFunctionStarted', 'ParallelStateStarted', 'ParallelStateSucceeded', 'ParallelStateFailed', 'MapStateSucceeded', 'MapStateFailed', 'ParallelStateAborted']);

const DATA_MEMBERS = ['input', 'output', 'parameters'];

/** Shorter data members are kept as they are: deflating them would save little. */
const PACK_FROM_LENGTH = 1024;

/**
 * A history data member kept deflated; `String(packed)` (and `JSON.stringify`) give the text back. The
 * deflated bytes are kept as a one-byte string (latin1), sized to them. A Buffer would not be: zlib's
 * answer is a view of its 16 KiB output chunk, and a small copy is a view of an 8 KiB pool slab that the
 * process's short-lived Buffers share; either stays allocated for as long as the history keeps the view
 * (a member of 2 KiB deflates to a few hundred bytes).
 */
export class PackedText {
  readonly #bytes: string;
  constructor(text: string) {
    this.#bytes = deflateRawSync(text, { level: 1 }).toString('latin1');
  }
  toString(): string {
    return inflateRawSync(Buffer.from(this.#bytes, 'latin1')).toString('utf8');
  }
  toJSON(): string {
    return this.toString();
  }
}

export function historyEvent(id: number, type: string, details: Record<string, unknown> | undefined, timestamp = Date.now()): HistoryEvent {
  const event: Record<string, unknown> = { timestamp, type, id, previousEventId: id - 1 };
  if (details !== undefined && !NO_DETAILS.has(type)) event[detailsKey(type)] = packed(details);
  return event as unknown as HistoryEvent;
}

function packed(details: Record<string, unknown>): Record<string, unknown> {
  let out = details;
  for (const member of DATA_MEMBERS) {
    const value = details[member];
    if (typeof value === 'string' && value.length >= PACK_FROM_LENGTH) {
      if (out === details) out = { ...details };
      out[member] = new PackedText(value);
    }
  }
  return out;
}

/** As the wire shows it: timestamps in seconds; without input/output/parameters when `includeExecutionData` is false. */
export function wireEvent(event: HistoryEvent, includeExecutionData: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event)) {
    if (key === 'timestamp') out[key] = (value as number) / 1000;
    else if (key.endsWith('EventDetails') && value && typeof value === 'object') {
      const members = Object.entries(value as Record<string, unknown>).filter(([k]) => includeExecutionData || !DATA_MEMBERS.includes(k));
      out[key] = Object.fromEntries(members.map(([k, v]) => [k, v instanceof PackedText ? v.toString() : v]));
    } else out[key] = value;
  }
  return out;
}
