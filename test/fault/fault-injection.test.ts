/**
 * The fault-injection suite of issue 6: every case is a whole rollout in local mode (the HTTP API,
 * the orchestrator, dynalite and the ECS emulator behind the real SDK clients, the local workflow
 * clock) with a fault injected. Whatever the fault, the rollout must end known:
 *
 *   - terminal (SUCCEEDED, ROLLED_BACK or FAILED), with a reason unless SUCCEEDED;
 *   - ECS on exactly one task set, PRIMARY, at 100%, running the image the outcome says
 *     (for FAILED, the table and the notes say what ECS shows instead);
 *   - the event log's seq 0..n-1 without gaps, timestamps never going back;
 *   - no ECS side effect done twice, read from what the emulator actually did (test/helpers/fault-harness).
 *
 * Cases share a stack per group, one service each; ECS faults are scoped to the case's service
 * (handed to the emulator's `faults.fail` as the service's call arrives). Crash cases get a stack of
 * their own on a data directory. All cases start at once in `beforeAll`; each `it` waits for its own.
 *
 * Cases marked `(was BUG-n)` reproduce a defect this suite found and that has since been fixed; they
 * guard against its return. The table of cases and outcomes is printed at the end.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Orchestrator } from '../../shared/orchestration/orchestrator';
import type { ServiceConfig } from '../../shared/config/types';
import type { StepSpec } from '../../shared/core/steps';
import type { RolloutStore } from '../../shared/ports';
import { type CheckOptions, Harness, type HarnessOptions, type Row, checkRollout, describeEcs, formatTable, freshDigest } from '../helpers/fault-harness';
import { appConfig, pushEnvelope, serviceConfig } from '../helpers/local-config';
import { APPROVED_ROLLOUT_EVENTS } from '../helpers/scenarios';
import { deliverAndWait } from '../helpers/http';

// Each stack's orchestrator reads its harness's clock, so a case can move time instead of waiting for it.

// ---- configuration -------------------------------------------------------------------------------

/** Short steps: a weight, a 1 s bake, a weight, (an approval), 100%. */
const STEPS: StepSpec[] = [{ setWeight: 25 }, { pause: { duration: 1 } }, { setWeight: 50 }, { setWeight: 100 }];
const STEPS_APPROVAL: StepSpec[] = [{ setWeight: 25 }, { pause: { duration: 1 } }, { setWeight: 50 }, { pause: {} }, { setWeight: 100 }];
/** For the cases about a weight that never becomes steady. */
const STEADY_TIMEOUT = 3;
/**
 * For every other case: a steady timeout is not what they test, and on a loaded two-core machine a
 * slow poll could come after a short timeout even though ECS is looked at first.
 */
const RELAXED_STEADY_TIMEOUT = 20;
/** Cases running at once (each is mostly waiting; more only adds CPU contention on 2 cores). */
const PARALLEL = Number(process.env.FAULT_PARALLEL ?? 12);
const STABLE_DIGEST = `sha256:${'5'.repeat(64)}`;

function svc(name: string, steps: readonly StepSpec[], steadyTimeout: number, onNewImage?: 'queue' | 'supersede' | 'reject'): ServiceConfig {
  const base = serviceConfig(name);
  return serviceConfig(name, {
    steps,
    // 4 tasks: 25% is 1 task, 50% is 2, 100% is 4, so a launch fault after the first weight still bites.
    // The seeded stable image is pinned by digest, so a rollback can be checked to run it again.
    local: { desiredCount: 4, image: `${base.registry}/${base.repository}@${STABLE_DIGEST}` },
    policies: { ...base.policies, steadyTimeout, ...(onNewImage ? { onNewImage } : {}) },
  });
}

/** Stacks shared by cases (one service per case); a case without a group gets a stack of its own. */
const GROUPS: Record<string, Omit<HarnessOptions, 'config'>> = {
  ecs: { steadyPollMs: 25 },
  events: { steadyPollMs: 25 },
  writers: { steadyPollMs: 25 },
  // A slow rollback (backing off 300 + 600 ms between attempts) leaves time to act while ROLLING_BACK.
  slowRollback: { steadyPollMs: 25, rollbackBackoffMs: 300 },
};

// ---- the case table ------------------------------------------------------------------------------

interface Ctx {
  readonly h: Harness;
  /** The service this case deploys (its own in a shared stack). */
  readonly service: string;
  /** Extra invariant violations found by the case itself. */
  readonly violations: string[];
  /** States passed through before the terminal one (e.g. FAILED before a retried rollback). */
  readonly path: string[];
  /** Something worth printing under the table (what ECS showed while FAILED...). */
  note(text: string): void;
}

interface Case {
  readonly name: string;
  readonly injected: string;
  readonly steps?: readonly StepSpec[];
  readonly steadyTimeout?: number;
  readonly onNewImage?: 'queue' | 'supersede' | 'reject';
  readonly group?: keyof typeof GROUPS;
  /** A stack of its own on a data directory, restartable. */
  readonly persistent?: boolean;
  readonly harness?: Omit<HarnessOptions, 'config' | 'persistent'>;
  readonly expect: CheckOptions['expect'] | readonly CheckOptions['expect'][];
  readonly reason?: RegExp;
  /** Runs the case; answers the rollout whose end is checked. */
  run(ctx: Ctx): Promise<string>;
}

const untilBake = (h: Harness, id: string) => h.until(id, 'to bake', (r) => r.wait?.for === 'bake');
const hexOf = (digest: string) => new RegExp(digest.slice(7));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const THROTTLE = { error: 'ThrottlingException' } as const;
const SERVER = { error: 'ServerException' } as const;
/** What a rollback records of its own progress while ROLLING_BACK. */
const ROLLBACKS_OWN_EVENTS = new Set<string>(['ROLLBACK_WAITING', 'ECS_ERROR', 'WORKFLOW_ERROR', 'ROLLED_BACK', 'ROLLBACK_FAILED']);
const labelsOf = (r: any) => ({ [r.image.digest]: 'canary', ...(r.previousDigest ? { [r.previousDigest]: 'stable' } : {}) });

const KIND = {
  throttle1: { spec: { ...THROTTLE, times: 1 }, text: 'ThrottlingException 400 ×1 (SDK retries)' },
  throttle2: { spec: { ...THROTTLE, times: 2 }, text: 'ThrottlingException 400 ×2 (past the SDK retry)' },
  '5xx1': { spec: { ...SERVER, times: 1 }, text: 'ServerException 500 ×1 (SDK retries)' },
  '5xx2': { spec: { ...SERVER, times: 2 }, text: 'ServerException 500 ×2 (past the SDK retry)' },
  lost1: { spec: { ...SERVER, times: 1, afterApplying: true }, text: 'applied, response lost ×1 (SDK retries)' },
  lost2: { spec: { ...SERVER, times: 2, afterApplying: true }, text: 'applied, response lost ×2 (past the SDK retry)' },
} as const;
type Kind = keyof typeof KIND;

/**
 * One ECS operation at one point of the rollout with one kind of fault. The SDK client makes 2
 * attempts: one fault is absorbed (SUCCEEDED), two reach the orchestrator, which rolls back.
 */
function ecsCase(label: string, op: string, when: 'push' | 'bake', kind: Kind, override: Partial<Case> = {}): Case {
  const absorbed = kind.endsWith('1');
  return {
    name: `${label}: ${kind}`,
    injected: `${op} ${KIND[kind].text}`,
    group: 'ecs',
    expect: absorbed ? 'SUCCEEDED' : 'ROLLED_BACK',
    ...(absorbed ? {} : { reason: new RegExp(`^ECS call failed: \\w+: ECS ${op} failed`) }),
    async run({ h, service }) {
      if (when === 'push') h.fail(service, op, KIND[kind].spec);
      const { id } = await h.start(service);
      if (when === 'bake') {
        await untilBake(h, id);
        h.fail(service, op, KIND[kind].spec);
      }
      return id;
    },
    ...override,
  };
}

const ECS_POINTS: [string, string, 'push' | 'bake'][] = [
  ['CreateTaskSet', 'CreateTaskSet', 'push'],
  ['first UpdateTaskSet (0→25%)', 'UpdateTaskSet', 'push'],
  ['later UpdateTaskSet (25→50%)', 'UpdateTaskSet', 'bake'],
  ['UpdateServicePrimaryTaskSet (promote)', 'UpdateServicePrimaryTaskSet', 'push'],
  ['DeleteTaskSet (promote)', 'DeleteTaskSet', 'push'],
];
/**
 * throttle ×1 and lost ×1 must be absorbed by the SDK's retry; 5xx ×2 and lost ×2 must reach the
 * orchestrator. (throttle ×2 and 5xx ×1 take the same paths as 5xx ×2 and throttle ×1: FAULT_ALL_KINDS=1 adds them.)
 */
const KINDS: Kind[] = process.env.FAULT_ALL_KINDS ? (Object.keys(KIND) as Kind[]) : ['throttle1', '5xx2', 'lost1', 'lost2'];

/** Expectations that differ from the rule above, each with why. */
const OVERRIDES: Record<string, Partial<Case>> = {
  // Past the point of return (canary steady at 100%, being made primary) an ECS error retries the
  // idempotent promotion instead of throwing the deploy away: the faults pass and it is promoted.
  'UpdateServicePrimaryTaskSet (promote): 5xx2': { expect: 'SUCCEEDED', reason: undefined },
  'UpdateServicePrimaryTaskSet (promote): lost2': { expect: 'SUCCEEDED', reason: undefined },
  'DeleteTaskSet (promote): 5xx2': { expect: 'SUCCEEDED', reason: undefined },
  // The retry of a delete whose response was lost finds the set gone, which counts as deleted: promoted.
  'DeleteTaskSet (promote): lost2': { expect: 'SUCCEEDED', reason: undefined },
  // The canary was created but its answer lost: the rollback finds it by its externalId and removes it (was BUG-1).
  'CreateTaskSet: lost2': { name: 'CreateTaskSet: lost2 (the canary the record never learned of is removed)' },
};

/** Starts a rollout, waits for the bake after the first weight, injects, then aborts it. */
/** `settleMs`: how long into the bake the abort comes (the Advance that recorded the bake may still be making its calls at first). */
async function abortAtBake(ctx: Ctx, inject: () => void, settleMs = 0) {
  const { h, service } = ctx;
  const { id } = await h.start(service);
  await untilBake(h, id);
  if (settleMs > 0) await sleep(settleMs);
  inject();
  const res = await h.command(id, 'abort', { by: 'ops', reason: 'fault test' });
  return { id, res };
}

/** A second writer: another Orchestrator over the same DynamoRolloutStore and ECS deployer (endpoint), sharing the workflow. */
function secondOrchestrator(h: Harness): Orchestrator {
  return new Orchestrator({
    config: h.config,
    store: h.stack.store,
    ecs: h.stack.deployer,
    verifier: h.verifier,
    workflow: h.stack.workflow,
    alarms: h.stack.alarms,
    options: { steadyPollSeconds: 1, rollbackBackoffMs: 20, signatureRecheckMs: [5] },
  });
}

const CRASH_POINTS: [string, (h: Harness, id: string, digest: string) => Promise<unknown>][] = [
  ['right after the push', async () => undefined],
  [
    "during the first weight's steady wait",
    // Held in the steady wait by launches that never happen, until the restart (emulator faults do not survive one).
    (h, id) => h.until(id, 'to wait for steady at 25%', (r) => r.canaryWeight === 25 && r.wait?.for === 'steady' && r.ecs?.canaryTaskSetId),
  ],
  ['during the bake', (h, id) => untilBake(h, id)],
  ['while paused for approval', (h, id) => h.untilStatus(id, 'PAUSED')],
  [
    'right after approve',
    async (h, id, digest) => {
      await h.untilStatus(id, 'PAUSED');
      // Keep the 100% weight from becoming steady before the crash: the restart finds it mid-step.
      h.stack.ecs.faults.failLaunches({ image: hexOf(digest) });
      const res = await h.command(id, 'approve', { by: 'ann' });
      if (res.status !== 200) throw new Error(`approve answered ${res.status}`);
    },
  ],
];

const CASES: Case[] = [
  // ---- ECS API faults at each call of the rollout ----
  ...ECS_POINTS.flatMap(([label, op, when]) => KINDS.map((kind) => ecsCase(label, op, when, kind, OVERRIDES[`${label}: ${kind}`]))),
  {
    name: 'DeleteTaskSet (promote): response lost, then 5xx on the retry (was BUG-2)',
    injected: 'DeleteTaskSet applied+lost ×1, then ServerException ×1',
    group: 'ecs',
    // ECS already is where a success leaves it (canary PRIMARY at 100%, the old set drained): SUCCEEDED,
    // or at the very least a FAILED that an abort can clear. It ends FAILED for good instead.
    expect: 'SUCCEEDED',
    async run(ctx) {
      const { h, service } = ctx;
      h.fail(service, 'DeleteTaskSet', { ...SERVER, times: 1, afterApplying: true });
      h.fail(service, 'DeleteTaskSet', { ...SERVER, times: 1 });
      const { id } = await h.start(service);
      const r = await h.untilTerminal(id);
      if (r.status === 'FAILED') {
        ctx.note(`at FAILED: ECS shows ${describeEcs(h.ecsView(service), labelsOf(r))}`);
        const again = await h.command(id, 'abort', { by: 'ops', reason: 'nothing injected any more' });
        const after = await h.untilTerminal(id);
        ctx.note(`abort again answered ${again.status}, rollout ${after.status}: ${after.reason}`);
      }
      return id;
    },
  },

  // ---- faults during the rollback ----
  {
    name: 'rollback: DeleteTaskSet 5xx ×2 (attempt 1 fails, attempt 2 works)',
    injected: 'abort at bake; DeleteTaskSet ServerException ×2',
    group: 'ecs',
    // As for the persistent case below: the abort comes 1 s into a 5 s bake, so that no weight call of the
    // workflow is in flight at its moment (one would run the rollback again, doubling the count here).
    steps: [{ setWeight: 25 }, { pause: { duration: 5 } }, { setWeight: 50 }, { setWeight: 100 }],
    expect: 'ROLLED_BACK',
    reason: /^aborted by ops/,
    async run(ctx) {
      const { h, service } = ctx;
      const { id, res } = await abortAtBake(ctx, () => h.fail(service, 'DeleteTaskSet', { ...SERVER, times: 2 }), 1000);
      if (res.status !== 200) ctx.violations.push(`abort answered ${res.status}`);
      // The canary is deleted once the stable set is steady at full size again, after the abort answers.
      await h.untilTerminal(id);
      const failed = h.ledger.forService(service).filter((e) => e.operation === 'DeleteTaskSet' && !e.ok).length;
      if (failed !== 2) ctx.violations.push(`expected 2 failed DeleteTaskSet calls, saw ${failed}`);
      return id;
    },
  },
  {
    name: 'rollback: DeleteTaskSet lost ×1 then 5xx (retry finds it gone)',
    injected: 'abort at bake; DeleteTaskSet applied+lost ×1, ServerException ×1',
    group: 'ecs',
    expect: 'ROLLED_BACK',
    reason: /^aborted by ops/,
    async run(ctx) {
      const { h, service } = ctx;
      return (
        await abortAtBake(ctx, () => {
          h.fail(service, 'DeleteTaskSet', { ...SERVER, times: 1, afterApplying: true });
          h.fail(service, 'DeleteTaskSet', { ...SERVER, times: 1 });
        })
      ).id;
    },
  },
  {
    name: 'rollback: every ECS call throttled ×3',
    injected: 'abort at bake; * ThrottlingException ×3',
    group: 'ecs',
    expect: 'ROLLED_BACK',
    reason: /^aborted by ops/,
    async run(ctx) {
      return (await abortAtBake(ctx, () => ctx.h.fail(ctx.service, '*', { ...THROTTLE, times: 3 }))).id;
    },
  },
  {
    name: 'rollback: DeleteTaskSet fails persistently → FAILED; fixed; abort again',
    injected: 'abort at bake; DeleteTaskSet ServerException ×∞, then cleared',
    group: 'ecs',
    // The abort comes 1 s into a 5 s bake, when the Advance that recorded the bake has made its calls and the
    // next weight is far off: a weight call of the workflow's made at the abort's moment runs the rollback
    // again after the abort's (as it must: the call may have landed after the rollback), which would double
    // the DeleteTaskSet attempts this case counts.
    steps: [{ setWeight: 25 }, { pause: { duration: 5 } }, { setWeight: 50 }, { setWeight: 100 }],
    expect: 'ROLLED_BACK',
    reason: /retrying a failed rollback/,
    async run(ctx) {
      const { h, service } = ctx;
      const { id, res } = await abortAtBake(ctx, () => h.fail(service, 'DeleteTaskSet', { ...SERVER, times: Infinity }), 1000);
      const failed = await h.untilStatus(id, 'FAILED');
      ctx.path.push('FAILED');
      // The abort answers FAILED when its rollback got as far as the delete, ROLLING_BACK when the stable set
      // was still getting back to full size (the canary is only removed once it is steady).
      if (res.body?.status !== 'FAILED' && res.body?.status !== 'ROLLING_BACK') ctx.violations.push(`abort answered ${res.body?.status}, expected FAILED or ROLLING_BACK`);
      if (!/then the rollback failed: .*DeleteTaskSet/.test(failed.reason ?? '')) ctx.violations.push(`FAILED reason: ${failed.reason}`);
      if (!failed.events.some((e: any) => e.type === 'ROLLBACK_FAILED')) ctx.violations.push('no ROLLBACK_FAILED event (the alert)');
      if ((await h.store().lockHolder(service)) !== id) ctx.violations.push('the FAILED rollout let go of the service lock');
      ctx.note(`at FAILED: ${describeEcs(h.ecsView(service), labelsOf(failed))}`);
      const attempts = h.ledger.forService(service).filter((e) => e.operation === 'DeleteTaskSet' && !e.ok).length;
      if (attempts !== 3 * 2) ctx.violations.push(`expected 3 rollback attempts × 2 SDK attempts of DeleteTaskSet, saw ${attempts}`);
      h.ledger.clearFor(service);
      const again = await h.command(id, 'abort', { by: 'ops', reason: 'cause fixed' });
      if (again.status !== 200) ctx.violations.push(`second abort answered ${again.status}`);
      return id;
    },
  },
  {
    name: 'rollback: UpdateTaskSet fails persistently → FAILED; fixed; abort again',
    injected: 'abort at bake; UpdateTaskSet ServerException ×∞, then cleared',
    group: 'ecs',
    expect: 'ROLLED_BACK',
    reason: /retrying a failed rollback/,
    async run(ctx) {
      const { h, service } = ctx;
      const { id } = await abortAtBake(ctx, () => h.fail(service, 'UpdateTaskSet', { ...SERVER, times: Infinity }));
      const failed = await h.untilStatus(id, 'FAILED');
      ctx.path.push('FAILED');
      ctx.note(`at FAILED: ${describeEcs(h.ecsView(service), labelsOf(failed))}`);
      h.ledger.clearFor(service);
      await h.command(id, 'abort', { by: 'ops', reason: 'cause fixed' });
      return id;
    },
  },
  {
    name: 'rollback: DeleteTaskSet fails persistently → stays FAILED',
    injected: 'abort at bake; DeleteTaskSet ServerException ×∞',
    group: 'ecs',
    expect: 'FAILED',
    reason: /then the rollback failed/,
    async run(ctx) {
      const { h, service } = ctx;
      const { id } = await abortAtBake(ctx, () => h.fail(service, 'DeleteTaskSet', { ...SERVER, times: Infinity }));
      const failed = await h.untilStatus(id, 'FAILED');
      // A push while FAILED must wait: the lock stays with the FAILED rollout until a human looks.
      const next = await h.push(service);
      const queued = next.id ? await h.get(next.id) : null;
      if (queued && queued.status !== 'PENDING') ctx.violations.push(`a push while FAILED started: ${queued.status}`);
      ctx.path.push(`next push ${queued?.status ?? 'ignored'}`);
      const view = h.ecsView(service)!;
      const stable = view.taskSets.find((t) => t.id === failed.ecs.stableTaskSetId);
      if (stable?.status !== 'PRIMARY' || stable.scale !== 100) ctx.violations.push(`stable is not PRIMARY at 100% while FAILED: ${describeEcs(view)}`);
      ctx.note(`stays FAILED: ${describeEcs(view, labelsOf(failed))} (the canary could not be deleted)`);
      return id;
    },
  },

  // ---- tasks that do not start ----
  {
    name: 'canary tasks fail to launch (first weight)',
    steadyTimeout: STEADY_TIMEOUT,
    injected: 'failLaunches(canary image) before the push',
    group: 'ecs',
    expect: 'ROLLED_BACK',
    reason: /canary did not reach steady state at 25% within 3s/,
    async run({ h, service }) {
      const digest = freshDigest();
      h.stack.ecs.faults.failLaunches({ image: hexOf(digest) });
      return (await h.push(service, { digest })).id!;
    },
  },
  {
    name: 'canary never steady at a later weight',
    steadyTimeout: STEADY_TIMEOUT,
    injected: 'failLaunches(canary image) at the bake (1 of 4 tasks ran)',
    group: 'ecs',
    expect: 'ROLLED_BACK',
    reason: /canary did not reach steady state at 50% within 3s/,
    async run({ h, service }) {
      const { id, digest } = await h.start(service);
      await untilBake(h, id);
      h.stack.ecs.faults.failLaunches({ image: hexOf(digest) });
      return id;
    },
  },
  {
    name: 'no task of the service starts any more',
    steadyTimeout: STEADY_TIMEOUT,
    injected: 'failLaunches(service) at the bake',
    group: 'ecs',
    // The stable set cannot get back to full size, so the canary is kept rather than let capacity dip:
    // the rollback fails after the steady timeout and a human decides.
    expect: 'FAILED',
    reason: /did not reach steady state at 50%.*then the rollback failed: waited more than 3s for the stable task set .* to be steady at 100%/,
    async run(ctx) {
      const { h, service } = ctx;
      const { id } = await h.start(service);
      await untilBake(h, id);
      h.stack.ecs.faults.failLaunches({ service });
      await h.untilTerminal(id);
      const stable = h.ecsView(service)!.taskSets[0];
      ctx.note(`stable back at ${stable?.scale}% PRIMARY with ${stable?.runningCount}/${stable?.computedDesiredCount} tasks running (launches still blocked)`);
      return id;
    },
  },

  // ---- process crash and restart (same data directory) at each step ----
  ...CRASH_POINTS.map(
    ([when, until]): Case => ({
      name: `crash + restart ${when}`,
      injected: `stack.stop(), start again on the same dataDir, ${when}`,
      steps: STEPS_APPROVAL,
      persistent: true,
      expect: 'SUCCEEDED',
      async run(ctx) {
        const { h, service } = ctx;
        const digest = freshDigest();
        if (when.startsWith('during the first')) h.stack.ecs.faults.failLaunches({ image: hexOf(digest) });
        const id = (await h.push(service, { digest })).id!;
        await until(h, id, digest);
        const resumed = await h.restart();
        if (!resumed.includes(id)) ctx.violations.push(`restart did not resume ${id} (resumed ${JSON.stringify(resumed)})`);
        const r = await h.until(id, 'to be PAUSED or done', (x) => ['PAUSED', 'SUCCEEDED', 'ROLLED_BACK', 'FAILED'].includes(x.status));
        if (r.status === 'PAUSED') await h.command(id, 'approve', { by: 'ann' });
        const done = await h.untilTerminal(id);
        const types = done.events.map((e: any) => e.type);
        if (JSON.stringify(types) !== JSON.stringify(APPROVED_ROLLOUT_EVENTS)) ctx.violations.push(`events differ from an uninterrupted run: ${types.join(',')}`);
        const creates = h.ledger.forService(service).filter((e) => e.operation === 'CreateTaskSet').length;
        if (creates !== 1) ctx.violations.push(`CreateTaskSet called ${creates} times across the restart`);
        return id;
      },
    }),
  ),
  {
    name: 'crash + restart during a rollback',
    injected: 'abort at bake, DeleteTaskSet 5xx ×∞ (retries backing off); restart mid-rollback',
    persistent: true,
    harness: { rollbackBackoffMs: 400, staleRollbackSeconds: 1 },
    expect: 'ROLLED_BACK',
    reason: /^aborted by ops/,
    async run(ctx) {
      const { h, service } = ctx;
      const { id } = await h.start(service);
      await untilBake(h, id);
      h.fail(service, 'DeleteTaskSet', { ...SERVER, times: Infinity });
      const aborting = h.command(id, 'abort', { by: 'ops', reason: 'crash test' }).catch(() => null);
      await h.untilStatus(id, 'ROLLING_BACK');
      await waitForFailedDeletes(h, service, 2);
      // The first attempt failed and the orchestrator backs off: crash now. The fault lived in that process.
      h.ledger.clearFor(service);
      const restarting = h.restart();
      await aborting;
      const resumed = await restarting;
      ctx.path.push(`restart resumed ${resumed.includes(id) ? 'it' : 'nothing'}`);
      const r = await h.untilTerminal(id);
      // Re-driven by the restarted workflow once staleRollbackSeconds passed; or FAILED by the old process's last attempt.
      if (r.status === 'FAILED') {
        ctx.path.push('FAILED (the old process gave up before it stopped)');
        await h.command(id, 'abort', { by: 'ops', reason: 'after restart' });
      }
      return id;
    },
  },
  {
    name: 'crash in the steady wait, down longer than steadyTimeout (was BUG-4)',
    injected: 'crash while the 25% weight is not steady yet; restarted after steadyTimeout; canary steady at once',
    // 6 s, so that the first process surely stops before its own timeout, however loaded the machine.
    steadyTimeout: 6,
    persistent: true,
    // The canary is steady at the first look after the restart: rolling it back for the time the process was down is wrong.
    expect: 'SUCCEEDED',
    async run(ctx) {
      const { h } = ctx;
      const digest = freshDigest();
      h.stack.ecs.faults.failLaunches({ image: hexOf(digest) });
      const id = (await h.push(ctx.service, { digest })).id!;
      const waiting = await h.until(id, 'to wait for steady at 25%', (r) => r.canaryWeight === 25 && r.wait?.for === 'steady' && r.ecs?.canaryTaskSetId);
      // Down for 6.5 s by the orchestrator's clock, moved forward while it is down (no real wait).
      await h.restart(async () => h.advanceClockTo(Date.parse(waiting.wait.since) + 6_500));
      const r = await h.untilTerminal(id);
      if (r.status === 'ROLLED_BACK') ctx.note(`rolled back: "${r.reason}", although ECS reported the canary steady at the first look after the restart`);
      return id;
    },
  },

  // ---- duplicate and out-of-order events ----
  {
    name: 'alarm after success',
    injected: 'PUT /local/alarms ALARM after SUCCEEDED',
    group: 'events',
    expect: 'SUCCEEDED',
    async run(ctx) {
      const { h, service } = ctx;
      const { id } = await h.start(service);
      const done = await h.untilTerminal(id);
      const res = await h.alarm(`${service}-5xx`, 'ALARM');
      if (JSON.stringify(res.body?.rolledBack) !== '[]') ctx.violations.push(`alarm answered rolledBack ${JSON.stringify(res.body?.rolledBack)}`);
      await h.alarm(`${service}-5xx`, 'OK');
      if ((await h.get(id)).version !== done.version) ctx.violations.push('the alarm changed the SUCCEEDED record');
      return id;
    },
  },
  {
    name: 'approve twice (same person; then two at once)',
    injected: 'approve ann ×2; at the 2nd pause ann ‖ bob at once',
    steps: [{ setWeight: 25 }, { pause: {} }, { setWeight: 50 }, { pause: {} }, { setWeight: 100 }],
    group: 'events',
    expect: 'SUCCEEDED',
    async run(ctx) {
      const { h, service } = ctx;
      const { id } = await h.start(service);
      await h.untilStatus(id, 'PAUSED');
      const first = await h.command(id, 'approve', { by: 'ann' });
      const second = await h.command(id, 'approve', { by: 'ann' });
      if (first.status !== 200) ctx.violations.push(`first approve ${first.status}`);
      if (second.status !== 409) ctx.violations.push(`second approve answered ${second.status}, expected 409`);
      await h.until(id, 'to pause again', (r) => r.status === 'PAUSED' && r.currentStep === 3);
      const both = await Promise.all([h.command(id, 'approve', { by: 'ann' }), h.command(id, 'approve', { by: 'bob' })]);
      const codes = both.map((b) => b.status).sort();
      if (JSON.stringify(codes) !== '[200,409]') ctx.violations.push(`concurrent approvals answered ${codes}, expected one 200 and one 409`);
      const done = await h.untilTerminal(id);
      if (done.approvals.length !== 2) ctx.violations.push(`${done.approvals.length} approvals recorded, expected 2`);
      if (done.events.filter((e: any) => e.type === 'APPROVED').length !== 2) ctx.violations.push('APPROVED events ≠ 2');
      return id;
    },
  },
  {
    name: 'approval quorum 2: same approver twice counts once',
    injected: 'approve ann, ann again, then bob ‖ carol at once',
    steps: [{ setWeight: 25 }, { pause: { approvals: 2, name: 'qa' } }, { setWeight: 100 }],
    group: 'events',
    expect: 'SUCCEEDED',
    async run(ctx) {
      const { h, service } = ctx;
      const { id } = await h.start(service);
      await h.untilStatus(id, 'PAUSED');
      const a1 = await h.command(id, 'approve', { by: 'ann' });
      const a2 = await h.command(id, 'approve', { by: 'ann' });
      if (a1.status !== 200 || a1.body.status !== 'PAUSED') ctx.violations.push(`first approval: ${a1.status} ${a1.body.status}`);
      if (a2.status !== 409) ctx.violations.push(`repeated approval answered ${a2.status}, expected 409`);
      // Two more at once: the first completes the quorum; the other is 409, never a second advance.
      const more = await Promise.all([h.command(id, 'approve', { by: 'bob' }), h.command(id, 'approve', { by: 'carol' })]);
      if (JSON.stringify(more.map((m) => m.status).sort()) !== '[200,409]') ctx.violations.push(`bob ‖ carol answered ${more.map((m) => m.status)}`);
      const done = await h.untilTerminal(id);
      const approvers = done.approvals.map((a: any) => a.by);
      if (new Set(approvers).size !== approvers.length || approvers.length !== 2) ctx.violations.push(`approvals recorded: ${approvers} (quorum 2)`);
      return id;
    },
  },
  {
    name: 'late .sig push after success',
    injected: 'push of sha256-<digest>.sig after SUCCEEDED',
    group: 'events',
    expect: 'SUCCEEDED',
    async run(ctx) {
      const { h, service } = ctx;
      const { id, digest } = await h.start(service);
      const done = await h.untilTerminal(id);
      const sig = await h.push(service, { tag: `${digest.replace(':', '-')}.sig`, digest: freshDigest() });
      if (sig.body.accepted.length !== 0) ctx.violations.push(`the .sig push was accepted: ${JSON.stringify(sig.body.accepted)}`);
      if (!/not waiting for one/.test(sig.body.ignored?.[0]?.reason ?? '')) ctx.violations.push(`ignored: ${JSON.stringify(sig.body.ignored)}`);
      if ((await h.get(id)).version !== done.version) ctx.violations.push('the .sig push changed the record');
      return id;
    },
  },
  {
    name: 'same notification 5 times concurrently',
    injected: '5 identical webhook deliveries at once, then 3 of the same push under other event ids',
    group: 'events',
    expect: 'SUCCEEDED',
    async run(ctx) {
      const { h, service } = ctx;
      const digest = freshDigest();
      const envelope = pushEnvelope(`team/${service}`, 'v5', digest, undefined, 'same-event-id');
      // The sender identifies its notification (the event id): the five are one delivery, answered five times.
      const answers = await Promise.all([1, 2, 3, 4, 5].map(() => deliverAndWait(h.hook, h.api, '/webhooks/registry', envelope, { 'content-type': 'application/json' })));
      const deliveryIds = new Set(answers.map((a) => a.answer?.deliveryId));
      if (deliveryIds.size !== 1) ctx.violations.push(`${deliveryIds.size} deliveries for one notification, expected 1`);
      const rolloutIds = new Set(answers.flatMap((a) => (a.body.accepted ?? []).map((x: any) => x.rolloutId)));
      if (rolloutIds.size !== 1) ctx.violations.push(`${rolloutIds.size} rollouts named, expected 1`);
      // The same push under other event ids (another sender, a re-sent notification): new deliveries, at
      // once, each refused by the (service, digest) claim.
      const others = await Promise.all([1, 2, 3].map((n) => deliverAndWait(h.hook, h.api, '/webhooks/registry', pushEnvelope(`team/${service}`, 'v5', digest, undefined, `other-event-${n}`), { 'content-type': 'application/json' })));
      const accepted = others.flatMap((a) => a.body.accepted ?? []);
      const ignored = others.flatMap((a) => a.body.ignored ?? []);
      if (accepted.length !== 0) ctx.violations.push(`${accepted.length} of the other deliveries accepted, expected none`);
      if (ignored.length !== 3 || !ignored.every((i: any) => /duplicate delivery/.test(i.reason))) ctx.violations.push(`ignored: ${JSON.stringify(ignored.map((i: any) => i.reason))}`);
      const page = await h.api('GET', `/rollouts?service=${service}&limit=100`);
      if (page.body.items.filter((r: any) => r.image.digest === digest).length !== 1) ctx.violations.push('more than one rollout for the digest');
      return [...rolloutIds][0]!;
    },
  },
  {
    name: 'redelivery of a rolled-back digest',
    injected: 'abort at once, then the same push again (new event id)',
    group: 'events',
    expect: 'ROLLED_BACK',
    reason: /^aborted by ops/,
    async run(ctx) {
      const { h, service } = ctx;
      const { id, digest } = await h.start(service);
      await h.command(id, 'abort', { by: 'ops', reason: 'bad build' });
      await h.untilStatus(id, 'ROLLED_BACK');
      const again = await h.push(service, { digest });
      if (again.body.accepted.length !== 0) ctx.violations.push('a redelivery deployed a rolled-back digest again');
      return id;
    },
  },
  {
    name: 'commands after the end',
    injected: 'reject, approve, promote, abort after SUCCEEDED',
    group: 'events',
    expect: 'SUCCEEDED',
    async run(ctx) {
      const { h, service } = ctx;
      const { id } = await h.start(service);
      const done = await h.untilTerminal(id);
      for (const verb of ['reject', 'approve', 'promote', 'abort'] as const) {
        const res = await h.command(id, verb, { by: 'late' });
        if (res.status !== 409) ctx.violations.push(`${verb} after success answered ${res.status}`);
      }
      if ((await h.get(id)).version !== done.version) ctx.violations.push('a refused command changed the record');
      return id;
    },
  },
  {
    name: 'alarm fired twice at once',
    injected: '2 × PUT ALARM concurrently at the bake',
    group: 'events',
    expect: 'ROLLED_BACK',
    reason: /^alarm f\d+-5xx fired/,
    async run(ctx) {
      const { h, service } = ctx;
      const { id } = await h.start(service);
      await untilBake(h, id);
      await Promise.all([h.alarm(`${service}-5xx`, 'ALARM', 'one'), h.alarm(`${service}-5xx`, 'ALARM', 'two')]);
      await h.alarm(`${service}-5xx`, 'OK');
      return id;
    },
  },
  {
    name: 'abort twice at once',
    injected: '2 × abort concurrently at the bake',
    group: 'events',
    expect: 'ROLLED_BACK',
    reason: /^aborted by (ann|bob)/,
    async run(ctx) {
      const { h, service } = ctx;
      const { id } = await h.start(service);
      await untilBake(h, id);
      const answers = await Promise.all([h.command(id, 'abort', { by: 'ann' }), h.command(id, 'abort', { by: 'bob' })]);
      ctx.path.push(`aborts ${answers.map((a) => a.status).join('/')}`);
      if (!answers.some((a) => a.status === 200) || answers.some((a) => a.status !== 200 && a.status !== 409)) ctx.violations.push(`aborts answered ${answers.map((a) => a.status)}`);
      return id;
    },
  },
  ...(['abort', 'promote', 'approve'] as const).map(
    (verb): Case => ({
      name: `${verb} during rollback`,
      injected: `alarm at the bake, rollback slowed by DeleteTaskSet 5xx ×4; ${verb} while ROLLING_BACK`,
      group: 'slowRollback',
      expect: 'ROLLED_BACK',
      reason: /^alarm f\d+-5xx fired/,
      async run(ctx) {
        const { h, service } = ctx;
        const { id } = await h.start(service);
        await untilBake(h, id);
        // Rollback attempts 1 and 2 fail (2 SDK attempts each), backing off 300 + 600 ms; the third works.
        h.fail(service, 'DeleteTaskSet', { ...SERVER, times: 4 });
        const alarm = h.alarm(`${service}-5xx`, 'ALARM', 'p99 too high');
        const during = await h.untilStatus(id, 'ROLLING_BACK');
        const res = await h.command(id, verb, { by: 'late' });
        if (res.status !== 409) ctx.violations.push(`${verb} during rollback answered ${res.status}, expected 409`);
        const still = await h.get(id);
        // The rollback goes on meanwhile and records its own progress (a failed attempt, a wait for the
        // stable set): any other change, or a change with no event of the rollback's, is the command's.
        const added = still.events.slice(during.events.length);
        const notTheRollbacks = added.filter((e: { type: string; message: string }) => !ROLLBACKS_OWN_EVENTS.has(e.type) || e.message.includes('late'));
        if (still.version !== during.version && (added.length === 0 || notTheRollbacks.length > 0)) {
          ctx.violations.push(`${verb} changed the rolling-back record: ${JSON.stringify({ from: during.version, to: still.version, events: notTheRollbacks })}`);
        }
        await alarm;
        await h.alarm(`${service}-5xx`, 'OK');
        return id;
      },
    }),
  ),

  {
    name: 'queue: a push while the lock is handed over waits behind the older queued rollout (was BUG-5)',
    injected: 'onNewImage queue; #1 queued behind #0; #0 ends, its hand-over to #1 is slow (store.queued held); #2 pushed then',
    onNewImage: 'queue',
    // Right: #2 waits behind #1, so they deploy #0, #1, #2 and the service ends on #2, the last pushed.
    expect: 'SUCCEEDED',
    async run(ctx) {
      const { h, service } = ctx;
      const first = await h.start(service);
      const second = await h.start(service);
      if ((await h.get(second.id)).status !== 'PENDING') ctx.violations.push('#1 was not queued behind #0');
      // Hold the hand-over: the first read of this service's queue from now on is startNextQueued's, when #0 lets go.
      const store = h.store() as RolloutStore & { queued: RolloutStore['queued'] };
      const queued = store.queued.bind(store);
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      let holding = true;
      store.queued = async (name) => {
        // Only the first such read (startNextQueued's hand-over when #0 lets go) is held.
        if (holding && name === service) {
          holding = false;
          await held;
        }
        return queued(name);
      };
      try {
        await h.untilStatus(first.id, 'SUCCEEDED');
        await h.untilFree(service);
        const third = await h.start(service);
        const status = (await h.get(third.id)).status;
        ctx.path.push(`#2 pushed while the lock was free: ${status}`);
        if (status !== 'PENDING') ctx.violations.push(`#2 (${status}) took the lock ahead of #1, queued since before`);
        holding = false;
        release();
        const [r1, r2] = [await h.untilTerminal(second.id), await h.untilTerminal(third.id)];
        const startOf = (r: any) => Date.parse(r.events.find((e: any) => e.type === 'STARTED')?.at ?? '0');
        if (startOf(r2) < startOf(r1)) ctx.violations.push(`#2 deployed before #1: ECS ends on #1's image, older than the last pushed`);
        return third.id;
      } finally {
        holding = false;
        release();
      }
    },
  },

  // ---- store conflicts: two writers ----
  {
    name: 'approve + abort + alarm at the same instant',
    injected: '3 concurrent HTTP calls on a PAUSED rollout',
    steps: STEPS_APPROVAL,
    group: 'writers',
    expect: 'ROLLED_BACK',
    reason: /^(aborted by ops|alarm f\d+-5xx fired)/,
    async run(ctx) {
      const { h, service } = ctx;
      const { id } = await h.start(service);
      await h.untilStatus(id, 'PAUSED');
      const [approve, abort] = await Promise.all([h.command(id, 'approve', { by: 'ann' }), h.command(id, 'abort', { by: 'ops' }), h.alarm(`${service}-5xx`, 'ALARM')]);
      ctx.path.push(`approve ${approve.status}, abort ${abort.status}`);
      if (![200, 409].includes(approve.status) || ![200, 409].includes(abort.status)) ctx.violations.push(`answers: approve ${approve.status}, abort ${abort.status}`);
      await h.alarm(`${service}-5xx`, 'OK');
      const r = await h.untilTerminal(id);
      if (r.events.filter((e: any) => e.type === 'ROLLBACK_STARTED').length !== 1) ctx.violations.push('rollback started more than once');
      return id;
    },
  },
  {
    name: 'two orchestrators advance the same rollout (was BUG-3)',
    injected: '2nd Orchestrator (same DynamoRolloutStore + ECS endpoint) runs Advance in 2 loops',
    group: 'writers',
    expect: 'SUCCEEDED',
    async run(ctx) {
      const { h } = ctx;
      const second = secondOrchestrator(h);
      const { id } = await h.start(ctx.service);
      const deadline = Date.now() + 30_000;
      const errors: string[] = [];
      const loop = async () => {
        while (Date.now() < deadline) {
          const d = await second.advance(id).catch((e: unknown) => {
            errors.push(e instanceof Error ? e.message : String(e));
            return null;
          });
          if (d?.next === 'DONE') return;
          await sleep(10);
        }
      };
      await Promise.all([loop(), loop()]);
      if (errors.length > 0) ctx.note(`the second writer's Advance threw ${errors.length}×: ${[...new Set(errors)].slice(0, 2).join(' | ')}`);
      return id;
    },
  },
  {
    name: 'two orchestrators: approve on one, abort on the other',
    injected: 'o1.approve ‖ o2.abort at the same instant (PAUSED)',
    steps: STEPS_APPROVAL,
    group: 'writers',
    expect: 'ROLLED_BACK',
    reason: /^aborted by bob/,
    async run(ctx) {
      const { h } = ctx;
      const second = secondOrchestrator(h);
      const { id } = await h.start(ctx.service);
      await h.untilStatus(id, 'PAUSED');
      const results = await Promise.allSettled([
        h.stack.orchestrator.command(id, { type: 'Approve', by: 'ann', comment: null }),
        second.command(id, { type: 'Abort', by: 'bob', reason: null }),
      ]);
      ctx.path.push(results.map((x) => (x.status === 'fulfilled' ? x.value.status : (x.reason as Error).name)).join(' / '));
      if (results[1].status !== 'fulfilled') ctx.violations.push(`abort failed: ${(results[1] as PromiseRejectedResult).reason}`);
      return id;
    },
  },
  {
    name: 'two orchestrators: promote on one, alarm on the other',
    injected: 'o1.promote ‖ o2.alarmChanged(ALARM) at the same instant (PAUSED)',
    steps: STEPS_APPROVAL,
    group: 'writers',
    // Either order is right: the alarm first (the promote is then 409), or the promote first and the alarm
    // rolls back the not-yet-final promotion, or the alarm comes after it is final and changes nothing.
    expect: ['ROLLED_BACK', 'SUCCEEDED'],
    async run(ctx) {
      const { h, service } = ctx;
      const second = secondOrchestrator(h);
      const { id } = await h.start(service);
      await h.untilStatus(id, 'PAUSED');
      const results = await Promise.allSettled([h.stack.orchestrator.command(id, { type: 'Promote', by: 'pat' }), second.alarmChanged(`${service}-5xx`, 'ALARM', 'two writers')]);
      ctx.path.push(results.map((x) => (x.status === 'fulfilled' ? (Array.isArray(x.value) ? `alarm rolled back ${x.value.length}` : x.value.status) : (x.reason as Error).name)).join(' / '));
      return id;
    },
  },
  {
    name: 'two orchestrators ingest the same push',
    injected: 'o1.ingest ‖ o2.ingest of one push (delivery claim race)',
    group: 'writers',
    expect: 'SUCCEEDED',
    async run(ctx) {
      const { h, service } = ctx;
      const second = secondOrchestrator(h);
      const s = h.config.services[service]!;
      const push = { registry: s.registry, repository: s.repository, tag: 'v7', digest: freshDigest(), source: 'test' };
      const [a, b] = await Promise.all([h.stack.orchestrator.ingest([push]), second.ingest([push])]);
      const accepted = [...a.accepted, ...b.accepted];
      if (accepted.length !== 1) ctx.violations.push(`${accepted.length} rollouts accepted for one push`);
      return accepted[0]!.rolloutId;
    },
  },
];

async function waitForFailedDeletes(h: Harness, service: string, n: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (h.ledger.forService(service).filter((e) => e.operation === 'DeleteTaskSet' && !e.ok).length < n) {
    if (Date.now() > deadline) throw new Error(`fewer than ${n} failed DeleteTaskSet calls`);
    await sleep(10);
  }
}

// ---- running the table ---------------------------------------------------------------------------

const serviceName = (c: Case) => `f${CASES.indexOf(c)}`;
const configOf = (c: Case) => svc(serviceName(c), c.steps ?? STEPS, c.steadyTimeout ?? RELAXED_STEADY_TIMEOUT, c.onNewImage);

const shared = new Map<string, Promise<Harness>>();
function harnessFor(c: Case): Promise<Harness> {
  if (!c.group) return Harness.start({ config: appConfig([configOf(c)]), persistent: c.persistent ?? false, ...c.harness });
  let h = shared.get(c.group);
  if (!h) {
    h = Harness.start({ config: appConfig(CASES.filter((x) => x.group === c.group).map(configOf)), ...GROUPS[c.group] });
    shared.set(c.group, h);
  }
  return h;
}

interface Outcome {
  readonly row: Row;
  readonly problems: string[];
  readonly id: string | null;
}

async function runCase(c: Case): Promise<Outcome> {
  const started = Date.now();
  const service = serviceName(c);
  const violations: string[] = [];
  const path: string[] = [];
  let h: Harness | null = null;
  let id: string | null = null;
  let verdict: ReturnType<typeof checkRollout> | null = null;
  let error: unknown = null;
  try {
    h = await harnessFor(c);
    const ctx: Ctx = { h, service, violations, path, note: (text) => notes.push(`${c.name}: ${text}`) };
    id = await c.run(ctx);
    const r = await h.untilTerminal(id);
    if (r.status !== 'FAILED') await h.untilFree(service);
    const expected = typeof c.expect === 'string' ? [c.expect] : c.expect;
    const actual = expected.includes(r.status) ? r.status : expected[0]!;
    verdict = checkRollout(h, await h.get(id), { expect: actual, ...(c.reason ? { reason: c.reason } : {}) });
  } catch (e) {
    error = e;
  } finally {
    if (h && !c.group) await h.close();
  }
  const problems = [...(verdict?.violations ?? []), ...violations, ...(error ? [`error: ${error instanceof Error ? error.message : String(error)}`] : [])];
  const row: Row = {
    case: c.name,
    injected: c.injected,
    terminal: [...path, verdict?.terminal ?? '?'].join(' → '),
    reason: verdict?.reason || (verdict?.terminal === 'SUCCEEDED' ? '-' : ''),
    ecsAfter: verdict?.ecsAfter ?? '?',
    ms: Date.now() - started,
    ok: problems.length === 0 ? 'ok' : `NOT OK: ${problems[0]}`,
  };
  return { row, problems, id };
}

const notes: string[] = [];
const outcomes = new Map<Case, Promise<Outcome>>();
let suiteStarted = 0;

/** Runs `task`s at most `n` at a time, in the order asked. */
function limiter(n: number) {
  let running = 0;
  const queue: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= n) await new Promise<void>((resolve) => queue.push(resolve));
    running += 1;
    try {
      return await task();
    } finally {
      running -= 1;
      queue.shift()?.();
    }
  };
}

beforeAll(() => {
  suiteStarted = Date.now();
  // Started here, awaited by each case's `it`: most of a rollout is waiting (bakes, steady polls), so they overlap well.
  const limit = limiter(PARALLEL);
  for (const c of CASES) outcomes.set(c, limit(() => runCase(c)));
});

afterAll(async () => {
  const done = await Promise.all(CASES.map((c) => outcomes.get(c)!));
  await Promise.all([...shared.values()].map(async (p) => (await p).close()));
  const rows = done.map((o) => o.row);
  const bad = rows.filter((r) => r.ok !== 'ok').length;
  console.log(
    `\nfault injection: ${rows.length} cases, ${rows.length - bad} ok, ${bad} not ok, ${((Date.now() - suiteStarted) / 1000).toFixed(1)} s\n` +
      `${formatTable(rows)}\n${notes.map((n) => `  * ${n}`).join('\n')}\n`,
  );
}, 120_000);

for (const c of CASES) {
  it(c.name, async () => {
    const { problems, id } = await outcomes.get(c)!;
    expect(problems, `case "${c.name}" (rollout ${id})`).toEqual([]);
  }, 120_000);
}
