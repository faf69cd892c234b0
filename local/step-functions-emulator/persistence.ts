/**
 * What the stand-in remembers across restarts, in one JSON file (written through a temporary file and a
 * rename, as the ECS emulator's persistence): every execution it started, so that a restarted stand-in
 * refuses the name of a closed one (AWS: "If the execution is closed … it will return a 400
 * ExecutionAlreadyExists error. Names can be reused after 90 days.") and can still describe and list it.
 * History events are not kept: the interpreter and the process that ran them are gone.
 *
 * File format, version 1:
 * `{"version":1,"executions":[{"name","executionArn","stateMachineArn","status","startDate","stopDate"?,
 *   "input","output"?,"error"?,"cause"?}]}` (dates in epoch milliseconds; input/output as JSON strings).
 */
import { readStateFile, writeStateFile } from '../sdk/state-file';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface StoredExecution {
  readonly name: string;
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly status: ExecutionStatus;
  readonly startDate: number;
  readonly stopDate?: number;
  readonly input: string;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
}

export interface StepFunctionsState {
  readonly version: 1;
  readonly executions: StoredExecution[];
}

/** AWS: an execution name can be reused 90 days after … (the model's StartExecution doc). */
export const NAME_RETENTION_MS = 90 * 24 * 3600 * 1000;

export const loadState = (file: string): StepFunctionsState => {
  const parsed = readStateFile<StepFunctionsState>(file, 'Step Functions stand-in', 1);
  return { version: 1, executions: Array.isArray(parsed?.executions) ? parsed.executions : [] };
};

export const saveState = (file: string, state: StepFunctionsState): void => writeStateFile(file, state);
