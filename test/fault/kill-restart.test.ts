/**
 * A real kill -9 of local mode (a child process) at random moments, repeated: every rollout still
 * ends as its inputs say (SUCCEEDED: no alarm, no abort; onNewImage: queue, so a service's rollouts
 * run one after another), no ECS change is applied twice, and no lock is left held.
 *
 * The kill delays come from a seeded generator; the seed is printed. Replay one with KILL_SEED=<seed>.
 * The long variant is test/fault/kill-restart.load.test.ts (`npm run test:load`).
 */
import { afterAll, expect, it } from 'vitest';
import { KillRun, killRunViolations } from '../helpers/kill-restart';

const SEED = Number(process.env.KILL_SEED ?? Math.floor(Math.random() * 2 ** 31));
const lines: string[] = [];
/** `life:count` of the ECS changes each life made. */
const perLife = (entries: readonly { life: number }[]) => [...new Set(entries.map((e) => e.life))].map((l) => `${l}:${entries.filter((e) => e.life === l).length}`).join(' ');
let run: KillRun | null = null;
let failed = false;

afterAll(async () => {
  await run?.close(failed || process.env.KILL_KEEP === '1');
});

// Each life is a node process loading local mode through tsx: about 20 s on a quiet machine, but 58 s
// was seen with the machine's two cores shared by other runs (load 13), so the limit allows for that.
it('kill -9 at random moments, restarted on the same data directory: every rollout SUCCEEDED, no ECS change twice, no lock held', { timeout: 120_000 }, async () => {
  const log = (line: string) => lines.push(line);
  run = new KillRun({ services: 2, pushesPerService: 3, kills: 3, minDelayMs: 0, maxDelayMs: 1_000, startupKillRatio: 0.3, seed: SEED, settleMs: 20_000, log });
  try {
    const result = await run.run();
    const violations = killRunViolations(result);
    expect(result.kills.length, 'no kill happened before the rollouts were done').toBeGreaterThan(0);
    expect(violations, `seed ${SEED} (KILL_SEED=${SEED} replays it)\n${lines.join('\n')}`).toEqual([]);
    console.log(`kill-restart seed ${SEED}: ${result.kills.length} kills, ${result.ledger.entries.length} ECS changes recorded (${result.cutLines} lines cut; per life: ${perLife(result.ledger.entries)})\n${lines.join('\n')}`);
  } catch (e) {
    failed = true;
    console.log(`kill-restart seed ${SEED} failed (KILL_SEED=${SEED} replays it; data dir kept: ${run.dataDir})\n${lines.join('\n')}`);
    throw e;
  }
});
