/**
 * A Step Functions stand-in on the AWS JSON 1.0 wire (`POST /`, `X-Amz-Target: AWSStepFunctions.<Operation>`):
 * the real SFNClient (and so the real StepFunctionsWorkflow adapter, the AWS CLI, a watchdog) starts,
 * describes, lists, stops executions and answers task tokens here, while the definition — the one
 * `cdk synth` produces, resolved to plain ASL — runs in aws-local-stepfunctions with each Task state
 * handled by a local function.
 *
 * Checked against the API model (botocore `stepfunctions/2016-11-23/service-2.json` and the model in
 * `@aws-sdk/client-sfn` 3.1164: operations, required members, constraints, documented errors) and the
 * developer guide (quotas, EventBridge events). Where AWS is stricter than the interpreter, so is this:
 *
 * - StartExecution: a name is 1–80 characters without the forbidden ones (`InvalidName`); a name already
 *   used by a CLOSED execution, or by a running one with other input, is `ExecutionAlreadyExists`; the same
 *   name and the same input (compared as sent) while running answers the original executionArn and startDate.
 *   Closed names are remembered across restarts (`stateFile`), for AWS's 90 days.
 * - History: every event is counted; an execution that reaches the history limit (25,000 in AWS, `historyLimit`
 *   here) fails. AWS: "If the execution history reaches this quota, the execution will fail", and "When an
 *   execution reaches 24,999 events, it waits for the next event to happen": only a closing event fits as the
 *   last one. AWS does not document the error name; this stand-in fails it with `States.Runtime` and a cause
 *   that says so.
 * - Payloads: a state's input or output, a task's input (after Parameters) or result, over 256 KiB fails the
 *   execution with `States.DataLimitExceeded` — AWS: "Reported when the output of a connector is larger than
 *   payload size quota, the output of a state is larger than payload size quota, or the input of a state is
 *   larger than payload size quota after Parameters processing", a terminal error `States.ALL` does not catch.
 * - Task tokens: a token that is not one of ours is `InvalidToken`; one of ours whose task is no longer waiting
 *   (answered, timed out, its execution closed or stopped) is `TaskTimedOut` — the model: "The task token has
 *   either expired or the task associated with the token has already been closed".
 * - TaskTimeout: aws-local-stepfunctions times a Task out at its static `TimeoutSeconds` (60 s when absent,
 *   where AWS's default is 99,999,999 s) and cannot shorten it. The interpreter here runs a copy of the
 *   definition whose Tasks carry the timeout to honour: the definition's, AWS's default when absent, or a
 *   test's `taskTimeoutOverrides` (milliseconds, fractional seconds in the copy), capped at Node's longest timer
 *   (2,147,483 s, about 24.8 days). `TimeoutSecondsPath`/`HeartbeatSecondsPath` are refused: the interpreter
 *   resolves them after `Parameters`, AWS against the state input. `HeartbeatSeconds` on a callback
 *   task is honoured here (the interpreter ignores it): no `SendTaskHeartbeat` in time → `States.HeartbeatTimeout`.
 * - Lambda errors reach Retry/Catch as AWS passes them: the error is the function's error type, the cause the
 *   JSON Lambda writes (`{"errorMessage","errorType","trace"}`); `Lambda.*` and `States.*` errors keep their message.
 * - A Task without a local handler fails with `Lambda.ResourceNotFoundException`: nothing here calls real AWS.
 *
 * Status changes (RUNNING → SUCCEEDED/FAILED/TIMED_OUT/ABORTED) go to listeners in the shape of EventBridge's
 * "Step Functions Execution Status Change" event (status-events.ts), so the watchdog has one handler.
 *
 * Restart and shutdown: executions do not survive their process. On load, an execution the state file still
 * has as RUNNING is recorded ABORTED (error `Local.ProcessExited`): nothing of it runs any more, as after a
 * StopExecution, and that is what the watchdog must re-drive; ABORTED rather than FAILED because its
 * definition did not fail — it was stopped from outside. Listeners given in the options get its ABORTED event.
 * `close()` stops running executions (ABORTED in memory, error `Local.StandInClosed`) but neither persists
 * that nor emits status changes: the state file keeps them RUNNING, so a clean shutdown and a crash look the
 * same to the next start, which records them ABORTED and refuses their names.
 */
import { randomUUID } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './asl';
import { SfnApiError } from './errors';
import { historyEvent, wireEvent, type HistoryEvent } from './history';
import { loadState, NAME_RETENTION_MS, saveState, type ExecutionStatus, type StoredExecution } from './persistence';
import { statusChangeEvent, type ExecutionStatusChangeDetail, type ExecutionStatusChangeEvent, type StatusChangeListener } from './status-events';
import { isValidName, validateRequest } from './validation';
import { type WireAnswer, serveWire } from '../sdk/loopback-server';
import type { InProcessHandler } from '../sdk/in-process-handler';

if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== 'function') {
  // Node 20 lacks it and aws-local-stepfunctions needs it (Node 22 has it).
  (Promise as unknown as { withResolvers: () => unknown }).withResolvers = function withResolvers<T>() {
    let resolve!: (v: T) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

export { SfnApiError } from './errors';
export type { ExecutionStatusChangeEvent, StatusChangeListener } from './status-events';
export type { HistoryEvent } from './history';

type Json = unknown;
export type TaskHandler = (input: Json) => Promise<Json>;

/**
 * The definitions (as JSON text) this process has already validated: validation compiles the ASL
 * schema anew each time (about 0.4 s of CPU), and the same text always gets the same verdict.
 */
const VALIDATED_DEFINITIONS = new Set<string>();

/** AWS's quota for a state's input or output, and a task's: 256 KiB of UTF-8 (States.DataLimitExceeded). */
const MAX_PAYLOAD_BYTES = 262_144;
/** AWS's history quota for a Standard execution. */
export const AWS_HISTORY_LIMIT = 25_000;
/** AWS's default Task TimeoutSeconds (developer guide, Task state). */
const AWS_DEFAULT_TASK_TIMEOUT_S = 99_999_999;
/** The longest delay setTimeout honours (2^31 - 1 ms); beyond it Node fires after 1 ms. */
const MAX_TIMER_S = 2_147_483;

export interface StepFunctionsEmulatorOptions {
  /** Plain ASL (CloudFormation intrinsics already resolved), e.g. rollout-state-machine.asl.json. */
  readonly definition: Record<string, unknown>;
  /** Task state name → local handler. Callback tasks get `$$.Task.Token` replaced by a real token wherever it lands in their input. */
  readonly handlers: Readonly<Record<string, TaskHandler>>;
  /** Wait state name → milliseconds, to shorten waits in tests. Default: the definition's real durations. */
  readonly waitTimeOverrides?: Readonly<Record<string, number>>;
  /** State name → retry interval ms. Default: the definition's intervals, backoff and jitter. */
  readonly retryIntervalOverrides?: Readonly<Record<string, number>>;
  /** Task state name → timeout in milliseconds, instead of its TimeoutSeconds (tests). */
  readonly taskTimeoutOverrides?: Readonly<Record<string, number>>;
  readonly stateMachineArn?: string;
  /** History events an execution may write before it fails. Default 25,000, as AWS. */
  readonly historyLimit?: number;
  /** Where executions are remembered across restarts. Default: in memory only. */
  readonly stateFile?: string;
  /** Receives every status change, including the ABORTED of executions a previous process left running. */
  readonly onStatusChange?: StatusChangeListener;
}

export interface ExecutionRecord {
  readonly name: string;
  readonly arn: string;
  readonly input: Json;
  readonly status: ExecutionStatus;
  readonly startDate: number;
  readonly stopDate?: number;
  readonly output?: Json;
  /** Why it FAILED, TIMED_OUT or was ABORTED: `name` is the error, `message` the cause. */
  readonly error?: { readonly name: string; readonly message: string };
  /** States entered, in order: what Step Functions bills as state transitions. */
  readonly states: readonly string[];
  /** The AWS-shaped history, counted against the limit (data members of 1 KiB or more as `PackedText`: history.ts). */
  readonly history: readonly HistoryEvent[];
  /** Resolves when the execution has closed. */
  readonly done: Promise<void>;
}

type TaskKind = { readonly events: 'lambda'; readonly resource: string } | { readonly events: 'task'; readonly resourceType: string; readonly resource: string; readonly callback: boolean };

interface Attempt {
  closed: boolean;
  readonly kind: TaskKind;
  readonly state: string;
}

interface Pending {
  readonly execution: Execution;
  readonly attempt: Attempt;
  readonly resolve: (v: Json) => void;
  readonly reject: (e: Error) => void;
  heartbeat?: ReturnType<typeof setTimeout>;
  readonly heartbeatMs?: number;
}

interface Execution {
  readonly name: string;
  readonly arn: string;
  readonly input: Json;
  readonly inputText: string;
  readonly startDate: number;
  readonly seq: number;
  status: ExecutionStatus;
  stopDate?: number;
  output?: Json;
  error?: { name: string; message: string };
  readonly states: string[];
  readonly history: HistoryEvent[];
  done: Promise<void>;
  closed: boolean;
  abort?: () => void;
  markDone?: () => void;
  /** The state in progress (for `<Type>StateAborted`). */
  current?: { readonly name: string; readonly type: string };
  readonly attempts: Map<string, Attempt>;
  readonly tokens: Set<string>;
}

class TaskError extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

/**
 * What a Task answers the interpreter once its execution has closed (stopped, failed, the stand-in
 * closed): an error it neither retries nor catches, so that its run ends and clears its timers. An answer
 * that never came kept the Task's timeout timer for the Task's TimeoutSeconds (a day for an approval),
 * with all it held, and kept a process that stopped its local stack from exiting.
 */
const abandonedError = (): Error => Object.assign(new Error('the execution has closed'), { name: 'Local.TaskAbandoned', isRetryable: false, isCatchable: false });
const never = <T>() => new Promise<T>(() => undefined);

/**
 * What a Task answers once it has nothing to say: `abandonedError` when its execution closed; when only
 * the interpreter ended this attempt (its timeout), the interpreter no longer awaits the answer, and none
 * comes (an error there could end a running execution for nothing).
 */
const afterEnd = <T>(execution: { readonly closed: boolean }): Promise<T> => (execution.closed ? Promise.reject(abandonedError()) : never<T>());
const nextMacrotask = () => new Promise<void>((r) => setImmediate(r));

function taskKind(resource: string): TaskKind {
  if (/^arn:aws[\w-]*:lambda:/.test(resource)) return { events: 'lambda', resource };
  const integration = /^arn:aws[\w-]*:states:::([\w-]+):(.+)$/.exec(resource);
  if (integration) return { events: 'task', resourceType: integration[1]!, resource: integration[2]!, callback: integration[2]!.endsWith('.waitForTaskToken') };
  return { events: 'task', resourceType: 'activity', resource, callback: false };
}

/** Every Task state, by name, including those inside Parallel branches and Map processors. */
function taskStates(definition: Record<string, unknown>, into = new Map<string, Record<string, unknown>>()) {
  for (const [name, state] of Object.entries((definition['States'] ?? {}) as Record<string, Record<string, unknown>>)) {
    if (state['Type'] === 'Task') into.set(name, state);
    for (const branch of (state['Branches'] ?? []) as Record<string, unknown>[]) taskStates(branch, into);
    for (const key of ['Iterator', 'ItemProcessor']) if (state[key]) taskStates(state[key] as Record<string, unknown>, into);
  }
  return into;
}

/** A copy of the definition whose Task timeouts are the ones to honour (see the file comment). */
function interpreterDefinition(definition: Record<string, unknown>, timeoutOverrides: Readonly<Record<string, number>>): Record<string, unknown> {
  const copy = structuredClone(definition);
  for (const [name, state] of taskStates(copy)) {
    for (const field of ['TimeoutSecondsPath', 'HeartbeatSecondsPath']) {
      if (state[field] !== undefined) throw new Error(`Task ${name}: ${field} is not supported by the local Step Functions stand-in (aws-local-stepfunctions resolves it after Parameters, AWS against the state input); use a static value`);
    }
    const override = timeoutOverrides[name];
    const seconds = override !== undefined ? override / 1000 : ((state['TimeoutSeconds'] as number | undefined) ?? AWS_DEFAULT_TASK_TIMEOUT_S);
    state['TimeoutSeconds'] = Math.min(seconds, MAX_TIMER_S);
  }
  if (typeof copy['TimeoutSeconds'] === 'number') copy['TimeoutSeconds'] = Math.min(copy['TimeoutSeconds'], MAX_TIMER_S);
  return copy;
}

function deepReplace(value: Json, from: string, to: string): Json {
  if (value === from) return to;
  if (Array.isArray(value)) return value.map((v) => deepReplace(v, from, to));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deepReplace(v, from, to)]));
  return value;
}

/** The error a handler's rejection becomes, as AWS hands it to Retry/Catch. */
function taskError(e: unknown, lambda: boolean): TaskError {
  const err = e instanceof Error ? e : new Error(String(e));
  const name = err.name || 'Error';
  if (!lambda || name.startsWith('Lambda.') || name.startsWith('States.')) return new TaskError(name, err.message);
  const trace = (err.stack ?? '').split('\n').slice(1).map((l) => l.trim());
  return new TaskError(name, JSON.stringify({ errorType: name, errorMessage: err.message, trace }));
}

const stateMachineArnPattern = /^arn:aws[\w-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+$/;
const executionArnPattern = /^arn:aws[\w-]*:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/;

function encodePageToken(payload: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}
function decodePageToken(token: string, key: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown; k?: unknown };
    if (parsed.k === key && typeof parsed.o === 'number' && parsed.o >= 0) return parsed.o;
  } catch {
    // fall through
  }
  throw new SfnApiError('InvalidToken', `Invalid Token: '${token.slice(0, 64)}'`);
}

export class StepFunctionsEmulator {
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
  readonly historyLimit: number;
  private readonly definitionText: string;
  /** By execution name. */
  readonly executions = new Map<string, ExecutionRecord>();
  private readonly all = new Map<string, Execution>();
  private readonly machine: StateMachine;
  private readonly tasks: Map<string, Record<string, unknown>>;
  private readonly pending = new Map<string, Pending>();
  private readonly listeners = new Set<StatusChangeListener>();
  private readonly tokenPlaceholder = `local-task-token-placeholder-${randomUUID()}`;
  private readonly creationDate = Date.now();
  private seq = 0;
  private shuttingDown = false;

  constructor(private readonly options: StepFunctionsEmulatorOptions) {
    this.stateMachineArn = options.stateMachineArn ?? `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:rollout`;
    if (!stateMachineArnPattern.test(this.stateMachineArn)) throw new Error(`not a state machine ARN: ${this.stateMachineArn}`);
    this.stateMachineName = this.stateMachineArn.split(':').at(-1)!;
    this.historyLimit = options.historyLimit ?? AWS_HISTORY_LIMIT;
    // Validates the definition as given (throws if invalid), then runs the copy with the timeouts to honour.
    // The interpreter adds defaults to the object it is given (QueryLanguage): it gets a copy, and
    // DescribeStateMachine answers the definition exactly as it was given.
    this.definitionText = JSON.stringify(options.definition);
    if (!VALIDATED_DEFINITIONS.has(this.definitionText)) {
      new StateMachine(structuredClone(options.definition) as never, { validationOptions: { checkArn: false } });
      VALIDATED_DEFINITIONS.add(this.definitionText);
    }
    this.machine = new StateMachine(interpreterDefinition(options.definition, options.taskTimeoutOverrides ?? {}) as never, { validationOptions: { noValidate: true } });
    this.tasks = taskStates(options.definition);
    if (options.onStatusChange) this.listeners.add(options.onStatusChange);
    if (options.stateFile) this.restore(options.stateFile);
  }

  /** Subscribes to execution status changes; answers the unsubscribe function. */
  onStatusChange(listener: StatusChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Runs an AWS JSON 1.0 operation; throws SfnApiError as the service would answer. */
  async invoke(operation: string, input: Record<string, unknown>): Promise<unknown> {
    const handler = this.operations[operation];
    if (!handler) throw new SfnApiError('UnknownOperationException', `Unknown operation ${operation}`);
    validateRequest(operation, input);
    return handler(input);
  }

  /** Resolves when every execution started so far has closed. */
  async idle(): Promise<void> {
    await Promise.all([...this.all.values()].map((e) => e.done));
  }

  /** Stops every running execution (see the file comment: not persisted, no status change). */
  close(): void {
    this.shuttingDown = true;
    for (const execution of this.all.values()) {
      if (!execution.closed) this.close_(execution, 'ABORTED', { error: 'Local.StandInClosed', cause: 'The local Step Functions stand-in was closed while this execution ran.' });
    }
  }

  private readonly operations: Record<string, (input: Record<string, unknown>) => unknown> = {
    StartExecution: (i) => this.startExecution(i),
    DescribeExecution: (i) => this.describe(this.executionOf(i['executionArn'])),
    StopExecution: (i) => this.stopExecution(i),
    ListStateMachines: (i) => this.listStateMachines(i),
    DescribeStateMachine: (i) => this.describeStateMachine(i),
    ListExecutions: (i) => this.listExecutions(i),
    GetExecutionHistory: (i) => this.getExecutionHistory(i),
    SendTaskSuccess: (i) => this.sendTaskSuccess(i),
    SendTaskFailure: (i) => this.sendTaskFailure(i),
    SendTaskHeartbeat: (i) => this.sendTaskHeartbeat(i),
  };

  // --- state machines ---------------------------------------------------------------------------

  private checkStateMachineArn(value: unknown): void {
    const arn = String(value);
    if (!stateMachineArnPattern.test(arn)) throw new SfnApiError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${arn}'`);
    if (arn !== this.stateMachineArn) throw new SfnApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
  }

  private listStateMachines(input: Record<string, unknown>) {
    if (typeof input['nextToken'] === 'string') decodePageToken(input['nextToken'], 'machines');
    return { stateMachines: [{ stateMachineArn: this.stateMachineArn, name: this.stateMachineName, type: 'STANDARD', creationDate: this.creationDate / 1000 }] };
  }

  private describeStateMachine(input: Record<string, unknown>) {
    this.checkStateMachineArn(input['stateMachineArn']);
    return {
      stateMachineArn: this.stateMachineArn,
      name: this.stateMachineName,
      status: 'ACTIVE',
      // As AWS answers it: the definition as a string of ASL.
      definition: this.definitionText,
      roleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/${this.stateMachineName}-local`,
      type: 'STANDARD',
      creationDate: this.creationDate / 1000,
      loggingConfiguration: { level: 'OFF', includeExecutionData: false },
      tracingConfiguration: { enabled: false },
    };
  }

  // --- executions -------------------------------------------------------------------------------

  private executionArn(name: string): string {
    return `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  }

  private executionOf(value: unknown): Execution {
    const arn = String(value);
    if (!executionArnPattern.test(arn)) throw new SfnApiError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${arn}'`);
    const execution = this.all.get(arn.split(':').at(-1)!);
    if (!execution || execution.arn !== arn) throw new SfnApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return execution;
  }

  private describe(e: Execution) {
    return {
      executionArn: e.arn,
      stateMachineArn: this.stateMachineArn,
      name: e.name,
      status: e.status,
      startDate: e.startDate / 1000,
      ...(e.stopDate === undefined ? {} : { stopDate: e.stopDate / 1000 }),
      input: e.inputText,
      inputDetails: { included: true },
      ...(e.output === undefined ? {} : { output: JSON.stringify(e.output), outputDetails: { included: true } }),
      ...(e.error ? { error: e.error.name, cause: e.error.message } : {}),
    };
  }

  private startExecution(input: Record<string, unknown>) {
    this.checkStateMachineArn(input['stateMachineArn']);
    const name = typeof input['name'] === 'string' ? input['name'] : randomUUID();
    if (!isValidName(name)) throw new SfnApiError('InvalidName', `Invalid Name: '${name}'`);
    const inputText = typeof input['input'] === 'string' ? input['input'] : '{}';
    let execInput: Json;
    try {
      execInput = JSON.parse(inputText);
    } catch {
      throw new SfnApiError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${inputText.slice(0, 100)}'`);
    }
    const arn = this.executionArn(name);
    const existing = this.all.get(name);
    if (existing) {
      // AWS: idempotent only for a running execution with the same name and input; closed or other input → error.
      if (existing.status === 'RUNNING' && existing.inputText === inputText) return { executionArn: existing.arn, startDate: existing.startDate / 1000 };
      throw new SfnApiError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    if (this.shuttingDown) throw new SfnApiError('ServiceUnavailable', 'The local Step Functions stand-in is closing', 503);
    const execution = this.track({ name, arn, input: execInput, inputText, startDate: Date.now(), status: 'RUNNING' });
    this.persist();
    this.append(execution, 'ExecutionStarted', { input: inputText, inputDetails: { truncated: false }, roleArn: this.describeStateMachine({ stateMachineArn: this.stateMachineArn }).roleArn });
    this.emit(execution);
    this.run(execution);
    return { executionArn: arn, startDate: execution.startDate / 1000 };
  }

  private track(fields: { name: string; arn: string; input: Json; inputText: string; startDate: number; status: ExecutionStatus }): Execution {
    const execution: Execution = { ...fields, seq: this.seq++, states: [], history: [], closed: fields.status !== 'RUNNING', done: Promise.resolve(), attempts: new Map(), tokens: new Set() };
    if (!execution.closed) execution.done = new Promise<void>((r) => (execution.markDone = r));
    this.all.set(fields.name, execution);
    this.executions.set(fields.name, execution as ExecutionRecord);
    return execution;
  }

  private run(execution: Execution): void {
    const overrides: Record<string, (i: Json) => Promise<Json>> = {};
    for (const [state, definition] of this.tasks) overrides[state] = (i) => this.task(execution, state, definition, i);
    const run = this.machine.run(execution.input as never, {
      overrides: {
        taskResourceLocalHandlers: overrides as never,
        waitTimeOverrides: { ...this.options.waitTimeOverrides },
        retryIntervalOverrides: { ...this.options.retryIntervalOverrides },
      },
      noThrowOnAbort: true,
      context: {
        Execution: { Id: execution.arn, Name: execution.name, RoleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/${this.stateMachineName}-local` },
        StateMachine: { Id: this.stateMachineArn, Name: this.stateMachineName },
        // Replaced by a fresh token in each callback task's input.
        Task: { Token: this.tokenPlaceholder },
      },
    });
    execution.abort = run.abort;
    run.result.catch(() => undefined); // the outcome is read from the event log, in order
    void (async () => {
      for await (const event of run.eventLogs as AsyncIterable<LibraryEvent>) {
        if (execution.closed) break;
        this.onLibraryEvent(execution, event);
      }
    })();
  }

  /** Turns one aws-local-stepfunctions event into AWS history events (history.ts says which). */
  private onLibraryEvent(execution: Execution, event: LibraryEvent): void {
    const state = event.state;
    switch (event.type) {
      case 'StateEntered': {
        if (!state) return;
        execution.current = { name: state.name, type: state.type };
        execution.states.push(state.name);
        const input = JSON.stringify(state.input ?? null);
        this.append(execution, `${state.type}StateEntered`, { name: state.name, input, inputDetails: { truncated: false } });
        this.checkDataLimit(execution, state.name, 'input', input);
        return;
      }
      case 'StateExited': {
        if (!state || state.type === 'Fail') return;
        execution.current = undefined;
        const output = JSON.stringify(state.output ?? null);
        if (this.checkDataLimit(execution, state.name, 'output', output)) return;
        this.append(execution, `${state.type}StateExited`, { name: state.name, output, outputDetails: { truncated: false } });
        return;
      }
      case 'StateFailed': {
        // A Task attempt the wrapper did not close ended in the interpreter: its timeout.
        const attempt = state && state.type === 'Task' ? execution.attempts.get(state.name) : undefined;
        if (!attempt || attempt.closed) return;
        this.closeAttempt(execution, attempt);
        const timedOut = event.Error === 'States.Timeout';
        this.taskEvent(execution, attempt.kind, timedOut ? 'TimedOut' : 'Failed', { error: event.Error, cause: causeText(event.Cause) });
        return;
      }
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed':
        this.append(execution, event.type, { name: event.parentState?.name, index: event.index });
        return;
      case 'ExecutionSucceeded':
        this.close_(execution, 'SUCCEEDED', { output: event.output ?? null });
        return;
      case 'ExecutionFailed':
        this.close_(execution, 'FAILED', { error: event.Error ?? 'States.Runtime', cause: causeText(event.Cause) });
        return;
      case 'ExecutionTimeout':
        this.close_(execution, 'TIMED_OUT', { error: 'States.Timeout', cause: 'The execution ran longer than the TimeoutSeconds of its state machine.' });
        return;
      default:
        // ExecutionStarted is written at start; ExecutionAborted by close_; retried/caught have no AWS event.
        return;
    }
  }

  /** The local handler of one Task attempt, wrapped to write its history events and hold its task token. */
  private async task(execution: Execution, state: string, definition: Record<string, unknown>, input: Json): Promise<Json> {
    // Let the history catch up with the interpreter's StateEntered/StateRetried before the attempt writes.
    await nextMacrotask();
    if (execution.closed) return afterEnd(execution);
    const kind = taskKind(String(definition['Resource']));
    const attempt: Attempt = { closed: false, kind, state };
    execution.attempts.set(state, attempt);
    const timeoutInSeconds = (definition['TimeoutSeconds'] as number | undefined) ?? AWS_DEFAULT_TASK_TIMEOUT_S;
    const heartbeatSeconds = definition['HeartbeatSeconds'] as number | undefined;
    const handler = this.options.handlers[state];
    const lambda = kind.events === 'lambda' || kind.resourceType === 'lambda';
    const callback = kind.events === 'task' && kind.callback;
    let token: string | undefined;
    let waited: Promise<Json> | undefined;
    let taskInput = input;
    if (callback) {
      token = this.issueToken(execution, state);
      taskInput = deepReplace(input, this.tokenPlaceholder, token);
      const tokenId = token;
      waited = new Promise<Json>((resolve, reject) => {
        const pending: Pending = { execution, attempt, resolve, reject, ...(heartbeatSeconds === undefined ? {} : { heartbeatMs: Math.min(heartbeatSeconds, MAX_TIMER_S) * 1000 }) };
        this.pending.set(tokenId, pending);
        this.armHeartbeat(tokenId, pending);
      });
      waited.catch(() => undefined);
    }
    const inputText = JSON.stringify(taskInput);
    if (this.checkDataLimit(execution, state, 'task input', inputText ?? 'null')) return afterEnd(execution);
    if (kind.events === 'lambda') {
      this.append(execution, 'LambdaFunctionScheduled', { resource: kind.resource, input: inputText, inputDetails: { truncated: false }, timeoutInSeconds });
      this.append(execution, 'LambdaFunctionStarted', {});
    } else {
      const scheduled = { resourceType: kind.resourceType, resource: kind.resource, region: LOCAL_REGION, parameters: inputText, timeoutInSeconds, ...(heartbeatSeconds === undefined ? {} : { heartbeatInSeconds: heartbeatSeconds }) };
      this.append(execution, 'TaskScheduled', scheduled);
      this.append(execution, 'TaskStarted', { resourceType: kind.resourceType, resource: kind.resource });
    }
    if (execution.closed) return afterEnd(execution); // the history limit
    let result: Json;
    try {
      if (!handler) {
        throw Object.assign(new Error(`Function not found: no local handler for Task state ${state}`), { name: lambda ? 'Lambda.ResourceNotFoundException' : 'States.TaskFailed' });
      }
      result = await handler(taskInput);
    } catch (e) {
      const error = taskError(e, lambda);
      if (token) this.forgetToken(token);
      if (attempt.closed || execution.closed) return afterEnd(execution);
      this.closeAttempt(execution, attempt);
      this.taskEvent(execution, kind, 'Failed', { error: error.name, cause: error.message });
      throw error;
    }
    if (attempt.closed || execution.closed) return afterEnd(execution);
    if (waited) {
      this.append(execution, 'TaskSubmitted', { resourceType: (kind as { resourceType: string }).resourceType, resource: kind.resource, output: JSON.stringify(result ?? null), outputDetails: { truncated: false } });
      try {
        result = await waited;
      } catch (e) {
        if (attempt.closed || execution.closed) return afterEnd(execution);
        this.closeAttempt(execution, attempt);
        const error = e as TaskError;
        this.taskEvent(execution, kind, error.name === 'States.HeartbeatTimeout' ? 'TimedOut' : 'Failed', { error: error.name, cause: error.message });
        throw error;
      }
      if (attempt.closed || execution.closed) return afterEnd(execution);
    }
    this.closeAttempt(execution, attempt);
    const output = JSON.stringify(result ?? null);
    if (this.checkDataLimit(execution, state, 'task result', output)) return afterEnd(execution);
    this.taskEvent(execution, kind, 'Succeeded', { output, outputDetails: { truncated: false } });
    return result;
  }

  private taskEvent(execution: Execution, kind: TaskKind, outcome: 'Succeeded' | 'Failed' | 'TimedOut', details: Record<string, unknown>): void {
    if (kind.events === 'lambda') this.append(execution, `LambdaFunction${outcome}`, details);
    else this.append(execution, `Task${outcome}`, { resourceType: kind.resourceType, resource: kind.resource, ...details });
  }

  private closeAttempt(execution: Execution, attempt: Attempt): void {
    attempt.closed = true;
    for (const token of execution.tokens) {
      if (this.pending.get(token)?.attempt === attempt) this.forgetToken(token);
    }
  }

  /**
   * AWS's payload quota: a state's input or output over 256 KiB (UTF-8) fails the execution with
   * `States.DataLimitExceeded`, which `States.ALL` does not catch (none of our Catches names it). The interpreter has no
   * such limit, so the check is here; true when it failed the execution.
   */
  private checkDataLimit(execution: Execution, state: string, what: 'input' | 'output' | 'task input' | 'task result', json: string): boolean {
    const bytes = execution.closed ? 0 : Buffer.byteLength(json);
    if (bytes <= MAX_PAYLOAD_BYTES) return false;
    this.close_(execution, 'FAILED', {
      error: 'States.DataLimitExceeded',
      cause: `The state/task '${state}' ${what} is ${bytes} bytes, over the ${MAX_PAYLOAD_BYTES}-byte (256 KiB) payload quota.`,
    });
    return true;
  }

  /**
   * Appends one history event, counting it: when only one event is left under the limit, only a closing
   * event may take it; anything else fails the execution there (see the file comment).
   */
  private append(execution: Execution, type: string, details: Record<string, unknown> | undefined, closing = false): void {
    if (execution.closed && !closing) return;
    if (!closing && execution.history.length >= this.historyLimit - 1) {
      execution.abort?.();
      this.close_(execution, 'FAILED', {
        error: 'States.Runtime',
        cause: `The execution reached the maximum number of events in its history (${this.historyLimit}) and failed, as AWS fails an execution at its history quota.`,
      });
      return;
    }
    execution.history.push(historyEvent(execution.history.length + 1, type, details));
  }

  /** Closes an execution: its last history event, its status, its tokens, the state file, the listeners. */
  private close_(execution: Execution, status: Exclude<ExecutionStatus, 'RUNNING'>, outcome: { output?: Json; error?: string; cause?: string }): void {
    if (execution.closed) return;
    const inProgress = execution.current && ['Task', 'Wait', 'Map', 'Parallel'].includes(execution.current.type) ? execution.current : undefined;
    if (status === 'ABORTED' && inProgress && execution.history.length < this.historyLimit - 1) {
      this.append(execution, `${inProgress.type}StateAborted`, undefined, true);
    }
    execution.closed = true;
    if (status !== 'SUCCEEDED') execution.abort?.();
    const details: Record<string, unknown> =
      status === 'SUCCEEDED'
        ? { output: JSON.stringify(outcome.output ?? null), outputDetails: { truncated: false } }
        : { ...(outcome.error === undefined ? {} : { error: outcome.error }), ...(outcome.cause === undefined ? {} : { cause: outcome.cause }) };
    const type = { SUCCEEDED: 'ExecutionSucceeded', FAILED: 'ExecutionFailed', TIMED_OUT: 'ExecutionTimedOut', ABORTED: 'ExecutionAborted' }[status];
    this.append(execution, type, details, true);
    execution.status = status;
    execution.stopDate = Date.now();
    if (status === 'SUCCEEDED') execution.output = outcome.output ?? null;
    else if (outcome.error !== undefined || outcome.cause !== undefined) execution.error = { name: outcome.error ?? '', message: outcome.cause ?? '' };
    for (const token of [...execution.tokens]) {
      // Its callback waits end too, so that their Tasks answer the interpreter (abandoned) and its timers go.
      this.pending.get(token)?.reject(abandonedError());
      this.forgetToken(token);
    }
    if (!this.shuttingDown) {
      this.persist();
      this.emit(execution);
    }
    execution.markDone?.();
  }

  private stopExecution(input: Record<string, unknown>) {
    const execution = this.executionOf(input['executionArn']);
    // A closed execution stays as it closed (the model documents no error for it).
    if (!execution.closed) {
      this.close_(execution, 'ABORTED', {
        ...(typeof input['error'] === 'string' ? { error: input['error'] } : {}),
        ...(typeof input['cause'] === 'string' ? { cause: input['cause'] } : {}),
      });
    }
    return { stopDate: (execution.stopDate ?? Date.now()) / 1000 };
  }

  private listExecutions(input: Record<string, unknown>) {
    if (input['mapRunArn'] !== undefined && input['stateMachineArn'] !== undefined) throw new SfnApiError('ValidationException', 'Provide either a stateMachineArn or a mapRunArn, not both');
    if (input['mapRunArn'] !== undefined) throw new SfnApiError('ResourceNotFound', `Resource not found: '${String(input['mapRunArn'])}'`);
    if (input['stateMachineArn'] === undefined) throw new SfnApiError('ValidationException', 'Must provide a StateMachine ARN or a MapRun ARN');
    this.checkStateMachineArn(input['stateMachineArn']);
    const filter = input['statusFilter'] as string | undefined;
    const key = `executions:${filter ?? ''}`;
    const offset = typeof input['nextToken'] === 'string' ? decodePageToken(input['nextToken'], key) : 0;
    const size = (input['maxResults'] as number | undefined) || 100;
    const matching = [...this.all.values()].filter((e) => filter === undefined || e.status === filter).sort((a, b) => b.startDate - a.startDate || b.seq - a.seq);
    const page = matching.slice(offset, offset + size);
    return {
      executions: page.map((e) => ({ executionArn: e.arn, stateMachineArn: this.stateMachineArn, name: e.name, status: e.status, startDate: e.startDate / 1000, ...(e.stopDate === undefined ? {} : { stopDate: e.stopDate / 1000 }) })),
      ...(offset + size < matching.length ? { nextToken: encodePageToken({ o: offset + size, k: key }) } : {}),
    };
  }

  private getExecutionHistory(input: Record<string, unknown>) {
    const execution = this.executionOf(input['executionArn']);
    const reverse = input['reverseOrder'] === true;
    const key = `history:${execution.arn}:${reverse}`;
    const offset = typeof input['nextToken'] === 'string' ? decodePageToken(input['nextToken'], key) : 0;
    const size = (input['maxResults'] as number | undefined) || 100;
    const events = reverse ? [...execution.history].reverse() : execution.history;
    const page = events.slice(offset, offset + size);
    return {
      events: page.map((e) => wireEvent(e, input['includeExecutionData'] !== false)),
      ...(offset + size < events.length ? { nextToken: encodePageToken({ o: offset + size, k: key }) } : {}),
    };
  }

  // --- task tokens ------------------------------------------------------------------------------

  private issueToken(execution: Execution, state: string): string {
    const token = Buffer.from(JSON.stringify({ v: 1, e: execution.arn, s: state, t: randomUUID() })).toString('base64url');
    execution.tokens.add(token);
    return token;
  }

  private forgetToken(token: string): void {
    const pending = this.pending.get(token);
    if (pending?.heartbeat) clearTimeout(pending.heartbeat);
    this.pending.delete(token);
    pending?.execution.tokens.delete(token);
  }

  private armHeartbeat(token: string, pending: Pending): void {
    if (pending.heartbeatMs === undefined) return;
    if (pending.heartbeat) clearTimeout(pending.heartbeat);
    pending.heartbeat = setTimeout(() => {
      this.forgetToken(token);
      pending.reject(new TaskError('States.HeartbeatTimeout', `No heartbeat for ${pending.heartbeatMs! / 1000} s`));
    }, pending.heartbeatMs);
  }

  /** The waiting task of a token, or the error AWS answers for it. */
  private waitingTask(input: Record<string, unknown>): [string, Pending] {
    const token = String(input['taskToken']);
    const pending = this.pending.get(token);
    if (pending) return [token, pending];
    let execution: string | undefined;
    try {
      const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { v?: unknown; e?: unknown };
      if (parsed.v === 1 && typeof parsed.e === 'string') execution = parsed.e;
    } catch {
      // not one of ours
    }
    const known = execution !== undefined && this.all.get(execution.split(':').at(-1)!)?.arn === execution;
    if (!known) throw new SfnApiError('InvalidToken', `Invalid Token: '${token.slice(0, 64)}'`);
    throw new SfnApiError('TaskTimedOut', 'Task Timed Out: the task token has either expired or the task associated with it has already been closed');
  }

  private sendTaskSuccess(input: Record<string, unknown>) {
    const [token, pending] = this.waitingTask(input);
    let output: Json;
    try {
      output = JSON.parse(String(input['output']));
    } catch {
      throw new SfnApiError('InvalidOutput', `Invalid Output: '${String(input['output']).slice(0, 100)}'`);
    }
    this.forgetToken(token);
    pending.resolve(output);
    return {};
  }

  private sendTaskFailure(input: Record<string, unknown>) {
    const [token, pending] = this.waitingTask(input);
    this.forgetToken(token);
    pending.reject(new TaskError(typeof input['error'] === 'string' ? input['error'] : '', typeof input['cause'] === 'string' ? input['cause'] : ''));
    return {};
  }

  private sendTaskHeartbeat(input: Record<string, unknown>) {
    const [token, pending] = this.waitingTask(input);
    this.armHeartbeat(token, pending);
    return {};
  }

  // --- status changes and persistence -----------------------------------------------------------

  private detail(e: Execution): ExecutionStatusChangeDetail {
    return {
      executionArn: e.arn,
      stateMachineArn: this.stateMachineArn,
      name: e.name,
      status: e.status,
      startDate: e.startDate,
      stopDate: e.stopDate ?? null,
      input: e.inputText,
      inputDetails: { included: true },
      output: e.output === undefined ? null : JSON.stringify(e.output),
      outputDetails: e.output === undefined ? null : { included: true },
      ...(e.status === 'RUNNING' || e.status === 'SUCCEEDED' ? {} : { error: e.error?.name ?? null, cause: e.error?.message ?? null }),
    };
  }

  /** Delivers asynchronously, as EventBridge does; a listener's failure is its own. */
  private emit(execution: Execution): void {
    const event: ExecutionStatusChangeEvent = statusChangeEvent(this.detail(execution), LOCAL_REGION, this.stateMachineArn.split(':')[4] ?? LOCAL_ACCOUNT);
    for (const listener of this.listeners) {
      setImmediate(() => {
        void Promise.resolve()
          .then(() => listener(event))
          .catch(() => undefined);
      });
    }
  }

  private persist(): void {
    if (!this.options.stateFile) return;
    const executions: StoredExecution[] = [...this.all.values()].map((e) => ({
      name: e.name,
      executionArn: e.arn,
      stateMachineArn: this.stateMachineArn,
      status: e.status,
      startDate: e.startDate,
      ...(e.stopDate === undefined ? {} : { stopDate: e.stopDate }),
      input: e.inputText,
      ...(e.output === undefined ? {} : { output: JSON.stringify(e.output) }),
      ...(e.error ? { error: e.error.name, cause: e.error.message } : {}),
    }));
    saveState(this.options.stateFile, { version: 1, executions });
  }

  private restore(file: string): void {
    const now = Date.now();
    const leftRunning: Execution[] = [];
    for (const stored of loadState(file).executions) {
      if (stored.stateMachineArn !== this.stateMachineArn) continue;
      if (stored.stopDate !== undefined && now - stored.stopDate > NAME_RETENTION_MS) continue; // the name is free again
      const running = stored.status === 'RUNNING';
      const execution = this.track({ name: stored.name, arn: stored.executionArn, input: JSON.parse(stored.input), inputText: stored.input, startDate: stored.startDate, status: running ? 'ABORTED' : stored.status });
      execution.stopDate = running ? now : stored.stopDate;
      if (stored.output !== undefined) execution.output = JSON.parse(stored.output);
      if (running) execution.error = { name: 'Local.ProcessExited', message: 'The local process that ran this execution stopped before the execution closed; it no longer runs.' };
      else if (stored.error !== undefined || stored.cause !== undefined) execution.error = { name: stored.error ?? '', message: stored.cause ?? '' };
      // Only the start and the close of an execution from a previous process are known.
      execution.history.push(historyEvent(1, 'ExecutionStarted', { input: stored.input, inputDetails: { truncated: false } }, stored.startDate));
      const closing = { SUCCEEDED: 'ExecutionSucceeded', FAILED: 'ExecutionFailed', TIMED_OUT: 'ExecutionTimedOut', ABORTED: 'ExecutionAborted', RUNNING: '' }[execution.status];
      const details = execution.status === 'SUCCEEDED' ? { output: stored.output ?? 'null', outputDetails: { truncated: false } } : { ...(execution.error ? { error: execution.error.name, cause: execution.error.message } : {}) };
      execution.history.push(historyEvent(2, closing, details, execution.stopDate));
      if (running) leftRunning.push(execution);
    }
    if (leftRunning.length > 0) {
      this.persist();
      for (const execution of leftRunning) this.emit(execution);
    }
  }
}

interface LibraryEvent {
  readonly type: string;
  readonly state?: { readonly name: string; readonly type: string; readonly input?: unknown; readonly output?: unknown };
  readonly parentState?: { readonly name: string };
  readonly index?: number;
  readonly output?: unknown;
  readonly Error?: string;
  readonly Cause?: unknown;
}

function causeText(cause: unknown): string {
  if (typeof cause === 'string') return cause;
  if (cause instanceof Error) return cause.message;
  return cause === undefined ? '' : JSON.stringify(cause);
}

// --- the wire -------------------------------------------------------------------------------------

export const SFN_TARGET_PREFIX = 'AWSStepFunctions.';
const AMZ_JSON_1_0 = 'application/x-amz-json-1.0';

export interface RunningStepFunctionsEmulator {
  readonly endpoint: string;
  readonly emulator: StepFunctionsEmulator;
  /** For an `SFNClient` in this process: the same answers without a socket (local/sdk/in-process-handler.ts). */
  readonly requestHandler: InProcessHandler;
  close(): Promise<void>;
}

/** Serves the emulator on loopback for `new SFNClient({ endpoint })` (any credentials, region us-east-1). */
export async function startStepFunctionsEmulator(options: StepFunctionsEmulatorOptions & { readonly port?: number }): Promise<RunningStepFunctionsEmulator> {
  const emulator = new StepFunctionsEmulator(options);
  const server = await serveWire(async (request): Promise<WireAnswer> => {
    const send = (status: number, payload: unknown, type?: string): WireAnswer => {
      const body = JSON.stringify(payload);
      return { status, headers: { 'content-type': AMZ_JSON_1_0, 'content-length': Buffer.byteLength(body), 'x-amzn-requestid': randomUUID(), ...(type ? { 'x-amzn-errortype': type } : {}) }, body };
    };
    const fail = (e: SfnApiError) => send(e.status, { __type: e.type, message: e.message }, e.type);
    const target = String(request.headers['x-amz-target'] ?? '');
    if (request.method !== 'POST' || !target.startsWith(SFN_TARGET_PREFIX)) return fail(new SfnApiError('UnknownOperationException', `Unknown operation: ${target || '(no X-Amz-Target)'}`));
    let body: unknown;
    try {
      body = request.body.trim() === '' ? {} : JSON.parse(request.body);
    } catch {
      return fail(new SfnApiError('SerializationException', 'The request body is not valid JSON.'));
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return fail(new SfnApiError('SerializationException', 'The request body must be a JSON object.'));
    try {
      return send(200, (await emulator.invoke(target.slice(SFN_TARGET_PREFIX.length), body as Record<string, unknown>)) ?? {});
    } catch (e) {
      return fail(e instanceof SfnApiError ? e : new SfnApiError('InternalFailure', `Stand-in failure: ${e instanceof Error ? e.message : String(e)}`, 500));
    }
  }, { port: options.port ?? 0 });
  return {
    endpoint: server.endpoint,
    emulator,
    requestHandler: server.requestHandler,
    close: async () => {
      emulator.close();
      await server.close();
    },
  };
}
