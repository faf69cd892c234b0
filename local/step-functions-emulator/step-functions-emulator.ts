/**
 * A Step Functions stand-in on the AWS JSON 1.0 wire: the real SFNClient (and so the real
 * StepFunctionsWorkflow adapter) starts executions and answers task tokens here, while the synthesized
 * definition runs in aws-local-stepfunctions with Task states handled by local functions.
 *
 * Callback tasks: aws-local-stepfunctions has no task tokens, so the Task handler for a
 * `.waitForTaskToken` state gets a fresh token here, and the task's promise settles when
 * SendTaskSuccess/SendTaskFailure names it, as in AWS.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StateMachine } from 'aws-local-stepfunctions';

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

type Json = unknown;
export type TaskHandler = (input: Json) => Promise<Json>;

export interface StepFunctionsEmulatorOptions {
  /** Plain ASL (CloudFormation intrinsics already resolved). */
  readonly definition: Record<string, unknown>;
  /** Task state name → local handler. Callback tasks get `Payload.taskToken` (or `taskToken`) replaced by a real token. */
  readonly handlers: Readonly<Record<string, TaskHandler>>;
  /** Wait state name → milliseconds, to shorten waits in tests. */
  readonly waitTimeOverrides?: Readonly<Record<string, number>>;
  /** State name → retry interval ms. */
  readonly retryIntervalOverrides?: Readonly<Record<string, number>>;
  readonly stateMachineArn?: string;
}

export interface ExecutionRecord {
  readonly name: string;
  readonly arn: string;
  readonly input: Json;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  output?: Json;
  error?: { readonly name: string; readonly message: string };
  /** States entered, in order: what Step Functions bills as state transitions. */
  readonly states: string[];
  readonly done: Promise<void>;
}

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

class TaskFailure extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export class StepFunctionsEmulator {
  readonly stateMachineArn: string;
  readonly executions = new Map<string, ExecutionRecord>();
  private readonly machine: StateMachine;
  private readonly tokens = new Map<string, { resolve: (v: Json) => void; reject: (e: Error) => void }>();
  private readonly callbackStates: Set<string>;

  constructor(private readonly options: StepFunctionsEmulatorOptions) {
    this.stateMachineArn = options.stateMachineArn ?? 'arn:aws:states:us-east-1:000000000000:stateMachine:rollout';
    this.machine = new StateMachine(options.definition as never, { validationOptions: { checkArn: false } });
    const states = (options.definition['States'] ?? {}) as Record<string, { Resource?: string }>;
    this.callbackStates = new Set(Object.entries(states).filter(([, s]) => s.Resource?.endsWith('.waitForTaskToken')).map(([n]) => n));
  }

  /** Runs an AWS JSON 1.0 operation; throws ApiError as the service would answer. */
  async invoke(operation: string, input: Record<string, unknown>): Promise<unknown> {
    switch (operation) {
      case 'StartExecution':
        return this.startExecution(input);
      case 'SendTaskSuccess':
        return this.settle(input, (t) => t.resolve(JSON.parse(String(input['output'] ?? 'null')) as Json));
      case 'SendTaskFailure':
        return this.settle(input, (t) => t.reject(new TaskFailure(String(input['error'] ?? 'States.TaskFailed'), String(input['cause'] ?? ''))));
      case 'DescribeExecution': {
        const exec = [...this.executions.values()].find((e) => e.arn === input['executionArn']);
        if (!exec) throw new ApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${String(input['executionArn'])}'`);
        return { executionArn: exec.arn, stateMachineArn: this.stateMachineArn, name: exec.name, status: exec.status, input: JSON.stringify(exec.input), ...(exec.output === undefined ? {} : { output: JSON.stringify(exec.output) }) };
      }
      default:
        throw new ApiError('UnknownOperationException', `operation ${operation} is not emulated`);
    }
  }

  /** Resolves when every execution started so far has ended. */
  async idle(): Promise<void> {
    await Promise.all([...this.executions.values()].map((e) => e.done));
  }

  private startExecution(input: Record<string, unknown>) {
    if (input['stateMachineArn'] !== this.stateMachineArn) throw new ApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(input['stateMachineArn'])}'`);
    const name = typeof input['name'] === 'string' ? input['name'] : randomUUID();
    const arn = `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    const existing = this.executions.get(name);
    if (existing) {
      // As in AWS: the same name with the same input while running is idempotent; anything else is an error.
      if (existing.status === 'RUNNING' && JSON.stringify(existing.input) === JSON.stringify(JSON.parse(String(input['input'] ?? '{}')))) {
        return { executionArn: existing.arn, startDate: Date.now() / 1000 };
      }
      throw new ApiError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    const execInput = JSON.parse(String(input['input'] ?? '{}')) as Json;
    const overrides: Record<string, (i: Json) => Promise<Json>> = {};
    for (const [state, handler] of Object.entries(this.options.handlers)) {
      overrides[state] = this.callbackStates.has(state) ? (i) => this.callback(handler, i) : handler;
    }
    const run = this.machine.run(execInput as never, {
      overrides: {
        taskResourceLocalHandlers: overrides,
        waitTimeOverrides: { ...this.options.waitTimeOverrides },
        retryIntervalOverrides: { ...this.options.retryIntervalOverrides },
      },
      // A placeholder the callback wrapper replaces with a fresh token for each wait.
      context: { Execution: { Id: arn, Name: name, Input: execInput, StartTime: new Date().toISOString() }, Task: { Token: 'emulated' } },
    } as never);
    const record: { -readonly [K in keyof ExecutionRecord]: ExecutionRecord[K] } = { name, arn, input: execInput, status: 'RUNNING', states: [], done: Promise.resolve() };
    record.done = (async () => {
      const logs = (async () => {
        for await (const event of run.eventLogs as AsyncIterable<{ type: string; state?: { name: string } }>) {
          if (event.type === 'StateEntered' && event.state) record.states.push(event.state.name);
        }
      })();
      try {
        record.output = (await run.result) as Json;
        record.status = 'SUCCEEDED';
      } catch (e) {
        record.status = 'FAILED';
        record.error = { name: (e as Error).name, message: (e as Error).message };
      }
      await logs.catch(() => undefined);
    })();
    this.executions.set(name, record);
    return { executionArn: arn, startDate: Date.now() / 1000 };
  }

  private async callback(handler: TaskHandler, input: Json): Promise<Json> {
    const token = `token-${randomUUID()}`;
    const waited = new Promise<Json>((resolve, reject) => this.tokens.set(token, { resolve, reject }));
    const withToken = replaceToken(input, token);
    try {
      await handler(withToken);
    } catch (e) {
      this.tokens.delete(token);
      throw e;
    }
    try {
      return await waited;
    } finally {
      this.tokens.delete(token);
    }
  }

  private settle(input: Record<string, unknown>, how: (t: { resolve: (v: Json) => void; reject: (e: Error) => void }) => void) {
    const token = String(input['taskToken'] ?? '');
    const waiting = this.tokens.get(token);
    if (!waiting) throw new ApiError('TaskDoesNotExist', `Task Does Not Exist: ${token.slice(0, 24)}`);
    how(waiting);
    return {};
  }
}

function replaceToken(input: Json, token: string): Json {
  if (typeof input !== 'object' || input === null) return input;
  const obj = input as Record<string, unknown>;
  if (obj['Payload'] && typeof obj['Payload'] === 'object') return { ...obj, Payload: { ...(obj['Payload'] as object), taskToken: token } };
  return { ...obj, taskToken: token };
}

export interface RunningStepFunctionsEmulator {
  readonly endpoint: string;
  readonly emulator: StepFunctionsEmulator;
  close(): Promise<void>;
}

/** Serves the emulator on loopback for `new SFNClient({ endpoint })`. */
export async function startStepFunctionsEmulator(options: StepFunctionsEmulatorOptions): Promise<RunningStepFunctionsEmulator> {
  const emulator = new StepFunctionsEmulator(options);
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.startsWith('AWSStepFunctions.') ? target.slice('AWSStepFunctions.'.length) : '';
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify({ __type: 'SerializationException', message: 'invalid JSON' }));
        return;
      }
      emulator.invoke(operation, body).then(
        (out) => res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(out)),
        (e: unknown) => {
          const type = e instanceof ApiError ? e.type : 'InternalFailure';
          res.writeHead(e instanceof ApiError ? 400 : 500, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': type }).end(JSON.stringify({ __type: type, message: (e as Error).message }));
        },
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    emulator,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
