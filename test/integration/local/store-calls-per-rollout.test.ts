/**
 * What a whole rollout costs in DynamoDB calls, counted at the SDK client: local mode (the synthesized
 * state machine run by the Step Functions stand-in with the step handlers of functions/, the HTTP API,
 * the delivery intake, ECS events, the watchdog on execution status changes) over the real
 * DynamoRolloutStore on dynalite. The rollout is `setWeight 20, pause 1s, setWeight 50, pause {}
 * (approval), setWeight 100`, from the webhook to the execution's end. Only the signature verdict is
 * scripted; the test itself reads nothing from the store while counting (it follows the rollout through
 * the orchestrator's listeners and the stand-in's executions).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../../local/local-stack';
import { silentLogger } from '../../../shared/observability/logger';
import type { Rollout } from '../../../shared/core/rollout';
import { type ApiClient, apiClient, waitFor } from '../../helpers/http';
import { appConfig, digestOf, pushEnvelope, serviceConfig } from '../../helpers/local-config';
import { APPROVED_ROLLOUT_EVENTS } from '../../helpers/scenarios';
import { ScriptedVerifier } from '../../helpers/scripted-verifier';

/**
 * The figures this design reaches (180 calls before a rollout and its events became one item, 84 while
 * each ECS steady-state event read the service lock and its holder's record and each answered wait was
 * a save of its own, 47 while each callback wait read the record before keeping its token, each weight
 * call read it after the ECS call, the clock took its attempt in a save of its own and a last step of
 * 100% waited for steady state twice, 35 while each Advance read the record instead of taking the one
 * handed on to it, every release read the service's queue and a verified signature had a save of its
 * own before the lock, 29 while an active rollout had a marker item of its own, put at its create and
 * deleted after its end), with a call or two of slack where ECS's events or the approval race the loop;
 * the test fails if calls creep back. An ECS event looks at ECS before the store: only one that finds a
 * canary steady reads that rollout's record, and its answer writes nothing (the next Advance's save
 * forgets the token) and hands the record it read on to that Advance. docs/architecture.md ("What a
 * rollout costs") says where the rest go.
 */
const MAX_CALLS_PER_ROLLOUT = 27;
const MAX_CALLS_PER_PHASE: Record<string, number> = {
  // Received, claimed, created (active by its record's own index keys: no marker item); the received
  // delivery is handed to the work, not read back.
  intake: 3,
  // Lock taken, then started: the verified signature and the clock's first attempt recorded in that
  // save, whose record is handed to the execution.
  PENDING: 2,
  // The canary (claim and record), weight 20 and its wait for ECS: the token kept unread, the events'
  // reads (the canary, steady at 0% once created, is read too), the Advance's save (from the record the
  // answer handed on); the delivery's outcome.
  'PROGRESSING step 0': 9,
  // A 1 s bake: one Advance's save, from the record the WAIT directive handed on. On a loaded machine ECS
  // may be steady at the Advance's own look after the weight call, which then reads the record at once
  // (no wait follows to look for it), and an ECS event's read of weight 20 may land here: two more.
  'PROGRESSING step 1': 3,
  // Weight 50: the token kept unread, the event's read, the Advance's save.
  'PROGRESSING step 2': 4,
  // The approval wait's token kept, the API's read and the approval (a version conflict, a read and a
  // save more, when the approval races the token's keep, as here where it comes at once).
  'PAUSED step 3': 5,
  // The Advance that starts weight 100 (a save, from the record the approval's answer handed on), then
  // as for weight 50.
  'PROGRESSING step 4': 5,
  // Steady at 100%: the promote call's save, which also takes the record out of the active index.
  'PROGRESSING step 5': 1,
  // The lock released; nobody queued behind it (the lock is not marked), so no queue read. The
  // execution's end needs no read: its output says SUCCEEDED.
  SUCCEEDED: 1,
};

interface Call {
  readonly operation: string;
  /** The phase of the rollout when the call was sent (its last saved status and step). */
  readonly phase: string;
  /** The store method and the orchestration function that made it, from the call's stack. */
  readonly caller: string;
}

type Sender = (this: unknown, ...args: unknown[]) => unknown;

let stack: LocalStack;
let api: ApiClient;
let hook: ApiClient;
const calls: Call[] = [];
let counting = false;
let phase = 'intake';
let restoreSend: () => void;

beforeAll(async () => {
  // Ten tasks, each starting 100 ms after its set is scaled: every weight waits for ECS, as in AWS where
  // ECS takes far longer than a step of the loop (AwaitSteady, answered by ECS's events).
  const config = appConfig([serviceConfig('web', { local: { desiredCount: 10, image: null } })]);
  stack = await startLocalStack({
    config,
    port: 0,
    taskStartMs: 100,
    // No periodic sweep while counting: the watchdog still acts on every execution status change.
    watchdogIntervalMs: 3_600_000,
    verifier: new ScriptedVerifier(),
    logger: silentLogger,
    webhookToken: 'hook-token',
    apiToken: 'api-token',
  });
  // The watchdog's sweep at start reads the active index: not part of any rollout.
  await new Promise((r) => setTimeout(r, 200));
  api = apiClient(stack.url, stack.apiToken);
  hook = apiClient(stack.url, stack.webhookToken);
  const prototype = DynamoDBClient.prototype as unknown as { send: Sender };
  const send = prototype.send;
  prototype.send = function (this: unknown, ...args: unknown[]) {
    if (counting) calls.push({ operation: (args[0] as object).constructor.name.replace(/Command$/, ''), phase, caller: callerOf(new Error().stack ?? '') });
    return send.apply(this, args);
  };
  restoreSend = () => {
    prototype.send = send;
  };
}, 60_000);

afterAll(async () => {
  restoreSend?.();
  await stack?.stop();
});

/**
 * `Store.method < Module.function`: the first store frame and the first orchestration frame above it.
 * With STORE_CALLS_TRACE=1 the test prints every call in order; with 2, the orchestration frames too.
 */
function callerOf(trace: string): string {
  const frames = trace.split('\n').slice(1).map((l) => l.trim().replace(/^at (async )?/, ''));
  const named = (match: RegExp) => frames.find((f) => match.test(f))?.split(' ')[0] ?? '?';
  const chain = process.env['STORE_CALLS_TRACE'] === '2' ? ` (${frames.filter((f) => /shared\/orchestration\//.test(f)).map((f) => f.split(' ')[0]).slice(0, 5).join(' < ')})` : '';
  return `${named(/shared\/adapters\/dynamodb\/(?!conditional)/)} < ${named(/shared\/orchestration\/|functions\/|shared\/http\//)}${chain}`;
}

function tally(list: readonly Call[], key: (c: Call) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of list) out[key(c)] = (out[key(c)] ?? 0) + 1;
  return out;
}

describe('DynamoDB calls of a whole rollout in local mode', () => {
  it(`costs at most ${MAX_CALLS_PER_ROLLOUT} calls for 5 steps with one approval, a bounded few per step`, async () => {
    const saved: Rollout[] = [];
    const unsubscribe = stack.orchestrator.subscribe((r) => {
      saved.push(r);
      phase = r.status === 'PROGRESSING' || r.status === 'PAUSED' ? `${r.status} step ${r.currentStep}` : r.status;
    });
    try {
      counting = true;
      const answer = await hook('POST', '/webhooks/registry', pushEnvelope('team/web', 'v2', digestOf(7)), { 'content-type': 'application/vnd.docker.distribution.events.v1+json' });
      expect(answer.status).toBe(202);
      const id = answer.body.accepted[0].rolloutId as string;
      const clock = () => [...stack.stepFunctions.emulator.executions.values()].filter((e) => e.name.startsWith(`${id}-`)).at(-1);
      await waitFor('the approval wait', async () => clock()?.states.at(-1) === 'AwaitApproval' || undefined, 30_000, 10);
      const approved = await api('POST', `/rollouts/${id}/approve`, { by: 'ann' });
      expect(approved.status).toBe(200);
      await waitFor('the rollout to succeed', async () => saved.some((r) => r.status === 'SUCCEEDED') || undefined, 30_000, 10);
      await clock()!.done;
      await stack.stepFunctions.emulator.idle();
      // The watchdog's answer to the execution's end, and the delivery's outcome, land after it.
      await new Promise((r) => setTimeout(r, 300));
      counting = false;

      const last = saved.at(-1)!;
      expect(last.status).toBe('SUCCEEDED');
      expect(last.events.map((e) => e.type)).toEqual(APPROVED_ROLLOUT_EVENTS);

      const byPhase = tally(calls, (c) => c.phase);
      console.info(
        [
          `DynamoDB calls for one rollout: ${calls.length}`,
          `by operation: ${JSON.stringify(tally(calls, (c) => c.operation))}`,
          `by phase: ${JSON.stringify(byPhase)}`,
          'by caller:',
          ...Object.entries(tally(calls, (c) => `${c.operation} ${c.caller}`)).sort((a, b) => b[1] - a[1]).map(([k, v]) => `  ${v} × ${k}`),
          ...(process.env['STORE_CALLS_TRACE'] ? ['in order:', ...calls.map((c) => `  ${c.phase}: ${c.operation} ${c.caller}`)] : []),
        ].join('\n'),
      );
      expect(calls.length).toBeLessThanOrEqual(MAX_CALLS_PER_ROLLOUT);
      expect(Object.keys(byPhase).filter((p) => !(p in MAX_CALLS_PER_PHASE))).toEqual([]);
      for (const [p, n] of Object.entries(byPhase)) expect(n, p).toBeLessThanOrEqual(MAX_CALLS_PER_PHASE[p]!);
      // A rollout is read whole with one GetItem, saved with one PutItem: no Query of its history.
      expect(calls.filter((c) => c.operation === 'Query' && !c.caller.startsWith('ServiceQueues.queued'))).toEqual([]);
    } finally {
      counting = false;
      unsubscribe();
    }
  }, 60_000);
});
