/**
 * 4. Orchestration overhead. (a) Local mode: a 10-step rollout with zero bake (setWeight 10, 20, ... 100),
 * wall time from the webhook to SUCCEEDED minus the time the ECS emulator needs to start the tasks
 * (known: taskStartMs per task), per step. (b) The Step Functions state transitions of a 5-step rollout
 * with one approval: the state machine CDK synthesizes, resolved to ASL and run by
 * aws-local-stepfunctions with the real Lambda handlers in-process (as in
 * test/integration/step-functions/state-machine-run.test.ts), counting the states entered.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { writeResolvedConfig } from '../../infra/resolved-config';
import { RolloutStateMachine } from '../../infra/rollout-state-machine';
import { startDynalite } from '../../local/dynamodb/dynalite-server';
import { EcsEmulator, ecsRequestListener, type EcsCall } from '../../local/ecs-emulator';
import type { RunningRegistry } from '../../local/registry/docker-registry';
import { startStepFunctionsEmulator } from '../../local/step-functions-emulator/step-functions-emulator';
import type * as ApiHandlers from '../../functions/api';
import type { Directive } from '../../shared/core/directive';

/**
 * ECS taking up to 5 s, 60 s and 5 minutes to be steady after a weight change, at 1:100 scale. One task
 * starts every `taskStartMs` (fleet.ts), and the slowest step of this rollout starts two (50% → 100% of 4
 * tasks), so it takes twice that: 50, 600 and 3,000 ms. With waits on callbacks answered by ECS events,
 * the number of transitions must not depend on it.
 */
const SFN_VARIANTS = [
  { variant: 'ECS steady in ~5 s', taskStartMs: 25 },
  { variant: 'ECS steady in ~60 s', taskStartMs: 300 },
  { variant: 'ECS steady in ~5 min', taskStartMs: 1_500 },
] as const;

/** The three step functions the state machine invokes, by the name it knows them. */
interface StepHandlers {
  readonly advance: (event: unknown) => Promise<Directive>;
  readonly awaitApproval: (event: unknown) => Promise<void>;
  readonly recover: (event: unknown) => Promise<Directive>;
}
import { aslOf } from '../../test/helpers/asl';
import { startLambdaInvokeStub, startSecretsStub, useAwsEndpoints } from '../../test/helpers/aws-endpoints';
import { httpApiEvent } from '../../test/helpers/lambda-events';
import { API_TOKEN, WEBHOOK_CONTENT_TYPE, WEBHOOK_TOKEN, deliver, newDigest, pushEnvelope, pushImages, pushSignatures, registry, workspace } from '../lib/fixtures';
import { countSdkCalls } from '../lib/sdk-calls';
import { localStack } from '../lib/stack';
import { fmt, fmtRatio, median, until } from '../lib/stats';
import type { Benchmark, Figure, Target } from '../lib/types';

const STEPS = 10;
const DESIRED = 10;
const REPEATS = 3;
const PRICE_PER_TRANSITION = 0.025 / 1000;

interface LocalCase {
  readonly label: string;
  readonly taskStartMs: number;
  /** undefined: local mode's default (250 ms). */
  readonly steadyPollMs?: number;
}

const CASES: readonly LocalCase[] = [
  { label: 'fine steady poll (taskStartMs 100, steady poll 10 ms)', taskStartMs: 100, steadyPollMs: 10 },
  { label: 'local-mode defaults (taskStartMs 400, steady poll 250 ms)', taskStartMs: 400 },
];

/** The time the emulator needs to start the canary's tasks: one task per taskStartMs, counted from its UpdateTaskSet calls. */
function simulatedMs(calls: readonly EcsCall[], canaryId: string, taskStartMs: number): number {
  let running = 0;
  let total = 0;
  for (const c of calls) {
    const input = c.input as { taskSet?: string; scale?: { value?: number } };
    if (c.operation !== 'UpdateTaskSet' || c.error || !(input.taskSet === canaryId || input.taskSet?.endsWith(`/${canaryId}`))) continue;
    const target = Math.ceil((DESIRED * (input.scale?.value ?? 0)) / 100);
    if (target > running) total += (target - running) * taskStartMs;
    running = target;
  }
  return total;
}

async function tenStepRollouts(reg: RunningRegistry, c: LocalCase, warmup: boolean) {
  const steps = Array.from({ length: STEPS }, (_, i) => `- setWeight: ${(i + 1) * (100 / STEPS)}`);
  const ws = await workspace(reg.host, [{ name: 'web', repository: 'team/web', steps, desiredCount: DESIRED }]);
  // Real images: each rollout's stable image is the previous one's, checked in the registry before traffic moves.
  const digests = await pushImages(reg.host, 'team/web', REPEATS + 1);
  await pushSignatures(reg.host, 'team/web', digests, ws.keys.privateKeyPem);
  const stack = await localStack({ config: ws.config, taskStartMs: c.taskStartMs, ...(c.steadyPollMs ? { steadyPollMs: c.steadyPollMs } : {}) });
  const succeeded = new Map<string, number>();
  stack.orchestrator.subscribe((r) => {
    if (r.status === 'SUCCEEDED' && !succeeded.has(r.id)) succeeded.set(r.id, Date.now());
  });
  const counter = countSdkCalls();
  try {
    const runs = [];
    for (let i = warmup ? 0 : 1; i < REPEATS + 1; i++) {
      counter.reset();
      const from = stack.ecs.calls.length;
      const t0 = Date.now();
      const { accepted } = await deliver(stack.url, reg.host, 'team/web', digests[i]!);
      const id = accepted[0]!.rolloutId;
      const end = await until(`rollout ${id} to succeed`, async () => succeeded.get(id), 60_000, 20).catch(async (e: unknown) => {
        // What the rollout did instead, for the report.
        const r = await stack.orchestrator.get(id);
        throw new Error(`${String(e)}; it is ${r.status} (${r.reason ?? 'no reason'}); last events: ${r.events.slice(-3).map((x) => `${x.type}: ${x.message}`).join(' | ')}`);
      });
      const r = await stack.orchestrator.get(id);
      const calls = stack.ecs.calls.slice(from);
      const sim = simulatedMs(calls, r.ecs.canaryTaskSetId!, c.taskStartMs);
      const firstCanaryCall = calls.find((x) => x.operation === 'CreateTaskSet')?.at ?? t0;
      if (i === 0) continue; // warm-up
      runs.push({
        wallMs: end - t0,
        simulatedMs: sim,
        ingestMs: firstCanaryCall - t0,
        perStepMs: (end - t0 - sim) / STEPS,
        perStepAfterIngestMs: (end - firstCanaryCall - sim) / STEPS,
        dynamoCalls: counter.total('DynamoDB'),
        ecsCalls: counter.total('ECS'),
        calls: { ...counter.counts },
      });
    }
    return runs;
  } finally {
    counter.restore();
    await stack.stop();
    ws.cleanup();
  }
}

/** The synthesized state machine run locally; answers the states entered and the Advance directives. */
async function stepFunctionsRun(reg: RunningRegistry) {
  const app = new App();
  const stack = new Stack(app, 'Bench');
  const fn = (id: string) => lambda.Function.fromFunctionArn(stack, id, `arn:aws:lambda:us-east-1:000000000000:function:${id}`);
  new RolloutStateMachine(stack, 'Rollout', { advanceFunction: fn('Advance'), awaitApprovalFunction: fn('AwaitApproval'), recoverFunction: fn('Recover') });
  const definition = aslOf(Template.fromStack(stack));

  const ws = await workspace(reg.host, [
    { name: 'web', repository: 'team/web', steps: ['- setWeight: 20', '- pause: { duration: 1s }', '- setWeight: 50', '- pause: {}', '- setWeight: 100'], alarms: ['web-5xx'], desiredCount: 4 },
  ]);
  const digests = SFN_VARIANTS.map(() => newDigest());
  await pushSignatures(reg.host, 'team/web', digests, ws.keys.privateKeyPem);
  // One ECS emulator per variant behind one endpoint, its tasks starting after the variant's time (ECS
  // at 1:100 scale: 50 ms stands for 5 s). The Lambda clients are built once per process.
  const emulators = SFN_VARIANTS.map((v) => new EcsEmulator({ taskStartMs: v.taskStartMs }));
  for (const e of emulators) e.seedService({ cluster: 'bench', service: 'web', desiredCount: 4, containerName: 'app', image: `${reg.host}/team/web:initial` });
  let current = emulators[0]!;
  // What EventBridge delivers in AWS: ECS service action events to the ECS event function.
  for (const e of emulators) e.onEvent((event) => void handlers?.ecsEvent(event));
  const ecsServer = createServer((req, res) => ecsRequestListener(current)(req, res));
  await new Promise<void>((r) => ecsServer.listen(0, '127.0.0.1', r));
  const ecsEndpoint = `http://127.0.0.1:${(ecsServer.address() as AddressInfo).port}`;
  const dynamo = await startDynalite({ tableName: 'rollouts' });
  const secrets = await startSecretsStub({ 'webhook-secret': WEBHOOK_TOKEN, 'api-secret': API_TOKEN });
  const directives: Directive[] = [];
  /** AwaitApproval invocations that have returned: the wait's token kept and the approval asked for. */
  let approvalAsked = 0;
  let handlers: { api: typeof ApiHandlers; steps: StepHandlers; ecsEvent: (event: unknown) => Promise<unknown>; intake: (event: unknown) => Promise<unknown> } | undefined;
  const sfnOptions = (overrideMs: number | undefined) => ({
    definition,
    handlers: {
      Advance: async (input: unknown) => {
        const d = await handlers!.steps.advance(input);
        directives.push(d);
        return d;
      },
      AwaitApproval: async (input: unknown) => {
        await handlers!.steps.awaitApproval((input as { Payload: unknown }).Payload);
        approvalAsked += 1;
      },
      AwaitSteady: (input: unknown) => handlers!.steps.awaitApproval((input as { Payload: unknown }).Payload),
      Recover: (input: unknown) => handlers!.steps.recover(input),
    },
    // The fallback look at ECS (10 minutes in AWS) at the same 1:100 scale.
    taskTimeoutOverrides: { AwaitSteady: 6_000 },
    ...(overrideMs === undefined ? {} : { waitTimeOverrides: { Wait: overrideMs } }),
  });
  // One Step Functions stand-in per run (the wait override differs), behind one endpoint.
  let sfn = await startStepFunctionsEmulator(sfnOptions(undefined));
  const sfnProxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void fetch(sfn.endpoint, { method: 'POST', headers: req.headers as Record<string, string>, body: Buffer.concat(chunks) }).then(async (answer) => {
        res.writeHead(answer.status, Object.fromEntries(answer.headers)).end(Buffer.from(await answer.arrayBuffer()));
      });
    });
  });
  await new Promise<void>((r) => sfnProxy.listen(0, '127.0.0.1', r));
  // The API hands each webhook delivery's work to the intake function, invoked asynchronously (Lambda's Invoke).
  const lambdaInvoke = await startLambdaInvokeStub({ intake: (event) => handlers!.intake(event) });
  const restore = useAwsEndpoints(
    { dynamodb: dynamo.endpoint, ecs: ecsEndpoint, sfn: `http://127.0.0.1:${(sfnProxy.address() as AddressInfo).port}`, secretsManager: secrets.endpoint, lambda: lambdaInvoke.endpoint },
    {
      ROLLOUT_INTAKE_FUNCTION_NAME: 'intake',
      ROLLOUT_CONFIG: writeResolvedConfig(ws.config, join(ws.dir, 'resolved')),
      ROLLOUT_TABLE_NAME: 'rollouts',
      ROLLOUT_STATE_MACHINE_ARN: sfn.emulator.stateMachineArn,
      ROLLOUT_SECRETS: JSON.stringify({ ROLLOUT_WEBHOOK_TOKEN: 'webhook-secret', ROLLOUT_API_TOKEN: 'api-secret' }),
      ROLLOUT_LINK_SECRET: 'bench-link-secret',
    },
  );
  try {
    handlers = {
      api: await import('../../functions/api'),
      steps: {
        advance: (await import('../../functions/advance')).advance,
        awaitApproval: (await import('../../functions/await-approval')).awaitApproval,
        recover: (await import('../../functions/recover')).recover,
      },
      ecsEvent: (await import('../../functions/ecs-event')).ecsEvent,
      intake: (await import('../../functions/ecr-push')).ecrPush,
    };
    const call = async (method: string, path: string, token: string, body: unknown, contentType = 'application/json') => {
      const res = (await handlers!.api.handler(httpApiEvent(method, path, { headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, body }) as never, {} as never)) as { statusCode: number; body: string };
      return { status: res.statusCode, body: JSON.parse(res.body) as Record<string, unknown> };
    };
    const runs = [];
    const counter = countSdkCalls();
    try {
      for (const [i, { variant }] of SFN_VARIANTS.entries()) {
        current = emulators[i]!;
        if (i > 0) {
          await sfn.emulator.idle();
          await sfn.close();
          sfn = await startStepFunctionsEmulator(sfnOptions(undefined));
        }
        directives.length = 0;
        counter.reset();
        const started = Date.now();
        const asked = approvalAsked;
        const res = await call('POST', '/webhooks/registry', WEBHOOK_TOKEN, pushEnvelope(reg.host, 'team/web', digests[i]!), WEBHOOK_CONTENT_TYPE);
        const id = ((res.body['accepted'] as { rolloutId: string }[])[0]!).rolloutId;
        const clock = () => [...sfn.emulator.executions.values()].find((e) => e.name.startsWith(`${id}-`));
        // A person approves after being asked: once the AwaitApproval function has kept the wait's token
        // and sent its request (it returns then), not the moment the state is entered.
        await until(`${id} to wait for approval`, async () => clock()?.states.at(-1) === 'AwaitApproval' && approvalAsked > asked, 60_000, 10);
        const approved = await call('POST', `/rollouts/${id}/approve`, API_TOKEN, { by: 'bench' });
        if (approved.status !== 200) throw new Error(`approve answered ${approved.status}`);
        const exec = clock()!;
        await exec.done;
        await sfn.emulator.idle();
        // Every function's DynamoDB calls from the webhook to the execution's end (the read below is the bench's own).
        const dynamoCalls = Object.fromEntries(Object.entries(counter.counts).filter(([k]) => k.startsWith('DynamoDB ')).map(([k, v]) => [k.slice('DynamoDB '.length), v]));
        const r = await call('GET', `/rollouts/${id}`, API_TOKEN, undefined);
        if (exec.status !== 'SUCCEEDED' || r.body['status'] !== 'SUCCEEDED') throw new Error(`execution ${exec.status}, rollout ${String(r.body['status'])}`);
        const waits = (kind: string) => directives.filter((d) => d.next === 'WAIT' && d.for === kind).length;
        runs.push({ variant, states: [...exec.states], transitions: exec.states.length, steadyWaits: directives.filter((d) => d.next === 'STEADY').length, bakeWaits: waits('bake'), approvals: directives.filter((d) => d.next === 'APPROVAL').length, seconds: (Date.now() - started) / 1000, dynamoCalls, dynamoTotal: Object.values(dynamoCalls).reduce((a, b) => a + b, 0) });
      }
    } finally {
      counter.restore();
    }
    return runs;
  } finally {
    restore();
    await lambdaInvoke.idle();
    await lambdaInvoke.close();
    await sfn.emulator.idle();
    await sfn.close();
    await new Promise<void>((r) => sfnProxy.close(() => r()));
    await new Promise<void>((r) => {
      ecsServer.closeAllConnections();
      ecsServer.close(() => r());
    });
    await secrets.close();
    await dynamo.close();
    ws.cleanup();
  }
}

export const orchestration: Benchmark = {
  name: 'orchestration',
  title: 'Orchestration overhead: 10-step rollout per step, and Step Functions transitions of a 5-step rollout',
  async run() {
    const reg = await registry();
    try {
      const local: Record<string, Awaited<ReturnType<typeof tenStepRollouts>>> = {};
      for (const [i, c] of CASES.entries()) local[c.label] = await tenStepRollouts(reg, c, i === 0);
      const sfnRuns = await stepFunctionsRun(reg);

      const figures: Figure[] = [];
      const targets: Target[] = [];
      for (const c of CASES) {
        const runs = local[c.label]!;
        const wall = median(runs.map((r) => r.wallMs));
        const sim = median(runs.map((r) => r.simulatedMs));
        const perStep = median(runs.map((r) => r.perStepMs));
        figures.push(
          { metric: `10-step rollout, ${c.label}: wall time webhook → SUCCEEDED`, value: `${fmt(wall)} ms`, reference: `${fmt(sim)} ms`, referenceName: 'ECS simulated time (task starts)', ratio: fmtRatio(wall / sim) },
          { metric: `10-step rollout, ${c.label}: overhead per step`, value: `${fmt(perStep)} ms`, reference: `${fmt(sim / STEPS)} ms`, referenceName: 'simulated ECS time per step' },
          { metric: `10-step rollout, ${c.label}: overhead per step after the canary exists (webhook → canary created, once)`, value: `${fmt(median(runs.map((r) => r.perStepAfterIngestMs)))} ms (${fmt(median(runs.map((r) => r.ingestMs)))} ms)` },
          { metric: `10-step rollout, ${c.label}: SDK calls per step (whole rollout ÷ 10)`, value: `${fmt(median(runs.map((r) => r.dynamoCalls)) / STEPS, 1)} DynamoDB, ${fmt(median(runs.map((r) => r.ecsCalls)) / STEPS, 1)} ECS` },
        );
        targets.push({ target: `overhead ≤ 50 ms per step (${c.label})`, measured: `${fmt(perStep)} ms`, met: perStep <= 50 });
      }
      const cost = (n: number) => `$${(n * PRICE_PER_TRANSITION).toFixed(6)}`;
      for (const r of sfnRuns) {
        figures.push({ metric: `5-step rollout with one approval, ${r.variant}: Step Functions transitions`, value: `${r.transitions} (${cost(r.transitions)} per rollout; ${r.steadyWaits} waits for ECS, ${r.bakeWaits} bake waits)`, reference: '20', referenceName: 'target', ratio: fmtRatio(r.transitions / 20) });
        targets.push({ target: `5-step rollout with one approval ≤ 20 transitions (${r.variant})`, measured: `${r.transitions}`, met: r.transitions <= 20 });
        figures.push({ metric: `5-step rollout with one approval, ${r.variant}: DynamoDB calls, all functions`, value: `${r.dynamoTotal} (${Object.entries(r.dynamoCalls).map(([k, v]) => `${v} ${k}`).join(', ')})`, reference: '25', referenceName: 'target', ratio: fmtRatio(r.dynamoTotal / 25) });
        targets.push({ target: `DynamoDB calls per rollout (5 steps, one approval, all functions) ≤ 25 (${r.variant})`, measured: `${r.dynamoTotal}`, met: r.dynamoTotal <= 25 });
      }
      const first = sfnRuns[0]!;
      return {
        method: [
          `(a) Local mode (\`startLocalStack\`, the timer workflow, dynalite, the ECS emulator; real signature check against the loopback registry): a service of ${DESIRED} tasks with \`steps: [setWeight 10, setWeight 20, … setWeight 100]\` (no pauses: zero bake). Wall time from the webhook POST to the save that makes the rollout SUCCEEDED (an orchestrator listener). The emulator's simulated time is what its model needs to start the canary's tasks: one task per \`taskStartMs\` (taskStopMs 0: stable tasks stop at once), from the canary's UpdateTaskSet calls in the call log; ${DESIRED} × taskStartMs in total. Overhead per step = (wall − simulated) / ${STEPS}. ${REPEATS} rollouts per case (after one warm-up rollout in the process); medians.`,
          '(b) The state machine `RolloutStateMachine` synthesizes (CDK), resolved to plain ASL and run by the Step Functions stand-in; Advance, AwaitApproval/AwaitSteady and Recover are the real handlers of functions/advance.ts, await-approval.ts, recover.ts in-process, ECS service action events from the ECS emulator go to the real functions/ecs-event.ts, the webhook and the approval go through the real API handler (functions/api.ts); SDK clients reach dynalite, the ECS emulator and a Secrets Manager stub. The rollout: `setWeight 20, pause 1s, setWeight 50, pause {} (approval), setWeight 100`. Transitions = states entered by the rollout\'s execution. Three runs, ECS at 1:100 scale: one task starts every 25, 300 and 1,500 ms, so the slowest step (two tasks, 50% → 100%) is steady after 50, 600 and 3,000 ms (standing for 5 s, 60 s and 5 minutes); the fallback look at ECS after 6 s (10 minutes in AWS); waits are not shortened. The approval is sent once the AwaitApproval function has returned (its wait\'s token kept and the request sent), as a person approves after being asked.',
        ],
        figures,
        targets,
        analysis: [
          `Local mode, per step: with the default 250 ms steady poll, a step whose task is up after ${CASES[1]!.taskStartMs} ms is seen steady at the look at ~500 ms (looks at 0, 250, 500 ms after the weight is set), so the poll alone costs ~100 ms per step, plus each look's own round trips (${fmt(median(local[CASES[1]!.label]!.map((r) => r.perStepMs)))} ms per step in all). With a 10 ms poll the rest shows (${fmt(median(local[CASES[0]!.label]!.map((r) => r.perStepMs)))} ms per step): ${fmt(median(local[CASES[0]!.label]!.map((r) => r.dynamoCalls)) / STEPS, 1)} DynamoDB and ${fmt(median(local[CASES[0]!.label]!.map((r) => r.ecsCalls)) / STEPS, 1)} ECS calls per step (each steady look is a DescribeServices plus a re-read of the rollout; each weight is a save of the record and its event, DescribeTaskSets, two UpdateTaskSet and a re-read), each a loopback round trip through the SDK into dynalite or the emulator in this event loop, on a shared 2-core machine.`,
          'What would reach 50 ms per step: stop polling for steady state: ECS says when a task set will be steady (pending counts, and task-set state change events in EventBridge), so local mode could wake exactly then and AWS could wait on a callback instead of a Wait loop; until then, poll from a short first look with backoff rather than at a fixed interval. Then cut the round trips per step: apply the weight with the task set ids the record already has (no DescribeTaskSets), keep the saved record instead of re-reading it after each ECS call, and write a record with its events in one BatchWriteItem.',
          `DynamoDB, per rollout: ${sfnRuns.map((r) => `${r.dynamoTotal} (${r.variant})`).join(', ')}. A rollout and its events are one item (one GetItem to read, one conditional PutItem to save, never read back after a save); a callback wait keeps its token with one UpdateItem under the version its directive was decided from (no read), and the workflow's weight call leaves its look for newer intents to that keep; Advance decides from the record handed on to it through the state machine's data (a new execution's input, a callback's answer, a WAIT directive), so what remains is one save per decision, one read per ECS steady-state event that finds a rollout's canary steady (the event looks at ECS before the store; its answer writes nothing and hands that record on), the API's read for the approval, the delivery's (received, claimed, processed: the intake function is handed the delivery in its invocation's payload), and the service lock (taken and released; the queue is read only when someone queued behind it; being active costs nothing, the record's own write keeps the active index). Three things can add a call, by timing alone, and a run may show any of them: the canary is created at 0% and is steady at once, so the event announcing it can find it before the first weight call and read the record for nothing (EventBridge's delivery, slower than this in-process one, makes that rare in AWS); a step slower than AwaitSteady's fallback (10 minutes) has its wait end by the timeout, which hands no record on, so the Advance after it reads one; and a save that meets another actor's (an approval in the same instant as the wait's keep) reads the record again before it saves once more.`,
          `Step Functions: ${sfnRuns.map((r) => `${r.transitions} (${r.variant})`).join(', ')} states entered (${first.states.join(' → ')}). Waiting for ECS is a callback (AwaitSteady) that the ECS service action event answers, so a weight change costs Route → AwaitSteady → Advance however long ECS takes; only an event that never comes costs one more loop, at the fallback timeout.`,
        ],
        raw: { local, stepFunctions: sfnRuns.map(({ states, ...rest }) => ({ ...rest, states: states.join(',') })) },
      };
    } finally {
      await reg.stop();
    }
  },
};
