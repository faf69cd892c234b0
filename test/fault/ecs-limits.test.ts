/**
 * Whole rollouts in local mode against an ECS emulator as strict as ECS on what the rollout depends
 * on: at most 5 task sets per service (DRAINING ones counted until drained), and describes that lag
 * behind a new task set. Each case has a stack of its own.
 */
import { afterEach, expect, it } from 'vitest';
import type { ServiceConfig } from '../../shared/config/types';
import { Harness, TERMINAL } from '../helpers/fault-harness';
import { appConfig, serviceConfig } from '../helpers/local-config';

const STABLE_DIGEST = `sha256:${'6'.repeat(64)}`;
const harnesses: Harness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
});

function web(onNewImage: 'supersede' | 'queue' = 'supersede'): ServiceConfig {
  const base = serviceConfig('web');
  return serviceConfig('web', {
    steps: [{ setWeight: 50 }, { pause: { duration: 1 } }, { setWeight: 100 }],
    alarms: [],
    local: { desiredCount: 2, image: `${base.registry}/${base.repository}@${STABLE_DIGEST}` },
    policies: { ...base.policies, steadyTimeout: 30, onNewImage },
  });
}

async function harness(extra: { taskStopMs?: number; rollbackBackoffMs?: number } = {}): Promise<Harness> {
  const h = await Harness.start({ config: appConfig([web()]), steadyPollMs: 25, ...extra });
  harnesses.push(h);
  return h;
}

it('creates one canary when a CreateTaskSet answer is lost past the SDK retry and describes lag behind it', async () => {
  const h = await harness({ rollbackBackoffMs: 150 });
  // Older than the lag, the seeded stable set stays visible.
  await new Promise((resolve) => setTimeout(resolve, 400));
  h.stack.ecs.faults.lagDescribes(300);
  h.fail('web', 'CreateTaskSet', { error: 'ServerException', times: 2, afterApplying: true });
  const { id } = await h.start('web');
  const ended = await h.untilTerminal(id);
  expect(ended.status).toBe('ROLLED_BACK');
  expect(ended.reason).toMatch(/CreateTaskSet failed/);
  const created = h.ledger.forService('web').flatMap((entry) => entry.created);
  expect(created.filter((taskSet) => taskSet.externalId === id)).toHaveLength(1);
  // The rollback found the canary the record never learned of, and removed it.
  await h.until(id, 'ECS back on the stable set alone', () => h.ecsView('web')!.taskSets.length === 1);
  expect(h.ecsView('web')!.taskSets.map((s) => [s.status, s.scale, s.images.app])).toEqual([
    ['PRIMARY', 100, expect.stringContaining(STABLE_DIGEST)],
  ]);
});

it('never has more than 5 task sets through ten pushes in a row with supersede; every rollout ends known, one task set at the end', async () => {
  // Tasks stop slowly: each superseded canary stays DRAINING for a while.
  const h = await harness({ taskStopMs: 2500 });
  let most = 0;
  const watch = setInterval(() => {
    most = Math.max(most, h.ecsView('web')?.taskSets.length ?? 0);
  }, 5);
  try {
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const push = await h.push('web', { tag: `v${i + 2}` });
      expect(push.status).toBe(202);
      if (push.id) ids.push(push.id);
      // Let each rollout reach ECS before the next push supersedes it.
      await h.until(push.id!, 'to create its canary or end', (r) => r.ecs.canaryTaskSetId !== null || TERMINAL.includes(r.status), 20_000, 50);
    }
    const ends = await Promise.all(ids.map((id) => h.untilTerminal(id, 60_000)));
    expect(ends.map((r) => r.status)).toEqual([...Array(9).fill('ROLLED_BACK'), 'SUCCEEDED']);
    await h.until(ids.at(-1)!, 'ECS on one task set', () => h.ecsView('web')!.taskSets.length === 1, 20_000, 50);
  } finally {
    clearInterval(watch);
  }
  expect(most).toBeLessThanOrEqual(5);
  expect(most).toBe(5);
  const refused = h.ledger.forService('web').filter((entry) => entry.operation === 'CreateTaskSet' && !entry.ok);
  expect(refused).toEqual([]);
  const held = (await Promise.all((await h.store().list({ service: 'web', limit: 20 })).items.map((r) => r.events)))
    .flat()
    .filter((event) => /the most ECS allows/.test(event.message));
  expect(held.length).toBeGreaterThan(0);
  const last = h.ecsView('web')!.taskSets[0]!;
  expect([last.status, last.scale]).toEqual(['PRIMARY', 100]);
}, 120_000);
