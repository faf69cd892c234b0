/**
 * kill -9 of local mode at random moments, repeated: the runner behind test/fault/kill-restart.test.ts
 * (short, in `npm test`) and test/fault/kill-restart.load.test.ts (long, in `npm run test:load`).
 *
 * Local mode runs as a child process (test/fault/child/local-mode.ts) on one data directory. The
 * parent pushes every rollout over the webhook, then kills the child with SIGKILL after a random
 * delay (seeded: the seed is printed, KILL_SEED=<seed> replays the same delays) counted from the
 * moment it listens, and starts it again on the same data directory, `kills` times; then lets the last
 * life run until every rollout is terminal. Answers what the checks need: the records and service
 * views over HTTP, the ECS ledger the child appended across lives, and the final ECS state read from
 * the emulator's state file once the child stopped.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEcsEmulator } from '../../local/ecs-emulator';
import type { AppConfig } from '../../shared/config/types';
import { EcsLedger, type Harness, type LedgerEntry, TERMINAL, checkRollout, describeEcs, digestIn } from './fault-harness';
import { type ApiClient, apiClient } from './http';
import { appConfig, pushEnvelope, serviceConfig } from './local-config';

/**
 * How far each life's orchestrator clock runs ahead of the system clock: not at all. A kill between a
 * create-canary or promote claim and the call must not hold the rollout for the claim's lifetime
 * (RolloutPolicy.claimLifetimeSeconds): the next life's clock attempt makes the dead writer's claim
 * stale at once, and this test would time out otherwise.
 */
const DOWN_MS = 0;

const HERE = fileURLToPath(new URL('.', import.meta.url));
const CHILD = resolve(HERE, '../fault/child/local-mode.ts');
const ROOT = resolve(HERE, '../..');

/** mulberry32: small, seedable, good enough to pick delays. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface KillRunOptions {
  readonly services: number;
  readonly pushesPerService: number;
  readonly kills: number;
  /** Each kill comes this long (uniform in [min, max]) after the child said it listens. */
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  /** The share of kills followed by one more kill of the next life while it starts (before it listens). */
  readonly startupKillRatio: number;
  readonly seed: number;
  /** For the last life to bring every rollout to a terminal state. */
  readonly settleMs: number;
  /** One line per event of the run (kills, restarts), for the log of a failure. */
  readonly log: (line: string) => void;
}

export function killConfig(services: number): AppConfig {
  return appConfig(
    Array.from({ length: services }, (_, i) => {
      const name = `kill${i}`;
      const base = serviceConfig(name);
      return serviceConfig(name, {
        steps: [{ setWeight: 25 }, { pause: { duration: 1 } }, { setWeight: 100 }],
        local: { desiredCount: 2, image: `${base.registry}/${base.repository}@sha256:${'5'.repeat(64)}` },
        policies: { ...base.policies, onNewImage: 'queue', steadyTimeout: 24 * 3600 },
      });
    }),
  );
}

export interface Life {
  readonly child: ChildProcess;
  readonly n: number;
  readonly url: string;
  readonly api: ApiClient;
  readonly hook: ApiClient;
  readonly resumed: readonly string[];
  readonly exited: Promise<void>;
  stderr: string;
}

export interface Pushed {
  readonly service: string;
  readonly index: number;
  readonly digest: string;
  readonly id: string;
}

export interface KillRunResult {
  readonly config: AppConfig;
  readonly pushed: readonly Pushed[];
  /** The records as GET /rollouts/{id} answers them at the end. */
  readonly records: Map<string, any>;
  /** GET /services/{name} at the end. */
  readonly services: Map<string, any>;
  readonly ledger: EcsLedger;
  /** Ledger lines a kill cut (not parsed). */
  readonly cutLines: number;
  /** Where the ECS state ended, per service (read from the emulator's state file). */
  readonly ecs: Map<string, ReturnType<ReturnType<typeof createEcsEmulator>['describe']>>;
  readonly kills: readonly { readonly life: number; readonly afterMs: number; readonly statuses: string }[];
}

/**
 * Life `n` of local mode as a child process on `dataDir` (test/fault/child/local-mode.ts); `env` adds
 * to its environment (KILL_AT). `listening` settles once it printed its URL, or rejects if it died first.
 */
export function spawnLocalMode(dataDir: string, config: AppConfig, n: number, env: Record<string, string> = {}): { child: ChildProcess; n: number; exited: Promise<void>; listening: Promise<Life> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    cwd: ROOT,
    env: {
      ...process.env,
      KILL_DATA_DIR: dataDir,
      KILL_CONFIG: JSON.stringify(config),
      KILL_LIFE: String(n),
      KILL_CLOCK_STEP_MS: String(DOWN_MS),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const listening = new Promise<string>((res, rej) => {
    let out = '';
    const timer = setTimeout(() => rej(new Error(`life ${n}: no URL within 30 s; stderr: ${stderr}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        res(out.slice(0, nl));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      rej(new Error(`life ${n}: exited (${code ?? signal}) before listening; stderr: ${stderr}`));
    });
  }).then((line) => {
    const info = JSON.parse(line) as { url: string; webhookToken: string; apiToken: string; resumed: string[] };
    return { child, n, url: info.url, api: apiClient(info.url, info.apiToken), hook: apiClient(info.url, info.webhookToken), resumed: info.resumed, exited, stderr } satisfies Life;
  });
  listening.catch(() => undefined);
  return { child, n, exited, listening };
}

export class KillRun {
  readonly dataDir = mkdtempSync(join(tmpdir(), 'rollout-kill-'));
  private life: Life | null = null;
  private spawned: ChildProcess | null = null;
  private lives = 0;
  private startupMs = 1_000;

  constructor(private readonly opts: KillRunOptions) {}

  /** Starts a life; `listening` settles once it printed its URL (or rejects if it died first). */
  private spawn(): { child: ChildProcess; n: number; exited: Promise<void>; listening: Promise<Life> } {
    const spawned = spawnLocalMode(this.dataDir, killConfig(this.opts.services), this.lives++);
    this.spawned = spawned.child;
    return spawned;
  }

  private async start(): Promise<Life> {
    const spawned = this.spawn();
    const t0 = Date.now();
    const life = await spawned.listening;
    this.startupMs = Date.now() - t0;
    this.life = life;
    return life;
  }

  /** A life killed while it starts (opening its stores, resuming), at a random moment before it would listen. */
  private async killWhileStarting(afterMs: number): Promise<boolean> {
    const spawned = this.spawn();
    const listened = await Promise.race([spawned.listening.then(() => true, () => false), new Promise<false>((r) => setTimeout(() => r(false), afterMs))]);
    if (spawned.child.exitCode === null && spawned.child.signalCode === null) spawned.child.kill('SIGKILL');
    await spawned.exited;
    return listened;
  }

  private async kill(): Promise<void> {
    const life = this.life;
    this.life = null;
    const child = life?.child ?? this.spawned;
    if (!child) return;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (life) await life.exited;
    else if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
  }

  /** Statuses of every pushed rollout (null when the child did not answer). */
  private async statuses(life: Life, pushed: readonly Pushed[]): Promise<string[] | null> {
    try {
      return await Promise.all(
        pushed.map(async (p) => {
          const res = await life.api('GET', `/rollouts/${p.id}`);
          if (res.status !== 200) throw new Error(`GET /rollouts/${p.id}: ${res.status}`);
          return res.body.status as string;
        }),
      );
    } catch {
      return null;
    }
  }

  async run(): Promise<KillRunResult> {
    const { opts } = this;
    const config = killConfig(opts.services);
    const rand = seededRandom(opts.seed);
    const names = Object.keys(config.services);

    let life = await this.start();
    const pushed: Pushed[] = [];
    for (let index = 0; index < opts.pushesPerService; index++) {
      for (const service of names) {
        const digest = `sha256:${(0xabc000 + pushed.length).toString(16).padStart(64, '0')}`;
        const res = await life.hook('POST', '/webhooks/registry', pushEnvelope(config.services[service]!.repository, 'v1', digest), { 'content-type': 'application/json' });
        const id = res.body?.accepted?.[0]?.rolloutId;
        if (res.status !== 202 || !id) throw new Error(`push ${index} to ${service} not accepted: ${res.status} ${JSON.stringify(res.body)}`);
        pushed.push({ service, index, digest, id });
      }
    }
    opts.log(`seed ${opts.seed}: ${pushed.length} rollouts pushed over ${names.length} services; data dir ${this.dataDir}`);

    const allTerminal = (s: string[] | null) => s !== null && s.every((x) => (TERMINAL as readonly string[]).includes(x));
    const summary = (s: string[] | null) => (s ? s.map((x) => x.slice(0, 4)).join(',') : '?');
    const kills: { life: number; afterMs: number; statuses: string }[] = [];
    for (let k = 0; k < opts.kills; k++) {
      const afterMs = Math.round(opts.minDelayMs + rand() * (opts.maxDelayMs - opts.minDelayMs));
      await new Promise((r) => setTimeout(r, afterMs));
      const before = await this.statuses(life, pushed);
      if (allTerminal(before)) {
        opts.log(`life ${life.n}: every rollout terminal before kill ${k + 1}; no more kills`);
        break;
      }
      await this.kill();
      kills.push({ life: life.n, afterMs, statuses: summary(before) });
      opts.log(`kill ${k + 1}: life ${life.n} killed ${afterMs} ms after listening (statuses just before: ${summary(before)})`);
      if (rand() < opts.startupKillRatio) {
        const early = Math.round(rand() * this.startupMs);
        const listened = await this.killWhileStarting(early);
        kills.push({ life: this.lives - 1, afterMs: early, statuses: 'starting' });
        opts.log(`kill ${k + 1}b: life ${this.lives - 1} killed ${early} ms after spawn, while starting (startup takes ~${this.startupMs} ms; ${listened ? 'it listened already' : 'not listening yet'})`);
      }
      life = await this.start();
      opts.log(`life ${life.n}: listening after ${this.startupMs} ms, resumed ${life.resumed.length}`);
    }

    const deadline = Date.now() + opts.settleMs;
    let last: string[] | null = null;
    for (;;) {
      last = await this.statuses(life, pushed);
      if (allTerminal(last)) break;
      if (Date.now() > deadline) throw new Error(`not every rollout terminal ${opts.settleMs} ms after the last restart: ${pushed.map((p, i) => `${p.id}=${last?.[i] ?? '?'}`).join(' ')}; data dir ${this.dataDir}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    opts.log(`life ${life.n}: every rollout terminal`);

    const records = new Map<string, any>();
    for (const p of pushed) records.set(p.id, (await life.api('GET', `/rollouts/${p.id}`)).body);
    const services = new Map<string, any>();
    for (const name of names) services.set(name, (await life.api('GET', `/services/${name}`)).body);

    // A graceful stop, so that the state file holds everything the last life did.
    life.child.kill('SIGTERM');
    await Promise.race([life.exited, new Promise((r) => setTimeout(r, 10_000))]);
    await this.kill();

    const ledger = new EcsLedger();
    let cutLines = 0;
    const ledgerFile = join(this.dataDir, 'ecs-ledger.ndjson');
    for (const line of existsSync(ledgerFile) ? readFileSync(ledgerFile, 'utf8').split('\n') : []) {
      if (!line) continue;
      try {
        ledger.entries.push(JSON.parse(line) as LedgerEntry);
      } catch {
        cutLines += 1;
      }
    }
    const emulator = createEcsEmulator({ stateFile: join(this.dataDir, 'ecs-emulator.json') });
    const ecs = new Map(names.map((name) => [name, emulator.describe(config.services[name]!.cluster, config.services[name]!.service)]));
    return { config, pushed, records, services, ledger, cutLines, ecs, kills };
  }

  /** Kills the child; removes the data directory unless `keep` (a failure, to be looked at). */
  async close(keep = false): Promise<void> {
    await this.kill();
    if (!keep) rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/**
 * The checks of one run: every rollout SUCCEEDED (no alarm, no abort, onNewImage: queue), each
 * service's rollouts in push order, checkRollout's invariants (events once, no ECS change applied
 * twice, from the ledger across lives), the last rollout of each service owning ECS (one PRIMARY task
 * set at 100% on its digest), and no lock held.
 */
export function killRunViolations(result: KillRunResult): string[] {
  const violations: string[] = [];
  // checkRollout reads a Harness's ledger, config and ECS view: here they come from the run.
  const view = { ledger: result.ledger, config: result.config, ecsView: (service: string) => result.ecs.get(service) ?? null } as unknown as Harness;
  for (const name of Object.keys(result.config.services)) {
    const mine = result.pushed.filter((p) => p.service === name);
    const lastId = mine[mine.length - 1]!.id;
    for (const p of mine) {
      const r = result.records.get(p.id);
      const verdict = checkRollout(view, r, { expect: 'SUCCEEDED', ecs: p.id === lastId });
      for (const v of verdict.violations) violations.push(`${name} push ${p.index} (${p.id}): ${v}`);
    }
    const finished = mine.map((p) => (result.records.get(p.id)?.events ?? []).find((e: any) => e.type === 'SUCCEEDED')?.at ?? '');
    if (finished.some((at, i) => i > 0 && at < finished[i - 1]!)) violations.push(`${name}: rollouts did not succeed in push order: ${finished.join(', ')}`);
    const ecs = result.ecs.get(name) ?? null;
    const sets = ecs?.taskSets ?? [];
    if (sets.length !== 1 || sets[0]!.status !== 'PRIMARY' || sets[0]!.scale !== 100 || digestIn(Object.values(sets[0]!.images)[0]) !== mine[mine.length - 1]!.digest)
      violations.push(`${name}: ECS ends on ${describeEcs(ecs)}, not one PRIMARY task set at 100% on ${mine[mine.length - 1]!.digest}`);
    const svc = result.services.get(name);
    if (svc?.activeRollout !== null) violations.push(`${name}: lock still held by ${JSON.stringify(svc?.activeRollout)}`);
  }
  return violations;
}
