/**
 * The Step Functions stand-in through the real SFNClient: each operation, each error AWS documents for
 * what the product relies on, the derived history and its limit, task tokens, stops, persistence across a
 * restart, and execution status-change events in EventBridge's shape.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { COMMITTED_ASL_PATH } from '../../../local/step-functions-emulator/synthesize';
import { PackedText } from '../../../local/step-functions-emulator/history';
import {
  startStepFunctionsEmulator,
  type ExecutionStatusChangeEvent,
  type RunningStepFunctionsEmulator,
  type StepFunctionsEmulatorOptions,
} from '../../../local/step-functions-emulator/step-functions-emulator';
import { waitFor } from '../../helpers/http';

const FN = 'arn:aws:lambda:us-east-1:000000000000:function';
/** Work answers what to do next from `plan`; Route goes there. */
const definition = {
  StartAt: 'Work',
  States: {
    Work: { Type: 'Task', Resource: `${FN}:Work`, ResultPath: '$.r', Next: 'Route' },
    Route: {
      Type: 'Choice',
      Choices: [
        { Variable: '$.r.next', StringEquals: 'wait', Next: 'Pause' },
        { Variable: '$.r.next', StringEquals: 'approve', Next: 'Approve' },
        { Variable: '$.r.next', StringEquals: 'fail', Next: 'Boom' },
      ],
      Default: 'Done',
    },
    Pause: { Type: 'Wait', Seconds: 3600, Next: 'Work' },
    Approve: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: `${FN}:Approve`, Payload: { 'name.$': '$$.Execution.Name', 'token.$': '$$.Task.Token' } },
      TimeoutSeconds: 86400,
      ResultPath: '$.approval',
      Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.timedOut', Next: 'Done' }],
      Next: 'Done',
    },
    Boom: { Type: 'Fail', Error: 'Boom', Cause: 'the plan said so' },
    Done: { Type: 'Succeed' },
  },
};

const tokens = new Map<string, string>();
const handlers: StepFunctionsEmulatorOptions['handlers'] = {
  Work: async (input: any) => {
    const n = input.r?.n ?? 0;
    const next = input.plan[n];
    if (next === 'throw') throw new TypeError('Cannot read properties of undefined');
    // A result over AWS's 256 KiB payload quota.
    if (next === 'big') return { next: 'done', n: n + 1, blob: 'x'.repeat(262_144) };
    return { next, n: n + 1 };
  },
  Approve: async (input: any) => {
    tokens.set(input.Payload.name, input.Payload.token);
    return { StatusCode: 200 };
  },
};

const dirs: string[] = [];
const running: RunningStepFunctionsEmulator[] = [];
async function standIn(options: Partial<StepFunctionsEmulatorOptions> = {}) {
  const sfn = await startStepFunctionsEmulator({ definition, handlers, ...options });
  running.push(sfn);
  const client = new SFNClient({ endpoint: sfn.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const arn = sfn.emulator.stateMachineArn;
  const start = (name: string, plan: string[], extra: Record<string, unknown> = {}) =>
    client.send(new StartExecutionCommand({ stateMachineArn: arn, name, input: JSON.stringify({ plan, ...extra }) }));
  const history = async (executionArn: string) => (await client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events!;
  const types = async (executionArn: string) => (await history(executionArn)).map((e) => e.type);
  return { sfn, client, arn, start, history, types };
}
const tmp = () => {
  const dir = mkdtempSync(join(tmpdir(), 'sfn-stand-in-'));
  dirs.push(dir);
  return dir;
};

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));


describe('state machines', () => {
  it('lists the one state machine and describes it with its definition as an ASL string, as AWS', async () => {
    const committed = JSON.parse(readFileSync(COMMITTED_ASL_PATH, 'utf8')) as Record<string, unknown>;
    const { client, arn } = await standIn({ definition: committed, handlers: {} });
    const listed = await client.send(new ListStateMachinesCommand({}));
    expect(listed.stateMachines).toEqual([expect.objectContaining({ stateMachineArn: arn, name: 'rollout', type: 'STANDARD', creationDate: expect.any(Date) })]);
    const described = await client.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
    expect(typeof described.definition).toBe('string');
    expect(JSON.parse(described.definition!)).toEqual(committed);
    expect(described).toMatchObject({ name: 'rollout', status: 'ACTIVE', type: 'STANDARD', roleArn: expect.stringMatching(/^arn:aws:iam::/) });
    await expect(client.send(new DescribeStateMachineCommand({ stateMachineArn: `${arn}-other` }))).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
    await expect(client.send(new DescribeStateMachineCommand({ stateMachineArn: 'not-an-arn' }))).rejects.toMatchObject({ name: 'InvalidArn' });
  });
});

describe('StartExecution', () => {
  it('runs an execution and answers its AWS-shaped history, in both orders and by pages', async () => {
    const main = await standIn();
    const { client, start, history } = main;
    const started = await start('plain-1', ['done']);
    expect(started.executionArn).toBe('arn:aws:states:us-east-1:000000000000:execution:rollout:plain-1');
    expect(started.startDate).toBeInstanceOf(Date);
    await main.sfn.emulator.executions.get('plain-1')!.done;
    const described = await client.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    expect(described).toMatchObject({ status: 'SUCCEEDED', name: 'plain-1', input: '{"plan":["done"]}', stopDate: expect.any(Date) });
    expect(JSON.parse(described.output!)).toEqual({ plan: ['done'], r: { next: 'done', n: 1 } });
    const events = await history(started.executionArn!);
    expect(events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    events.forEach((e, i) => {
      expect(e.id).toBe(i + 1);
      expect(e.previousEventId).toBe(i);
      expect(e.timestamp).toBeInstanceOf(Date);
    });
    expect(events[0]!.executionStartedEventDetails).toMatchObject({ input: '{"plan":["done"]}' });
    expect(events[1]!.stateEnteredEventDetails).toMatchObject({ name: 'Work' });
    expect(events[2]!.lambdaFunctionScheduledEventDetails).toMatchObject({ resource: `${FN}:Work`, input: '{"plan":["done"]}' });
    expect(JSON.parse(events[4]!.lambdaFunctionSucceededEventDetails!.output!)).toEqual({ next: 'done', n: 1 });
    expect(events[5]!.stateExitedEventDetails).toMatchObject({ name: 'Work' });

    const reversed = await client.send(new GetExecutionHistoryCommand({ executionArn: started.executionArn, reverseOrder: true, maxResults: 4 }));
    expect(reversed.events!.map((e) => e.id)).toEqual([11, 10, 9, 8]);
    const next = await client.send(new GetExecutionHistoryCommand({ executionArn: started.executionArn, reverseOrder: true, maxResults: 4, nextToken: reversed.nextToken }));
    expect(next.events!.map((e) => e.id)).toEqual([7, 6, 5, 4]);
    await expect(client.send(new GetExecutionHistoryCommand({ executionArn: started.executionArn, nextToken: reversed.nextToken }))).rejects.toMatchObject({ name: 'InvalidToken' });
    const noData = await client.send(new GetExecutionHistoryCommand({ executionArn: started.executionArn, includeExecutionData: false }));
    expect(noData.events![0]!.executionStartedEventDetails!.input).toBeUndefined();
  });

  it('answers large inputs and outputs in the history exactly as they were (kept deflated in memory)', async () => {
    const main = await standIn();
    // A rollout's record is several KiB; non-ASCII text must come back byte for byte too.
    const note = `ünïcödé ✓ ${'r'.repeat(4000)}`;
    const started = await main.start('large-1', ['done'], { note });
    await main.sfn.emulator.executions.get('large-1')!.done;
    const events = await main.history(started.executionArn!);
    const input = JSON.stringify({ plan: ['done'], note });
    expect(events[0]!.executionStartedEventDetails!.input).toBe(input);
    expect(events[1]!.stateEnteredEventDetails!.input).toBe(input);
    expect(events[2]!.lambdaFunctionScheduledEventDetails!.input).toBe(input);
    expect(JSON.parse(events.at(-1)!.executionSucceededEventDetails!.output!)).toEqual({ plan: ['done'], note, r: { next: 'done', n: 1 } });
    // In memory the large members are packed, and smaller than their text.
    const kept = main.sfn.emulator.executions.get('large-1')!.history[0]!.executionStartedEventDetails!;
    expect(kept['input']).toBeInstanceOf(PackedText);
    expect(String(kept['input'])).toBe(input);
    const noData = await main.client.send(new GetExecutionHistoryCommand({ executionArn: started.executionArn, includeExecutionData: false }));
    expect(noData.events!.every((e) => !JSON.stringify(e).includes('rrrr'))).toBe(true);
  });

  it('checks names, input and the state machine as AWS does', async () => {
    const { client, arn, start } = await standIn();
    await expect(start('has space', ['done'])).rejects.toMatchObject({ name: 'InvalidName' });
    await expect(start('a:b', ['done'])).rejects.toMatchObject({ name: 'InvalidName' });
    await expect(start('x'.repeat(81), ['done'])).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(start('x'.repeat(80), ['done'])).resolves.toMatchObject({ executionArn: expect.stringMatching(/:x{80}$/) });
    await expect(client.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'bad-input', input: '{nope' }))).rejects.toMatchObject({ name: 'InvalidExecutionInput' });
    await expect(client.send(new StartExecutionCommand({ stateMachineArn: arn.replace(':rollout', ':other'), name: 'n' }))).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
    await expect(client.send(new StartExecutionCommand({ stateMachineArn: 'arn:aws:lambda:us-east-1:000000000000:function:x', name: 'n' }))).rejects.toMatchObject({ name: 'InvalidArn' });
    await expect(client.send(new StartExecutionCommand({ stateMachineArn: undefined as never }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining("at 'stateMachineArn' failed to satisfy constraint: Member must not be null"),
    });
  });

  it('is idempotent only for a running execution with the same input; a closed name is refused', async () => {
    const { sfn, start } = await standIn();
    const first = await start('same', ['wait']);
    const again = await start('same', ['wait']);
    expect(again.executionArn).toBe(first.executionArn);
    expect(again.startDate).toEqual(first.startDate);
    await expect(start('same', ['done'])).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    await start('closes', ['done']);
    await sfn.emulator.executions.get('closes')!.done;
    await expect(start('closes', ['done'])).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
  });
});

describe('executions', () => {
  it('lists executions, most recent first, by status and by pages', async () => {
    const { sfn, client, arn, start } = await standIn();
    await start('l-1', ['done']);
    await sfn.emulator.executions.get('l-1')!.done;
    await start('l-2', ['wait']);
    await start('l-3', ['wait']);
    const all = await client.send(new ListExecutionsCommand({ stateMachineArn: arn }));
    expect(all.executions!.map((e) => e.name)).toEqual(['l-3', 'l-2', 'l-1']);
    const runningOnly = await client.send(new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: 'RUNNING' }));
    expect(runningOnly.executions!.map((e) => [e.name, e.status])).toEqual([
      ['l-3', 'RUNNING'],
      ['l-2', 'RUNNING'],
    ]);
    const page1 = await client.send(new ListExecutionsCommand({ stateMachineArn: arn, maxResults: 2 }));
    expect(page1.executions!.map((e) => e.name)).toEqual(['l-3', 'l-2']);
    const page2 = await client.send(new ListExecutionsCommand({ stateMachineArn: arn, maxResults: 2, nextToken: page1.nextToken }));
    expect(page2.executions!.map((e) => e.name)).toEqual(['l-1']);
    expect(page2.nextToken).toBeUndefined();
    await expect(client.send(new ListExecutionsCommand({ stateMachineArn: arn, nextToken: 'garbage' }))).rejects.toMatchObject({ name: 'InvalidToken' });
    await expect(client.send(new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: 'DONE' as never }))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(client.send(new ListExecutionsCommand({ stateMachineArn: arn, maxResults: 1001 }))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(client.send(new DescribeExecutionCommand({ executionArn: `${arn.replace(':stateMachine:', ':execution:')}:nope` }))).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
    await expect(client.send(new DescribeExecutionCommand({ executionArn: 'nope' }))).rejects.toMatchObject({ name: 'InvalidArn' });
  });

  it('stops an execution during a wait: ABORTED, WaitStateAborted then ExecutionAborted', async () => {
    const { sfn, client, start, types, history } = await standIn();
    const { executionArn } = await start('stop-wait', ['wait']);
    await waitFor('the wait', async () => (await types(executionArn!)).includes('WaitStateEntered') || undefined);
    const stopped = await client.send(new StopExecutionCommand({ executionArn, error: 'Operator', cause: 'testing' }));
    expect(stopped.stopDate).toBeInstanceOf(Date);
    await sfn.emulator.executions.get('stop-wait')!.done;
    expect((await client.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('ABORTED');
    const events = await history(executionArn!);
    expect(events.slice(-2).map((e) => e.type)).toEqual(['WaitStateAborted', 'ExecutionAborted']);
    expect(events.at(-1)!.executionAbortedEventDetails).toEqual({ error: 'Operator', cause: 'testing' });
    // Stopping a closed execution changes nothing.
    await client.send(new StopExecutionCommand({ executionArn }));
    expect((await client.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('ABORTED');
  });

  it('fails with the Lambda error a handler throws, its cause as Lambda writes it', async () => {
    const { sfn, client, start, history } = await standIn();
    const { executionArn } = await start('throws', ['throw']);
    await sfn.emulator.executions.get('throws')!.done;
    const described = await client.send(new DescribeExecutionCommand({ executionArn }));
    expect(described).toMatchObject({ status: 'FAILED', error: 'TypeError' });
    expect(JSON.parse(described.cause!)).toMatchObject({ errorType: 'TypeError', errorMessage: 'Cannot read properties of undefined' });
    const events = await history(executionArn!);
    expect(events.map((e) => e.type).slice(-2)).toEqual(['LambdaFunctionFailed', 'ExecutionFailed']);
  });

  it('enters a Fail state and fails with its error', async () => {
    const { sfn, client, start, types } = await standIn();
    const { executionArn } = await start('fails', ['fail']);
    await sfn.emulator.executions.get('fails')!.done;
    expect(await client.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({ status: 'FAILED', error: 'Boom', cause: 'the plan said so' });
    expect((await types(executionArn!)).slice(-2)).toEqual(['FailStateEntered', 'ExecutionFailed']);
  });

  it('fails an execution that reaches the history limit (lowered for the test)', async () => {
    const { sfn, client, start, history } = await standIn({ historyLimit: 30, waitTimeOverrides: { Pause: 1 } });
    const { executionArn } = await start('long', Array.from({ length: 100 }, () => 'wait'));
    await sfn.emulator.executions.get('long')!.done;
    const described = await client.send(new DescribeExecutionCommand({ executionArn }));
    expect(described).toMatchObject({ status: 'FAILED', error: 'States.Runtime', cause: expect.stringContaining('maximum number of events in its history (30)') });
    const events = await history(executionArn!);
    expect(events).toHaveLength(30);
    expect(events.at(-1)!.type).toBe('ExecutionFailed');
    // A short execution under the same limit succeeds.
    await start('short', ['done']);
    await sfn.emulator.executions.get('short')!.done;
    expect(sfn.emulator.executions.get('short')!.status).toBe('SUCCEEDED');
  });
});

describe('the payload quota (256 KiB)', () => {
  it('fails an execution whose task result is over it, with States.DataLimitExceeded', async () => {
    const { sfn, client, start } = await standIn();
    const { executionArn } = await start('big-result', ['big']);
    await sfn.emulator.executions.get('big-result')!.done;
    const described = await client.send(new DescribeExecutionCommand({ executionArn }));
    expect(described).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded', cause: expect.stringContaining("'Work' task result") });
  });

  it('fails one whose state output is over it once a callback answer is added, though each part is under it', async () => {
    const { sfn, client, start } = await standIn();
    const { executionArn } = await start('big-state', ['approve'], { note: 'n'.repeat(200_000) });
    const token = await waitFor('the token', async () => tokens.get('big-state'));
    await client.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ answer: 'a'.repeat(100_000) }) }));
    await sfn.emulator.executions.get('big-state')!.done;
    const described = await client.send(new DescribeExecutionCommand({ executionArn }));
    expect(described).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded', cause: expect.stringContaining("'Approve' output") });
    // Under the quota, the same run succeeds.
    await start('small-state', ['approve'], { note: 'n'.repeat(100_000) });
    await client.send(new SendTaskSuccessCommand({ taskToken: await waitFor('the token', async () => tokens.get('small-state')), output: JSON.stringify({ answer: 'a'.repeat(100_000) }) }));
    await sfn.emulator.executions.get('small-state')!.done;
    expect(sfn.emulator.executions.get('small-state')!.status).toBe('SUCCEEDED');
  });
});

describe('task tokens', () => {
  it('runs a callback task: the token, heartbeats, success, then the token is spent', async () => {
    const { sfn, client, start, history } = await standIn();
    const { executionArn } = await start('cb-ok', ['approve']);
    const token = await waitFor('the token', async () => tokens.get('cb-ok'));
    await client.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{nope' }))).rejects.toMatchObject({ name: 'InvalidOutput' });
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: token, output: undefined as never }))).rejects.toMatchObject({ name: 'ValidationException' });
    await client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"approved":true}' }));
    await sfn.emulator.executions.get('cb-ok')!.done;
    const described = await client.send(new DescribeExecutionCommand({ executionArn }));
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output!).approval).toEqual({ approved: true });
    const approveEvents = (await history(executionArn!)).filter((e) => e.type!.startsWith('Task') && e.type !== 'TaskStateEntered' && e.type !== 'TaskStateExited');
    expect(approveEvents.map((e) => e.type)).toEqual(['TaskScheduled', 'TaskStarted', 'TaskSubmitted', 'TaskSucceeded']);
    expect(approveEvents[0]!.taskScheduledEventDetails).toMatchObject({ resourceType: 'lambda', resource: 'invoke.waitForTaskToken', region: 'us-east-1', timeoutInSeconds: 86400 });
    expect(JSON.parse(approveEvents[0]!.taskScheduledEventDetails!.parameters!).Payload.token).toBe(token);
    // Answered: a second answer, a heartbeat or a failure is TaskTimedOut, as AWS answers.
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))).rejects.toMatchObject({ name: 'TaskTimedOut' });
    await expect(client.send(new SendTaskFailureCommand({ taskToken: token }))).rejects.toMatchObject({ name: 'TaskTimedOut' });
    await expect(client.send(new SendTaskHeartbeatCommand({ taskToken: token }))).rejects.toMatchObject({ name: 'TaskTimedOut' });
    // Not a token of ours at all.
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: 'made-up', output: '{}' }))).rejects.toMatchObject({ name: 'InvalidToken' });
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: 'x'.repeat(1025), output: '{}' }))).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('fails the task with the error SendTaskFailure gives', async () => {
    const { sfn, client, start, types } = await standIn();
    const { executionArn } = await start('cb-fail', ['approve']);
    const token = await waitFor('the token', async () => tokens.get('cb-fail'));
    await client.send(new SendTaskFailureCommand({ taskToken: token, error: 'Rejected', cause: 'no' }));
    await sfn.emulator.executions.get('cb-fail')!.done;
    expect(await client.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({ status: 'FAILED', error: 'Rejected', cause: 'no' });
    expect((await types(executionArn!)).slice(-2)).toEqual(['TaskFailed', 'ExecutionFailed']);
  });

  it('abandons a callback wait when the execution is stopped: its token is then TaskTimedOut', async () => {
    const { sfn, client, start, types } = await standIn();
    const { executionArn } = await start('cb-stop', ['approve']);
    const token = await waitFor('the token', async () => tokens.get('cb-stop'));
    await client.send(new StopExecutionCommand({ executionArn }));
    await sfn.emulator.executions.get('cb-stop')!.done;
    expect((await types(executionArn!)).slice(-2)).toEqual(['TaskStateAborted', 'ExecutionAborted']);
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))).rejects.toMatchObject({ name: 'TaskTimedOut' });
  });

  it("leaves no timer behind once callback waits are stopped or the stand-in closes: the interpreter's Task timeout (a day here) is cleared", async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const { sfn, client, start } = await standIn();
    const arns: string[] = [];
    for (let i = 0; i < 6; i++) arns.push((await start(`cb-timers-${i}`, ['approve'])).executionArn!);
    await waitFor('every token', async () => arns.every((_, i) => tokens.has(`cb-timers-${i}`)) || undefined);
    const waiting = timers();
    // Half are stopped through the API, the others when the stand-in closes.
    for (const executionArn of arns.slice(0, 3)) await client.send(new StopExecutionCommand({ executionArn }));
    sfn.emulator.close();
    await Promise.all(arns.map((_, i) => sfn.emulator.executions.get(`cb-timers-${i}`)!.done));
    await waitFor('the Task timeouts cleared', async () => timers() <= waiting - 6 || undefined, 2000);
  });

  it("honours a callback task's TimeoutSeconds (shortened for the test): TaskTimedOut, caught as States.Timeout", async () => {
    const { sfn, client, start, history } = await standIn({ taskTimeoutOverrides: { Approve: 100 } });
    const { executionArn } = await start('cb-timeout', ['approve']);
    const token = await waitFor('the token', async () => tokens.get('cb-timeout'));
    await sfn.emulator.executions.get('cb-timeout')!.done;
    const described = await client.send(new DescribeExecutionCommand({ executionArn }));
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output!).timedOut).toMatchObject({ Error: 'States.Timeout' });
    const timedOut = (await history(executionArn!)).find((e) => e.type === 'TaskTimedOut');
    expect(timedOut?.taskTimedOutEventDetails).toMatchObject({ resourceType: 'lambda', resource: 'invoke.waitForTaskToken', error: 'States.Timeout' });
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))).rejects.toMatchObject({ name: 'TaskTimedOut' });
  });
});

describe('the wire', () => {
  it('answers an unknown operation with UnknownOperationException', async () => {
    const { sfn } = await standIn();
    const res = await fetch(sfn.endpoint, { method: 'POST', headers: { 'x-amz-target': 'AWSStepFunctions.CreateStateMachineAlias2', 'content-type': 'application/x-amz-json-1.0' }, body: '{}' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ __type: 'UnknownOperationException' });
    const noTarget = await fetch(sfn.endpoint, { method: 'POST', body: '{}' });
    expect(await noTarget.json()).toMatchObject({ __type: 'UnknownOperationException' });
  });
});

describe('restarts', () => {
  it('refuses closed names after a restart and records executions left running as ABORTED', async () => {
    const stateFile = join(tmp(), 'sfn.json');
    const first = await standIn({ stateFile });
    await first.start('before-restart', ['done']);
    await first.sfn.emulator.executions.get('before-restart')!.done;
    const { executionArn: leftArn } = await first.start('left-running', ['wait']);
    await first.sfn.close();

    const seen: ExecutionStatusChangeEvent[] = [];
    const second = await standIn({ stateFile, onStatusChange: (e) => void seen.push(e) });
    await expect(second.start('before-restart', ['done'])).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    await expect(second.start('left-running', ['wait'])).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    const left = await second.client.send(new DescribeExecutionCommand({ executionArn: leftArn }));
    expect(left).toMatchObject({ status: 'ABORTED', error: 'Local.ProcessExited', stopDate: expect.any(Date) });
    await waitFor('the ABORTED event', async () => seen.find((e) => e.detail.name === 'left-running'));
    expect(seen.map((e) => [e.detail.name, e.detail.status])).toEqual([['left-running', 'ABORTED']]);
    const listed = await second.client.send(new ListExecutionsCommand({ stateMachineArn: second.arn }));
    expect(listed.executions!.map((e) => [e.name, e.status])).toEqual([
      ['left-running', 'ABORTED'],
      ['before-restart', 'SUCCEEDED'],
    ]);
    // A third start knows them too, and does not announce the abort again.
    await second.sfn.close();
    const third: ExecutionStatusChangeEvent[] = [];
    const again = await standIn({ stateFile, onStatusChange: (e) => void third.push(e) });
    await expect(again.start('left-running', ['wait'])).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    await new Promise((r) => setTimeout(r, 50));
    expect(third).toEqual([]);
  });

  it('close() stops running executions: ABORTED in memory, still running in the state file until the next start', async () => {
    const stateFile = join(tmp(), 'sfn.json');
    const { sfn, start } = await standIn({ stateFile });
    await start('at-close', ['wait']);
    await sfn.close();
    const record = sfn.emulator.executions.get('at-close')!;
    await record.done;
    expect(record.status).toBe('ABORTED');
    expect(record.error?.name).toBe('Local.StandInClosed');
    const stored = JSON.parse(readFileSync(stateFile, 'utf8'));
    expect(stored.executions).toEqual([expect.objectContaining({ name: 'at-close', status: 'RUNNING' })]);
  });
});

describe('execution status-change events', () => {
  const fixture = (status: string) => JSON.parse(readFileSync(join(__dirname, `../../fixtures/webhooks/aws/eventbridge-states-execution-status-change-${status}-docs.json`), 'utf8'));
  /** Every member of the AWS sample, with the same JSON type (null where the sample has null). */
  const shapeOf = (value: Record<string, unknown>): Record<string, string> =>
    Object.fromEntries(Object.entries(value).map(([k, v]) => [k, v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v]));

  it('emits RUNNING then SUCCEEDED or FAILED in the shape of EventBridge events', async () => {
    const events: ExecutionStatusChangeEvent[] = [];
    const { sfn } = await standIn({ onStatusChange: (e) => void events.push(e) });
    const unsubscribe = sfn.emulator.onStatusChange(() => undefined);
    unsubscribe();
    const { start } = { start: (name: string, plan: string[]) => sfn.emulator.invoke('StartExecution', { stateMachineArn: sfn.emulator.stateMachineArn, name, input: JSON.stringify({ plan }) }) };
    await start('ev-ok', ['done']);
    await start('ev-fail', ['fail']);
    await sfn.emulator.idle();
    await waitFor('four events', async () => events.length >= 4 || undefined);
    const byStatus = (name: string, status: string) => events.find((e) => e.detail.name === name && e.detail.status === status)!;

    for (const [ours, status] of [
      [byStatus('ev-ok', 'RUNNING'), 'running'],
      [byStatus('ev-ok', 'SUCCEEDED'), 'succeeded'],
      [byStatus('ev-fail', 'FAILED'), 'failed'],
    ] as const) {
      const sample = fixture(status);
      expect(shapeOf(ours as never)).toEqual(shapeOf(sample));
      expect(shapeOf(ours.detail as never)).toMatchObject(shapeOf(sample.detail));
      expect(ours).toMatchObject({ version: '0', 'detail-type': 'Step Functions Execution Status Change', source: 'aws.states', region: 'us-east-1', resources: [ours.detail.executionArn] });
      expect(ours.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }
    const ok = byStatus('ev-ok', 'SUCCEEDED').detail;
    expect(ok.stopDate).toBeGreaterThanOrEqual(ok.startDate);
    expect(JSON.parse(ok.output!)).toMatchObject({ plan: ['done'] });
    expect(byStatus('ev-fail', 'FAILED').detail).toMatchObject({ error: 'Boom', cause: 'the plan said so', output: null });
  });
});
