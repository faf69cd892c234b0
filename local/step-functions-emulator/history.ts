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
 */

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

export function historyEvent(id: number, type: string, details: Record<string, unknown> | undefined, timestamp = Date.now()): HistoryEvent {
  const event: Record<string, unknown> = { timestamp, type, id, previousEventId: id - 1 };
  if (details !== undefined && !NO_DETAILS.has(type)) event[detailsKey(type)] = details;
  return event as unknown as HistoryEvent;
}

const DATA_MEMBERS = ['input', 'output', 'parameters'];

/** As the wire shows it: timestamps in seconds; without input/output/parameters when `includeExecutionData` is false. */
export function wireEvent(event: HistoryEvent, includeExecutionData: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event)) {
    if (key === 'timestamp') out[key] = (value as number) / 1000;
    else if (!includeExecutionData && key.endsWith('EventDetails') && value && typeof value === 'object') {
      out[key] = Object.fromEntries(Object.entries(value as Record<string, unknown>).filter(([k]) => !DATA_MEMBERS.includes(k)));
    } else out[key] = value;
  }
  return out;
}
