/**
 * Whole rollouts in local mode against an ECS emulator as strict as ECS on what the rollout depends
 * on: at most 5 task sets per service (DRAINING ones counted until drained), and describes that lag
 * behind a new task set. Each case has a stack of its own.
 */
import { afterEach, expect, it } from 'vitest';
import type { ServiceConfig } from '../../shared/config/types';
import { Harness, TERMINAL } from '../helpers/fault-harness';
import { appConfig, serviceConfig } from '../helpers/local-config';
import type { TagResolver } from '../../shared/webhooks/resolve-tag';

const STABLE_DIGEST = `sha256:${'6'.repeat(64)}`;
const harnesses: Harness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
});

function web(overrides: Partial<ServiceConfig> = {}): ServiceConfig {
  const base = serviceConfig('web');
  return serviceConfig('web', {
    steps: [{ setWeight: 50 }, { pause: { duration: 1 } }, { setWeight: 100 }],
    alarms: [],
    local: { desiredCount: 2, image: `${base.registry}/${base.repository}@${STABLE_DIGEST}` },
    policies: { ...base.policies, steadyTimeout: 30, onNewImage: 'supersede' },
    ...overrides,
  });
}

async function harness(
  extra: { taskStartMs?: number; taskStopMs?: number; rollbackBackoffMs?: number; tagResolver?: TagResolver } = {},
  service: ServiceConfig = web(),
): Promise<Harness> {
  const h = await Harness.start({ config: appConfig([service]), steadyPollMs: 25, ...extra });
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
  const h = await harness({ taskStopMs: 6000 });
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

it('rolls back without a dip in capacity: the stable set is steady at full size before the canary is removed', async () => {
  const service = web({
    steps: [{ setWeight: 50 }, { pause: {} }, { setWeight: 100 }],
    alarms: ['web-5xx'],
    local: { desiredCount: 4, image: `${serviceConfig('web').registry}/team/web@${STABLE_DIGEST}` },
  });
  // Tasks start slowly, so the stable set's two new tasks take a while.
  const h = await harness({ taskStartMs: 300 }, service);
  const { id } = await h.start('web');
  await h.untilStatus(id, 'PAUSED');
  const serving = () =>
    (h.ecsView('web')?.taskSets ?? []).filter((s) => s.status !== 'DRAINING').reduce((sum, s) => sum + s.runningCount, 0);
  expect(serving()).toBe(4);
  let fewest = Infinity;
  const watch = setInterval(() => {
    fewest = Math.min(fewest, serving());
  }, 5);
  try {
    expect((await h.alarm('web-5xx', 'ALARM')).status).toBe(200);
    const ended = await h.untilStatus(id, 'ROLLED_BACK');
    const types = ended.events.map((e: { type: string }) => e.type);
    expect(types.slice(types.indexOf('ROLLBACK_STARTED'))).toEqual(['ROLLBACK_STARTED', 'ROLLBACK_WAITING', 'ROLLED_BACK']);
    expect(ended.events.find((e: { type: string }) => e.type === 'ROLLBACK_WAITING').message).toMatch(
      /^rollback waits for the stable task set .* to be steady at 100% \(2 of 4 tasks running\) before the canary .* is removed$/,
    );
  } finally {
    clearInterval(watch);
  }
  expect(fewest).toBe(4);
  expect(h.ecsView('web')!.taskSets.map((s) => [s.status, s.scale, s.runningCount])).toEqual([['PRIMARY', 100, 4]]);
});

it('holds before the canary while the stable image (the rollback target) is not in its registry by digest, and goes on once it is', async () => {
  let served = false;
  const asked: string[] = [];
  const registry: TagResolver = {
    resolve: async (registryHost, _config, repository, reference) => {
      asked.push(`${registryHost}/${repository}@${reference}`);
      return served && reference === STABLE_DIGEST ? reference : null;
    },
  };
  const h = await harness({ tagResolver: registry });
  const { id } = await h.start('web');
  const held = await h.until(id, 'to hold', (r) => r.wait?.for === 'hold');
  expect(held.wait.reason).toBe(
    `the stable image 127.0.0.1:5000/team/web@${STABLE_DIGEST} (the rollback target) is not in its registry; push it again (by digest) or fix the stable task set`,
  );
  expect(held.ecs.canaryTaskSetId).toBeNull();
  expect(h.ecsView('web')!.taskSets).toHaveLength(1);
  expect(asked).toContain(`127.0.0.1:5000/team/web@${STABLE_DIGEST}`);
  served = true;
  expect((await h.untilTerminal(id)).status).toBe('SUCCEEDED');
});

it('goes on when the registry cannot answer (no verdict, logged): only a registry that says the image is gone holds', async () => {
  const registry: TagResolver = {
    resolve: async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:5000');
    },
  };
  const h = await harness({ tagResolver: registry });
  const { id } = await h.start('web');
  const ended = await h.untilTerminal(id);
  expect(ended.status).toBe('SUCCEEDED');
  expect(ended.events.some((event: { type: string }) => event.type === 'HELD')).toBe(false);
});

it('says why a weight did not become steady when its steady timeout rolls it back', async () => {
  const base = web();
  const h = await harness({}, web({ policies: { ...base.policies, steadyTimeout: 2 } }));
  h.stack.ecs.faults.failLaunches({ image: /@sha256:(?!6{64})/ });
  const { id } = await h.start('web');
  const ended = await h.untilTerminal(id);
  expect(ended.status).toBe('ROLLED_BACK');
  expect(ended.reason).toBe('canary did not reach steady state at 50% within 2s (canary tasks not started: 0 of 1 running, 1 pending)');
  expect(ended.steadyTimeoutSeconds).toBe(2);
});

it('refuses at its start a rollout of a cluster named by ARN in another region, and leaves ECS as it was', async () => {
  const away = web({ cluster: 'arn:aws:ecs:eu-west-1:000000000000:cluster/demo' });
  const h = await harness({}, away);
  const before = h.ecsView('web');
  const { id } = await h.start('web');
  const ended = await h.untilTerminal(id);
  expect(ended.reason).toBe(
    'services.web.cluster arn:aws:ecs:eu-west-1:000000000000:cluster/demo is in region eu-west-1, but the orchestrator runs in region us-east-1, account 000000000000: ' +
      'its ECS calls and ECS events do not reach there. Deploy an orchestrator in that region for this service, or name a cluster of region us-east-1, account 000000000000',
  );
  expect(h.ledger.forService('web').filter((entry) => !entry.operation.startsWith('Describe'))).toEqual([]);
  expect(h.ecsView('web')).toEqual(before);
});
