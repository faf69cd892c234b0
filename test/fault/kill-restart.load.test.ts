/**
 * The long variant of test/fault/kill-restart.test.ts, in `npm run test:load` (vitest.load.config.ts)
 * and not in `npm test`: more services, more rollouts, many more kills, over several seeds.
 * KILL_ROUNDS, KILL_SERVICES, KILL_PUSHES and KILL_KILLS scale it; KILL_SEED=<seed> replays one round.
 */
import { afterEach, expect, it } from 'vitest';
import { KillRun, killRunViolations } from '../helpers/kill-restart';

const ROUNDS = Number(process.env.KILL_ROUNDS ?? 3);
const SERVICES = Number(process.env.KILL_SERVICES ?? 4);
const PUSHES = Number(process.env.KILL_PUSHES ?? 10);
const KILLS = Number(process.env.KILL_KILLS ?? 30);
const FIRST_SEED = Number(process.env.KILL_SEED ?? Math.floor(Math.random() * 2 ** 31));

let run: KillRun | null = null;
let failed = false;
afterEach(async () => {
  await run?.close(failed || process.env.KILL_KEEP === '1');
  run = null;
});

const seeds = process.env.KILL_SEED ? [FIRST_SEED] : Array.from({ length: ROUNDS }, (_, i) => (FIRST_SEED + i * 7919) % 2 ** 31);

it.each(seeds)('kill -9 repeated at random moments (seed %i): every rollout SUCCEEDED, no ECS change twice, no lock held', { timeout: 300_000 }, async (seed) => {
  const lines: string[] = [];
  run = new KillRun({ services: SERVICES, pushesPerService: PUSHES, kills: KILLS, minDelayMs: 0, maxDelayMs: 1_500, startupKillRatio: 0.25, seed, settleMs: 60_000, log: (l) => lines.push(l) });
  try {
    const result = await run.run();
    const violations = killRunViolations(result);
    expect(violations, `seed ${seed} (KILL_SEED=${seed} replays it)\n${lines.join('\n')}`).toEqual([]);
    console.log(`kill-restart seed ${seed}: ${result.kills.length} kills, ${result.ledger.entries.length} ECS changes recorded (${result.cutLines} lines cut)\n${lines.join('\n')}`);
  } catch (e) {
    failed = true;
    console.log(`kill-restart seed ${seed} failed (KILL_SEED=${seed} replays it; data dir kept: ${run.dataDir})\n${lines.join('\n')}`);
    throw e;
  }
});
