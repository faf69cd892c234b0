import { describe, expect, it } from 'vitest';
import type { DynamoRolloutStore } from '../../../shared/adapters/dynamodb/dynamo-rollout-store';
import { EventType } from '../../../shared/core/events';
import type { Rollout } from '../../../shared/core/rollout';
import { RolloutStatus } from '../../../shared/core/status';
import { ValidationError } from '../../../shared/errors';
import type { ListRolloutsQuery } from '../../../shared/ports';
import { useDynalite } from '../../helpers/dynamodb';
import { advance, isoAt, makeRollout } from './rollout-factory';

const dynamo = useDynalite();

/** Creates rollouts one minute apart, oldest first, and returns them. */
async function seed(store: DynamoRolloutStore, specs: readonly Partial<Rollout>[]): Promise<Rollout[]> {
  const rollouts = specs.map((spec, i) =>
    makeRollout({ id: `r-${String(i).padStart(4, '0')}`, createdAt: isoAt(i * 60), ...spec }),
  );
  await Promise.all(rollouts.map((rollout) => store.create(rollout)));
  return rollouts;
}

async function allPages(store: DynamoRolloutStore, query: ListRolloutsQuery): Promise<Rollout[][]> {
  const pages: Rollout[][] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list({ ...query, cursor });
    pages.push([...page.items]);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return pages;
}

const ids = (rollouts: readonly Rollout[]) => rollouts.map((r) => r.id);
const newestFirst = (rollouts: readonly Rollout[]) => [...rollouts].reverse();

describe('DynamoRolloutStore.list', () => {
  it('lists one service newest first, and all services newest first', async () => {
    const { store } = await dynamo.newStore();
    const services = ['web', 'api', 'web', 'api'];
    const rollouts = await seed(store, services.map((service) => ({ service })));

    const web = await store.list({ service: 'web' });
    const all = await store.list({});

    expect(ids(web.items)).toEqual(['r-0002', 'r-0000']);
    expect(ids(all.items)).toEqual(ids(newestFirst(rollouts)));
    expect(web.nextCursor).toBeNull();
    expect(all.nextCursor).toBeNull();
  });

  it('returns whole rollouts, events included, equal to what get returns', async () => {
    const { store } = await dynamo.newStore();
    const [v1] = await seed(store, [{}]);
    const v2 = advance(v1!, { status: RolloutStatus.Progressing }, [EventType.Started, 'started']);
    await store.save(v2);

    const page = await store.list({ service: 'web' });

    expect(page.items).toStrictEqual([v2]);
  });

  it('pages through 45 rollouts 20 at a time: 20, 20, then 5 with no cursor', async () => {
    const { store } = await dynamo.newStore();
    const rollouts = await seed(store, Array.from({ length: 45 }, () => ({})));

    for (const query of [{ service: 'web', limit: 20 }, { limit: 20 }]) {
      const pages = await allPages(store, query);
      expect(pages.map((p) => p.length)).toEqual([20, 20, 5]);
      expect(ids(pages.flat())).toEqual(ids(newestFirst(rollouts)));
    }
  });

  it('ends without an empty last page when the rollouts fill the pages exactly', async () => {
    const { store } = await dynamo.newStore();
    await seed(store, Array.from({ length: 10 }, () => ({})));

    const pages = await allPages(store, { limit: 5 });

    expect(pages.map((p) => p.length)).toEqual([5, 5]);
  });

  it('fills every page when filtering by status, though DynamoDB applies Limit before the filter', async () => {
    const { store } = await dynamo.newStore();
    const rollouts = await seed(
      store,
      Array.from({ length: 40 }, (_, i) => ({
        status: i % 4 === 0 ? RolloutStatus.Succeeded : RolloutStatus.RolledBack,
      })),
    );
    const succeeded = newestFirst(rollouts.filter((r) => r.status === RolloutStatus.Succeeded));

    const pages = await allPages(store, { service: 'web', status: RolloutStatus.Succeeded, limit: 4 });
    const allPagesForAll = await allPages(store, { status: RolloutStatus.Succeeded, limit: 3 });

    expect(pages.map((p) => p.length)).toEqual([4, 4, 2]);
    expect(ids(pages.flat())).toEqual(ids(succeeded));
    expect(allPagesForAll.map((p) => p.length)).toEqual([3, 3, 3, 1]);
    expect(ids(allPagesForAll.flat())).toEqual(ids(succeeded));
  });

  it('returns an empty page with no cursor when nothing matches', async () => {
    const { store } = await dynamo.newStore();
    await seed(store, [{}, {}]);

    await expect(store.list({ service: 'nope' })).resolves.toEqual({ items: [], nextCursor: null });
    await expect(store.list({ status: RolloutStatus.Failed })).resolves.toEqual({ items: [], nextCursor: null });
  });

  it('rejects a garbled or foreign cursor with a ValidationError', async () => {
    const { store } = await dynamo.newStore();
    await seed(store, [{ service: 'web' }, { service: 'web' }, { service: 'api' }]);
    const { nextCursor } = await store.list({ service: 'web', limit: 1 });
    expect(nextCursor).not.toBeNull();
    const json = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

    const bad = [
      'not a cursor!',
      `${nextCursor}x`,
      Buffer.from('{"broken').toString('base64url'),
      json({ v: 2, p: 'SERVICE#web', id: 'r-0001', createdAt: isoAt(0) }),
      json({ v: 1, p: 'SERVICE#web', id: 'r-0001', createdAt: 'yesterday' }),
      json(['r-0001']),
    ];
    for (const cursor of bad) {
      await expect(store.list({ service: 'web', cursor }), cursor).rejects.toBeInstanceOf(ValidationError);
    }
    await expect(store.list({ service: 'api', cursor: nextCursor! })).rejects.toBeInstanceOf(ValidationError);
    await expect(store.list({ cursor: nextCursor! })).rejects.toBeInstanceOf(ValidationError);
  });

  it('rejects a limit outside 1-100 with a ValidationError', async () => {
    const { store } = await dynamo.newStore();

    for (const limit of [0, 101, 2.5, Number.NaN]) {
      await expect(store.list({ limit }), String(limit)).rejects.toBeInstanceOf(ValidationError);
    }
  });
});
