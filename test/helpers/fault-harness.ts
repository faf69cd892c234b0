/**
 * Fault-injection harness for local mode: a local stack with fast timings, an HTTP client for it,
 * a restart that keeps the data directory (a process crash and restart), and an ECS ledger that
 * records what every ECS call actually *did* to the emulated cluster (created, scaled, made primary,
 * drained), whether or not the caller saw the answer. The ledger survives restarts, so a rollout's
 * side effects can be counted across them.
 *
 * The ledger reads the emulator's private state around each call: `invoke` is synchronous, so the
 * difference before/after one call is exactly that call's effect (an `afterApplying` fault included).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../local/local-stack';
import type { EcsEmulator, FailureSpec } from '../../local/ecs-emulator';
import { silentLogger } from '../../shared/observability/logger';
import type { AppConfig } from '../../shared/config/types';
import type { RolloutStore } from '../../shared/ports';
import type { TagResolver } from '../../shared/webhooks/resolve-tag';
import { type ApiClient, apiClient, deliverAndWait, waitFor } from './http';
import { pushEnvelope } from './local-config';
import { ScriptedVerifier } from './scripted-verifier';

export const TERMINAL = ['SUCCEEDED', 'ROLLED_BACK', 'FAILED', 'REJECTED'] as const;

/** What one ECS call changed, read from the emulator's state around it. */
export interface LedgerEntry {
  readonly operation: string;
  readonly service: string | null;
  readonly input: Record<string, unknown>;
  /** True when the caller got a success answer. */
  readonly ok: boolean;
  readonly error: string | null;
  readonly created: readonly { readonly id: string; readonly externalId: string | null; readonly scale: number }[];
  readonly drained: readonly string[];
  readonly madePrimary: readonly string[];
  readonly scaled: readonly { readonly id: string; readonly from: number; readonly to: number }[];
  /** Which stack incarnation (0 = first start, 1 = after the first restart, ...). */
  readonly life: number;
}

interface SetState {
  readonly id: string;
  readonly status: string;
  readonly scale: number;
  readonly externalId: string | null;
}

type EmulatorInternals = { store: { data: { taskSets: Record<string, { id: string; status: string; scale: number; externalId?: string }> } } };

function stateOf(emulator: EcsEmulator): Map<string, SetState> {
  const sets = (emulator as unknown as EmulatorInternals).store.data.taskSets;
  return new Map(Object.values(sets).map((s) => [s.id, { id: s.id, status: s.status, scale: s.scale, externalId: s.externalId ?? null }]));
}

/** A fault for one service's calls (the emulator's own faults match by operation only). */
interface ScopedFault {
  readonly service: string;
  readonly operation: string;
  readonly spec: FailureSpec;
  remaining: number;
}

export class EcsLedger {
  readonly entries: LedgerEntry[] = [];
  private life = -1;
  private scoped: ScopedFault[] = [];

  /**
   * Makes the next `times` calls of `operation` (or `*`) *for this service* fail. At the moment such a
   * call arrives, the fault is handed to the emulator's own `faults.fail(operation, {times: 1})`, which
   * then answers that very call (invoke is synchronous: no other call can take it).
   */
  failFor(service: string, operation: string, spec: FailureSpec): void {
    this.scoped.push({ service, operation, spec, remaining: spec.times ?? 1 });
  }

  clearFor(service: string): void {
    this.scoped = this.scoped.filter((f) => f.service !== service);
  }

  /** Records every call the emulator answers from now on (call once per stack incarnation). */
  attach(emulator: EcsEmulator): void {
    this.life += 1;
    const life = this.life;
    const original = emulator.invoke.bind(emulator);
    const entries = this.entries;
    emulator.invoke = (operation: string, input: unknown): unknown => {
      const service = (input as { service?: unknown } | null)?.service;
      const scoped = this.scoped.find((f) => f.remaining > 0 && f.service === service && (f.operation === operation || f.operation === '*'));
      if (scoped) {
        scoped.remaining -= 1;
        emulator.faults.fail(operation, { ...scoped.spec, times: 1 });
      }
      const before = stateOf(emulator);
      let ok = false;
      let error: string | null = null;
      try {
        const out = original(operation, input);
        ok = true;
        return out;
      } catch (e) {
        error = (e as { type?: string }).type ?? String(e);
        throw e;
      } finally {
        if (!operation.startsWith('Describe')) {
          const after = stateOf(emulator);
          const created = [...after.values()].filter((s) => !before.has(s.id)).map((s) => ({ id: s.id, externalId: s.externalId, scale: s.scale }));
          const drained = [...before.values()].filter((s) => s.status !== 'DRAINING' && (after.get(s.id)?.status ?? 'DRAINING') === 'DRAINING').map((s) => s.id);
          const madePrimary = [...after.values()].filter((s) => s.status === 'PRIMARY' && before.get(s.id)?.status !== 'PRIMARY' && before.has(s.id)).map((s) => s.id);
          const scaled = [...after.values()]
            .filter((s) => before.has(s.id) && before.get(s.id)!.scale !== s.scale && s.status !== 'DRAINING')
            .map((s) => ({ id: s.id, from: before.get(s.id)!.scale, to: s.scale }));
          const body = (input ?? {}) as Record<string, unknown>;
          entries.push({
            operation,
            service: typeof body.service === 'string' ? body.service : null,
            input: body,
            ok,
            error,
            created,
            drained,
            madePrimary,
            scaled,
            life,
          });
        }
      }
    };
  }

  forService(service: string): LedgerEntry[] {
    return this.entries.filter((e) => e.service === service);
  }
}

export interface HarnessOptions {
  readonly config: AppConfig;
  /** Keep state on disk so that `restart()` is a crash and restart. */
  readonly persistent?: boolean;
  readonly taskStartMs?: number;
  /** Time for one task to stop: how long a deleted task set stays DRAINING. Default 0. */
  readonly taskStopMs?: number;
  readonly steadyPollMs?: number;
  readonly rollbackBackoffMs?: number;
  readonly staleRollbackSeconds?: number;
  /**
   * The registry as the orchestrator sees it: confirms tags and, before a canary, the stable image by
   * digest. Default: every digest asked for is there (no registry runs behind these stacks).
   */
  readonly tagResolver?: TagResolver;
}

/** A registry that serves every digest asked for, and no tag. */
const everyDigest: TagResolver = { resolve: async (_registry, _config, _repository, reference) => (reference.startsWith('sha256:') ? reference : null) };

let digestCounter = 0x1000;
/** A fresh digest per call, unique within the process. */
export const freshDigest = (): string => `sha256:${(digestCounter++).toString(16).padStart(64, 'f')}`;

export class Harness {
  stack!: LocalStack;
  api!: ApiClient;
  hook!: ApiClient;
  readonly ledger = new EcsLedger();
  readonly verifier = new ScriptedVerifier();
  readonly dataDir: string | null;
  readonly restarts: number[] = [];
  private readonly options: LocalStackOptions;
  /** Pending `until`s: they look again (and subscribe to the new orchestrator) after a restart. */
  private readonly waiters = new Set<() => Promise<void>>();
  /** How far this stack's clock is ahead of the process's (see `advanceClockTo`). */
  private clockAheadMs = 0;

  private constructor(opts: HarnessOptions) {
    this.dataDir = opts.persistent ? mkdtempSync(join(tmpdir(), 'rollout-fault-')) : null;
    this.options = {
      config: opts.config,
      port: 0,
      taskStartMs: opts.taskStartMs ?? 15,
      ...(opts.taskStopMs !== undefined ? { taskStopMs: opts.taskStopMs } : {}),
      steadyPollMs: opts.steadyPollMs ?? 15,
      verifier: this.verifier,
      tagResolver: opts.tagResolver ?? everyDigest,
      clock: () => this.now(),
      logger: silentLogger,
      webhookToken: 'hook-token',
      apiToken: 'api-token',
      orchestrator: { rollbackBackoffMs: opts.rollbackBackoffMs ?? 20, signatureRecheckMs: [5, 10], ...(opts.staleRollbackSeconds !== undefined ? { staleRollbackSeconds: opts.staleRollbackSeconds } : {}) },
      ...(this.dataDir ? { dataDir: this.dataDir } : {}),
    };
  }

  /** The time this stack's orchestrator sees. */
  now(): Date {
    return new Date(Date.now() + this.clockAheadMs);
  }

  /** Moves this stack's clock forward to `at` (epoch ms), instead of waiting for it: time the process is down, say. */
  advanceClockTo(at: number): void {
    this.clockAheadMs += Math.max(0, at - this.now().getTime());
  }

  static async start(opts: HarnessOptions): Promise<Harness> {
    const h = new Harness(opts);
    await h.boot();
    return h;
  }

  private async boot(): Promise<void> {
    this.stack = await startLocalStack(this.options);
    this.ledger.attach(this.stack.ecs);
    this.api = apiClient(this.stack.url, this.stack.apiToken);
    this.hook = apiClient(this.stack.url, this.stack.webhookToken);
  }

  /** Stops the whole process-in-a-process and starts it again on the same data directory. */
  async restart(whileDown?: () => Promise<unknown>): Promise<readonly string[]> {
    if (!this.dataDir) throw new Error('restart needs a persistent harness');
    await this.stack.stop();
    this.restarts.push(Date.now());
    if (whileDown) await whileDown();
    await this.boot();
    for (const look of this.waiters) void look();
    return this.stack.resumed;
  }

  async close(): Promise<void> {
    await this.stack?.stop().catch(() => undefined);
    if (this.dataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }

  get config(): AppConfig {
    return this.options.config;
  }

  /** Pushes an image tag of the service's repository; answers the delivery's outcome once its work is done. */
  async push(service: string, opts: { tag?: string | null; digest?: string; eventId?: string } = {}): Promise<{ id: string | null; digest: string; body: any; status: number }> {
    const digest = opts.digest ?? freshDigest();
    const svc = this.config.services[service]!;
    const res = await deliverAndWait(this.hook, this.api, '/webhooks/registry', pushEnvelope(svc.repository, opts.tag === undefined ? 'v1' : opts.tag, digest, undefined, opts.eventId), { 'content-type': 'application/json' });
    const id = res.body?.accepted?.[0]?.rolloutId ?? null;
    return { id, digest, body: res.body, status: res.status };
  }

  /** A push that must start a rollout. */
  async start(service: string): Promise<{ id: string; digest: string }> {
    const p = await this.push(service);
    if (p.status !== 202 || !p.id) throw new Error(`push to ${service} was not accepted: ${p.status} ${JSON.stringify(p.body)}`);
    return { id: p.id, digest: p.digest };
  }

  async get(id: string): Promise<any> {
    const res = await this.api('GET', `/rollouts/${id}`);
    if (res.status !== 200) throw new Error(`GET /rollouts/${id}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /**
   * Waits until the rollout matches: told by the orchestrator after every saved change, and looking
   * again every `pollMs` (for writes by another orchestrator) and after each restart. Answers the record.
   */
  until(id: string, what: string, pred: (r: any) => boolean, timeoutMs = 30_000, pollMs = 2_000): Promise<any> {
    return new Promise((resolve, reject) => {
      let done = false;
      const subscribed = new Set<() => void>();
      const finish = (err: Error | null, r?: unknown) => {
        if (done) return;
        done = true;
        clearInterval(poll);
        clearTimeout(timer);
        this.waiters.delete(look);
        for (const unsubscribe of subscribed) unsubscribe();
        if (err) reject(err);
        else resolve(r);
      };
      let last: unknown = null;
      let watched: LocalStack | null = null;
      const look = async () => {
        if (done) return;
        const stack = this.stack;
        if (watched !== stack) {
          watched = stack;
          subscribed.add(
            stack.orchestrator.subscribe((r) => {
              if (r.id === id && pred(r)) finish(null, r);
            }),
          );
        }
        try {
          const r = await stack.orchestrator.get(id);
          last = r.status;
          if (pred(r)) finish(null, r);
        } catch {
          /* stopped mid-restart: the restart looks again */
        }
      };
      this.waiters.add(look);
      const poll = setInterval(() => void look(), pollMs);
      const timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms waiting for rollout ${id} ${what} (last seen ${String(last)})`)), timeoutMs);
      void look();
    });
  }

  untilStatus(id: string, status: string | readonly string[], timeoutMs = 30_000): Promise<any> {
    const wanted = typeof status === 'string' ? [status] : status;
    return this.until(id, `to be ${wanted.join(' or ')}`, (r) => wanted.includes(r.status), timeoutMs);
  }

  untilTerminal(id: string, timeoutMs = 30_000): Promise<any> {
    return this.untilStatus(id, TERMINAL, timeoutMs);
  }

  /** Waits until no rollout holds the service's lock. */
  untilFree(service: string, timeoutMs = 30_000): Promise<unknown> {
    return waitFor(`service ${service} to be free`, async () => (await this.store().lockHolder(service)) === null || undefined, timeoutMs, 50);
  }

  /** The stack's RolloutStore (the one its orchestrator writes through). */
  store(): RolloutStore {
    return this.stack.store;
  }

  /** Service-scoped ECS faults (see EcsLedger.failFor). */
  fail(service: string, operation: string, spec: FailureSpec): void {
    this.ledger.failFor(service, operation, spec);
  }

  command(id: string, verb: 'approve' | 'reject' | 'abort' | 'promote', body: Record<string, unknown> = { by: 'ops' }) {
    return this.api('POST', `/rollouts/${id}/${verb}`, body);
  }

  alarm(name: string, state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA', reason = 'injected') {
    return this.api('PUT', `/local/alarms/${name}`, { state, reason });
  }

  ecsView(service: string) {
    const svc = this.config.services[service]!;
    return this.stack.ecs.describe(svc.cluster, svc.service);
  }
}

/** The digest of an image reference `registry/repo@sha256:…`, else null. */
export const digestIn = (image: string | undefined): string | null => (image && image.includes('@') ? image.slice(image.indexOf('@') + 1) : null);

/** `PRIMARY 100% <digest12>` for each task set, for the table. */
export function describeEcs(view: ReturnType<EcsEmulator['describe']>, labels: Record<string, string> = {}): string {
  if (!view) return '(no service)';
  return view.taskSets
    .map((t) => {
      const digest = digestIn(Object.values(t.images)[0]);
      const label = labels[digest ?? ''] ?? (digest ? `sha256:…${digest.slice(-6)}` : (Object.values(t.images)[0] ?? '?'));
      return `${t.status} ${t.scale}% ${label}`;
    })
    .join(' + ');
}

export interface Verdict {
  readonly violations: string[];
  readonly terminal: string;
  readonly reason: string;
  readonly ecsAfter: string;
}

export interface CheckOptions {
  /** The terminal status the case must end in. */
  readonly expect: 'SUCCEEDED' | 'ROLLED_BACK' | 'FAILED' | 'REJECTED';
  readonly reason?: RegExp;
  /** The ECS check: the rollout that decides what ECS must run (default: this one). Set false to skip it (e.g. a later rollout of the service owns ECS). */
  readonly ecs?: boolean;
}

/**
 * The invariants every case must hold for one rollout: a known terminal state with a reason, a
 * complete ordered event log, ECS on exactly one PRIMARY task set at 100% running the right image,
 * and no ECS side effect done twice.
 */
export function checkRollout(h: Harness, r: any, opts: CheckOptions): Verdict {
  const violations: string[] = [];
  if (!TERMINAL.includes(r.status)) violations.push(`status ${r.status} is not terminal`);
  if (r.status !== opts.expect) violations.push(`expected ${opts.expect}, got ${r.status} (${r.reason ?? 'no reason'})`);
  if (r.status !== 'SUCCEEDED' && !(typeof r.reason === 'string' && r.reason.length > 0)) violations.push(`${r.status} without a reason`);
  if (opts.reason && !opts.reason.test(r.reason ?? '')) violations.push(`reason ${JSON.stringify(r.reason)} does not match ${opts.reason}`);

  // The event log: seq 0..n-1, no gaps, time never goes back.
  const events: any[] = r.events ?? [];
  events.forEach((e, i) => {
    if (e.seq !== i) violations.push(`event ${i} has seq ${e.seq}`);
    if (i > 0 && Date.parse(e.at) < Date.parse(events[i - 1].at)) violations.push(`event ${i} (${e.type}) at ${e.at} is before event ${i - 1} at ${events[i - 1].at}`);
  });
  const count = (type: string) => events.filter((e) => e.type === type).length;
  for (const once of ['CREATED', 'STARTED', 'CANARY_CREATED', 'SUCCEEDED', 'ROLLED_BACK', 'ROLLBACK_STARTED']) {
    // ROLLBACK_STARTED may repeat only when a FAILED rollback was retried by an abort.
    const allowed = once === 'ROLLBACK_STARTED' || once === 'ROLLED_BACK' ? 1 + count('ROLLBACK_FAILED') : 1;
    if (count(once) > allowed) violations.push(`${once} logged ${count(once)} times`);
  }
  if (r.status === 'SUCCEEDED' && count('SUCCEEDED') !== 1) violations.push('SUCCEEDED without its event');
  if (r.status === 'ROLLED_BACK' && r.canaryWeight !== 0) violations.push(`ROLLED_BACK with canaryWeight ${r.canaryWeight}`);
  // No step done twice: each step completes at most once, and a successful rollout left none behind.
  const stepEvents = events.filter((e) => e.type === 'STEP_COMPLETED').map((e) => /step (\d+)\//.exec(e.message)?.[1]);
  const dupSteps = stepEvents.filter((s, i) => stepEvents.indexOf(s) !== i);
  if (dupSteps.length > 0) violations.push(`steps completed twice: ${dupSteps.join(', ')}`);
  if (r.status === 'SUCCEEDED') {
    const open = (r.steps as any[]).filter((s) => s.status !== 'COMPLETED' && s.status !== 'SKIPPED');
    if (open.length > 0) violations.push(`SUCCEEDED with ${open.length} steps not done`);
  }

  // ECS side effects, from what the emulator actually did (across restarts).
  const mine = h.ledger.forService(r.service);
  const createdForMe = mine.flatMap((e) => e.created).filter((c) => c.externalId === r.id);
  if (createdForMe.length > 1) violations.push(`CreateTaskSet applied ${createdForMe.length} times for ${r.id} (${createdForMe.map((c) => c.id).join(', ')})`);
  const createOk = mine.filter((e) => e.operation === 'CreateTaskSet' && e.ok && e.input.externalId === r.id);
  if (createOk.length > 1) violations.push(`CreateTaskSet answered success ${createOk.length} times for ${r.id}`);
  const canaryIds = new Set(createdForMe.map((c) => c.id));
  if (r.ecs?.canaryTaskSetId) canaryIds.add(r.ecs.canaryTaskSetId);
  const relevant = new Set([...canaryIds, r.ecs?.stableTaskSetId].filter(Boolean));
  const perSet = (pick: (e: LedgerEntry) => readonly string[]) => {
    const counts = new Map<string, number>();
    for (const e of mine) for (const id of pick(e)) if (relevant.has(id)) counts.set(id, (counts.get(id) ?? 0) + 1);
    return [...counts].filter(([, n]) => n > 1);
  };
  for (const [id, n] of perSet((e) => e.madePrimary)) violations.push(`task set ${id} made PRIMARY ${n} times`);
  for (const [id, n] of perSet((e) => e.drained)) violations.push(`task set ${id} drained ${n} times`);
  for (const [id, n] of perSet((e) => (e.operation === 'DeleteTaskSet' && e.ok ? [String(e.input.taskSet)] : []))) violations.push(`DeleteTaskSet of ${id} succeeded ${n} times`);
  for (const [id, n] of perSet((e) => (e.operation === 'UpdateServicePrimaryTaskSet' && e.ok ? [String(e.input.primaryTaskSet)] : []))) violations.push(`UpdateServicePrimaryTaskSet(${id}) succeeded ${n} times`);
  // The canary's weight only goes up, each weight once, until the rollback takes it away.
  for (const id of canaryIds) {
    const ups = mine.flatMap((e) => e.scaled).filter((s) => s.id === id);
    let top = -1;
    let fell = false;
    for (const s of ups) {
      if (s.to > s.from) {
        if (fell || s.to <= top) violations.push(`canary ${id} weight went ${s.from}→${s.to} after reaching ${top}${fell ? ' and falling' : ''}`);
        top = Math.max(top, s.to);
      } else fell = true;
    }
  }

  // ECS after: one task set, PRIMARY, at 100%, running the image the outcome says.
  const view = h.ecsView(r.service);
  const labels: Record<string, string> = { [r.image.digest]: 'canary', ...(r.previousDigest ? { [r.previousDigest]: 'stable' } : {}) };
  const ecsAfter = describeEcs(view, labels);
  if (opts.ecs !== false && r.status !== 'FAILED') {
    const sets = view?.taskSets ?? [];
    const only = sets[0];
    if (sets.length !== 1 || only?.status !== 'PRIMARY' || only.scale !== 100) violations.push(`ECS is not one PRIMARY task set at 100%: ${ecsAfter}`);
    const want = r.status === 'SUCCEEDED' ? r.image.digest : r.previousDigest;
    const runs = digestIn(only && Object.values(only.images)[0]);
    if (want && runs !== want) violations.push(`ECS runs ${runs}, expected ${want} (${r.status})`);
    if (r.status === 'ROLLED_BACK' && r.ecs?.stableTaskSetId && only?.id !== r.ecs.stableTaskSetId) violations.push(`ECS's task set ${only?.id} is not the stable one ${r.ecs.stableTaskSetId}`);
  }
  return { violations, terminal: r.status, reason: r.reason ?? '', ecsAfter };
}

export interface Row {
  readonly case: string;
  readonly injected: string;
  readonly terminal: string;
  readonly reason: string;
  readonly ecsAfter: string;
  readonly ms: number;
  readonly ok: string;
}

/** An aligned text table (console.table truncates nothing but is hard to read in CI logs). */
export function formatTable(rows: readonly Row[]): string {
  const cols: (keyof Row)[] = ['case', 'injected', 'terminal', 'reason', 'ecsAfter', 'ms', 'ok'];
  const clip = (v: unknown, n: number) => {
    const s = String(v).replace(/\s+/g, ' ');
    return s.length > n ? `${s.slice(0, n - 1)}…` : s;
  };
  const max: Record<string, number> = { case: 46, injected: 44, terminal: 26, reason: 70, ecsAfter: 44, ms: 6, ok: 40 };
  const widths = cols.map((c) => Math.max(String(c).length, ...rows.map((r) => clip(r[c], max[c]!).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
  return [line(cols.map(String)), widths.map((w) => '-'.repeat(w)).join('-+-'), ...rows.map((r) => line(cols.map((c) => clip(r[c], max[c]!))))].join('\n');
}
