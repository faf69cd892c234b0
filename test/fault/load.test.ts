/**
 * Load: 200 rollouts over 50 services at once in local mode (4 pushes per service in quick
 * succession, onNewImage: queue, so each service's rollouts run one after another). Every rollout
 * must end in the right terminal state, in push order, and ECS must end on the last pushed digest.
 * A variant has ~10% of the rollouts hit by an alarm: those roll back, all others succeed.
 *
 * Progress is followed through `orchestrator.subscribe` (told after every save), not by polling,
 * so the test itself adds almost no load. Scale with LOAD_SERVICES / LOAD_PUSHES.
 *
 * Not part of `npm test` (minutes of CPU on two cores): `npm run test:load` runs it (vitest.load.config.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Rollout } from '../../shared/core/rollout';
import { Harness, TERMINAL, digestIn, freshDigest } from '../helpers/fault-harness';
import { waitFor } from '../helpers/http';
import { appConfig, serviceConfig } from '../helpers/local-config';

const SERVICES = Number(process.env.LOAD_SERVICES ?? 50);
const PUSHES = Number(process.env.LOAD_PUSHES ?? 4);
/**
 * The alarm variant runs on fewer services by default, to keep the folder near two minutes on a
 * 2-core machine (local mode is CPU-bound: ~85 SDK calls per rollout); LOAD_ALARM_SERVICES=50 for the full size.
 */
const ALARM_SERVICES = Number(process.env.LOAD_ALARM_SERVICES ?? 20);
/** Generous: on a loaded 2-core machine the whole run is CPU-bound (dynalite, the emulator and the orchestrator share one thread). */
const DEADLINE_MS = Number(process.env.LOAD_DEADLINE_MS ?? 150_000);

const serviceNames = (n: number) => Array.from({ length: n }, (_, i) => `load${String(i).padStart(2, '0')}`);

function config(names: readonly string[]) {
  return appConfig(
    names.map((name) => {
      const base = serviceConfig(name);
      return serviceConfig(name, {
        steps: [{ setWeight: 50 }, { setWeight: 100 }],
        local: { desiredCount: 2, image: `${base.registry}/${base.repository}@sha256:${'5'.repeat(64)}` },
        policies: { ...base.policies, onNewImage: 'queue', steadyTimeout: 120 },
      });
    }),
  );
}

interface Run {
  readonly h: Harness;
  readonly names: readonly string[];
  /** Pushed digests per service, in push order, with their rollout ids. */
  readonly pushed: Map<string, { digest: string; id: string }[]>;
  readonly latest: Map<string, Rollout>;
  readonly wallMs: number;
  readonly pushMs: number;
}

let open: Harness | null = null;
afterEach(async () => {
  await open?.close();
  open = null;
});

/**
 * Pushes PUSHES digests to every service (services in parallel, each service's pushes one after
 * another, as fast as the webhook answers), then waits until every rollout is terminal.
 * `onChange` sees every saved change (to inject faults at the right moment).
 */
async function runLoad(
  names: readonly string[],
  prepare: (h: Harness, service: string, index: number, digest: string) => void,
  onChange: (h: Harness, r: Rollout, push: { service: string; index: number } | undefined) => void,
): Promise<Run> {
  const TOTAL = names.length * PUSHES;
  const h = await Harness.start({ config: config(names), taskStartMs: 1, steadyPollMs: 20 });
  open = h;
  const latest = new Map<string, Rollout>();
  const byDigest = new Map<string, { service: string; index: number }>();
  let terminal = 0;
  let allDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (allDone = resolve));
  h.stack.orchestrator.subscribe((r) => {
    const before = latest.get(r.id);
    if (before && before.version >= r.version) return;
    const wasTerminal = before ? (TERMINAL as readonly string[]).includes(before.status) : false;
    latest.set(r.id, r);
    if (!wasTerminal && (TERMINAL as readonly string[]).includes(r.status)) terminal += 1;
    if (terminal === TOTAL) allDone();
    onChange(h, r, byDigest.get(r.image.digest));
  });

  const pushed = new Map<string, { digest: string; id: string }[]>();
  const started = Date.now();
  await Promise.all(
    names.map(async (service) => {
      const list: { digest: string; id: string }[] = [];
      pushed.set(service, list);
      for (let index = 0; index < PUSHES; index++) {
        const digest = freshDigest();
        byDigest.set(digest, { service, index });
        prepare(h, service, index, digest);
        const p = await h.push(service, { digest, tag: `v${index + 1}` });
        if (p.status !== 202 || !p.id) throw new Error(`push ${index} to ${service}: ${p.status} ${JSON.stringify(p.body)}`);
        list.push({ digest, id: p.id });
      }
    }),
  );
  const pushMs = Date.now() - started;
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => {
      const stuck = [...latest.values()].filter((r) => !(TERMINAL as readonly string[]).includes(r.status));
      reject(new Error(`${terminal}/${TOTAL} terminal after ${DEADLINE_MS} ms; stuck: ${stuck.slice(0, 5).map((r) => `${r.service}/${r.id} ${r.status} ${JSON.stringify(r.wait)}`).join('; ')}`));
    }, DEADLINE_MS),
  );
  await Promise.race([done, timeout]);
  const wallMs = Date.now() - started;
  // Every service's lock is let go once its last rollout ended.
  await waitFor('every service to be free', async () => (await Promise.all(names.map((n) => h.store().lockHolder(n)))).every((x) => x === null) || undefined, 10_000, 50);
  return { h, names, pushed, latest, wallMs, pushMs };
}

/** Checks every service's rollouts against what was expected of each, and ECS against the last success. */
async function verify(run: Run, expected: (service: string, index: number) => 'SUCCEEDED' | 'ROLLED_BACK', title: string) {
  const problems: string[] = [];
  const counts: Record<string, number> = {};
  const { names } = run;
  const TOTAL = names.length * PUSHES;
  for (const service of names) {
    const list = run.pushed.get(service)!;
    let stable = `sha256:${'5'.repeat(64)}`;
    let previousEnd = 0;
    for (const [index, { id, digest }] of list.entries()) {
      const r = await run.h.stack.orchestrator.get(id);
      counts[r.status] = (counts[r.status] ?? 0) + 1;
      const want = expected(service, index);
      if (r.status !== want) problems.push(`${service}#${index} ${id}: ${r.status} (${r.reason ?? ''}), expected ${want}`);
      if (r.status !== 'SUCCEEDED' && !r.reason) problems.push(`${service}#${index}: ${r.status} without a reason`);
      // Queued: each starts from what the one before left stable, after it ended.
      if (r.previousDigest !== stable) problems.push(`[BUG-5] ${service}#${index} started from ${r.previousDigest}, expected ${stable} (not in push order)`);
      const startedAt = Date.parse(r.events.find((e) => e.type === 'STARTED')?.at ?? '0');
      if (startedAt < previousEnd) problems.push(`[BUG-5] ${service}#${index} started before #${index - 1} ended`);
      previousEnd = Date.parse(r.events.at(-1)!.at);
      r.events.forEach((e, i) => {
        if (e.seq !== i) problems.push(`${service}#${index} event ${i} has seq ${e.seq}`);
        if (i > 0 && e.at < r.events[i - 1]!.at) problems.push(`${service}#${index} event ${i} goes back in time`);
      });
      if (r.status === 'SUCCEEDED') stable = digest;
    }
    const view = run.h.ecsView(service)!;
    const only = view.taskSets[0];
    if (view.taskSets.length !== 1 || only?.status !== 'PRIMARY' || only.scale !== 100) problems.push(`${service}: ECS has ${view.taskSets.map((t) => `${t.status} ${t.scale}%`).join(' + ')}`);
    const runs = digestIn(only && Object.values(only.images)[0]);
    if (runs !== list.at(-1)!.digest) problems.push(`[BUG-5] ${service}: ECS runs ${runs}, the last pushed digest is ${list.at(-1)!.digest}`);
    const creates = run.h.ledger.forService(service).flatMap((e) => e.created).length;
    if (creates !== expectedCreates(list.length)) problems.push(`${service}: ${creates} task sets created for ${list.length} rollouts`);
  }
  const seconds = run.wallMs / 1000;
  console.log(
    `\nload (${title}): ${TOTAL} rollouts over ${names.length} services, ${PUSHES} pushes each: wall ${seconds.toFixed(1)} s ` +
      `(pushes accepted in ${(run.pushMs / 1000).toFixed(1)} s), ${(TOTAL / seconds).toFixed(1)} rollouts/s; ` +
      `${Object.entries(counts).map(([s, n]) => `${n} ${s}`).join(', ')}; ${run.h.stack.ecs.calls.length} ECS calls\n`,
  );
  return problems;
}
const expectedCreates = (rollouts: number) => rollouts;

describe('load in local mode', () => {
  it(`${SERVICES * PUSHES} rollouts over ${SERVICES} services, nothing injected: all SUCCEEDED, in push order`, async () => {
    const run = await runLoad(serviceNames(SERVICES), () => undefined, () => undefined);
    const problems = await verify(run, () => 'SUCCEEDED', 'no faults');
    expect(problems).toEqual([]);
  }, DEADLINE_MS + 60_000);

  it(`${ALARM_SERVICES * PUSHES} rollouts over ${ALARM_SERVICES} services, ~10% hit by an alarm: those ROLLED_BACK, the others SUCCEEDED`, async () => {
    const names = serviceNames(ALARM_SERVICES);
    // The 2nd rollout of 2 services in 5 (10% of all rollouts): its canary never becomes steady, so it
    // sits at 50% until the service's alarm fires; the alarm then rolls it back, and the queue moves on.
    const alarmed = (service: string, index: number) => index === 1 && names.indexOf(service) % 5 < 2;
    const fired = new Set<string>();
    const alarmErrors: string[] = [];
    const run = await runLoad(
      names,
      (h, service, index, digest) => {
        if (alarmed(service, index)) h.stack.ecs.faults.failLaunches({ image: new RegExp(digest.slice(7)) });
      },
      (h, r, push) => {
        if (!push || !alarmed(push.service, push.index) || fired.has(r.id)) return;
        if (r.status === 'PROGRESSING' && r.canaryWeight === 50 && r.wait?.for === 'steady' && r.ecs.canaryTaskSetId) {
          fired.add(r.id);
          void (async () => {
            const res = await h.alarm(`${push.service}-5xx`, 'ALARM', 'error rate above 5%');
            if (JSON.stringify(res.body?.rolledBack) !== JSON.stringify([r.id])) alarmErrors.push(`alarm for ${r.id} answered ${res.status} ${JSON.stringify(res.body)}`);
            await h.alarm(`${push.service}-5xx`, 'OK');
          })().catch((e: unknown) => alarmErrors.push(String(e)));
        }
      },
    );
    expect(fired.size).toBe(names.filter((n) => alarmed(n, 1)).length);
    const problems = await verify(run, (service, index) => (alarmed(service, index) ? 'ROLLED_BACK' : 'SUCCEEDED'), '10% alarmed');
    problems.push(...alarmErrors);
    for (const [id, r] of run.latest) if (fired.has(id) && !/^alarm load\d+-5xx fired: error rate above 5%$/.test(r.reason ?? '')) problems.push(`${id}: reason ${r.reason}`);
    expect(problems).toEqual([]);
  }, DEADLINE_MS + 60_000);
});
