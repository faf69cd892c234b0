import { describe, expect, it } from 'vitest';
import { useDynalite } from '../../helpers/dynamodb';

const dynamo = useDynalite();

describe('DynamoRolloutStore service locks', () => {
  it('gives a free lock to the first rollout and lets it take the lock again', async () => {
    const { store } = await dynamo.newStore();

    expect(await store.lockHolder('web')).toBeNull();
    expect(await store.acquireLock('web', 'r-1')).toBe(true);
    expect(await store.acquireLock('web', 'r-1')).toBe(true);
    expect(await store.lockHolder('web')).toBe('r-1');
  });

  it('refuses a held lock to another rollout, and locks each service separately', async () => {
    const { store } = await dynamo.newStore();
    await store.acquireLock('web', 'r-1');

    expect(await store.acquireLock('web', 'r-2')).toBe(false);
    expect(await store.acquireLock('api', 'r-2')).toBe(true);
    expect(await store.lockHolder('web')).toBe('r-1');
  });

  it('lets exactly one of many concurrent rollouts take a free lock', async () => {
    const { store } = await dynamo.newStore();

    const results = await Promise.all(['r-1', 'r-2', 'r-3', 'r-4'].map((id) => store.acquireLock('web', id)));

    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('ignores a release by a rollout that does not hold the lock', async () => {
    const { store } = await dynamo.newStore();
    await store.acquireLock('web', 'r-1');

    await store.releaseLock('web', 'r-2');
    await store.releaseLock('api', 'r-1');

    expect(await store.lockHolder('web')).toBe('r-1');
  });

  it('frees the lock when its holder releases it, so the next rollout can take it', async () => {
    const { store } = await dynamo.newStore();
    await store.acquireLock('web', 'r-1');

    await store.releaseLock('web', 'r-1');

    expect(await store.lockHolder('web')).toBeNull();
    expect(await store.acquireLock('web', 'r-2')).toBe(true);
    await store.releaseLock('web', 'r-1');
    expect(await store.lockHolder('web')).toBe('r-2');
  });

  it('says a release was marked only when someone marked the lock since it was taken', async () => {
    const { store } = await dynamo.newStore();
    await store.acquireLock('web', 'r-1');
    expect(await store.releaseLock('web', 'r-1')).toEqual({ released: true, queued: false });

    await store.acquireLock('web', 'r-2');
    expect(await store.markQueued('web')).toBe(true);
    expect(await store.releaseLock('web', 'r-9')).toEqual({ released: false, queued: false });
    expect(await store.releaseLock('web', 'r-2')).toEqual({ released: true, queued: true });

    // The mark went with the lock: the next holder starts unmarked.
    await store.acquireLock('web', 'r-3');
    expect(await store.releaseLock('web', 'r-3')).toEqual({ released: true, queued: false });
  });

  it('marks only a held lock, writing nothing when it is free', async () => {
    const { store } = await dynamo.newStore();

    expect(await store.markQueued('web')).toBe(false);

    expect(await store.lockHolder('web')).toBeNull();
    expect(await store.acquireLock('web', 'r-1')).toBe(true);
    expect(await store.releaseLock('web', 'r-1')).toEqual({ released: true, queued: false });
  });

  it('keeps the mark when the holder takes its lock again, and takes a lock marked when asked', async () => {
    const { store } = await dynamo.newStore();
    await store.acquireLock('web', 'r-1');
    await store.markQueued('web');
    expect(await store.acquireLock('web', 'r-1')).toBe(true);
    expect(await store.releaseLock('web', 'r-1')).toEqual({ released: true, queued: true });

    expect(await store.acquireLock('web', 'r-2', true)).toBe(true);
    expect(await store.acquireLock('web', 'r-3', true)).toBe(false);
    expect(await store.lockHolder('web')).toBe('r-2');
    expect(await store.releaseLock('web', 'r-2')).toEqual({ released: true, queued: true });
  });
});

describe('DynamoRolloutStore delivery claims', () => {
  it('gives a key to the first claim and tells later claims which rollout has it', async () => {
    const { store } = await dynamo.newStore();

    expect(await store.deliveryOwner('web#sha256:aa')).toBeNull();
    expect(await store.claimDelivery('web#sha256:aa', 'r-1', 3600)).toEqual({ claimed: true });
    expect(await store.claimDelivery('web#sha256:aa', 'r-2', 3600)).toEqual({ claimed: false, rolloutId: 'r-1' });
    expect(await store.claimDelivery('web#sha256:bb', 'r-2', 3600)).toEqual({ claimed: true });
    expect(await store.deliveryOwner('web#sha256:aa')).toBe('r-1');
  });

  it('lets exactly one of many concurrent claims of a key win', async () => {
    const { store } = await dynamo.newStore();

    const results = await Promise.all(['r-1', 'r-2', 'r-3'].map((id) => store.claimDelivery('k', id, 60)));

    const winners = results.filter((r) => r.claimed);
    expect(winners).toHaveLength(1);
    const owner = await store.deliveryOwner('k');
    for (const r of results) if (!r.claimed) expect(r.rolloutId).toBe(owner);
  });

  it('treats a claim past its expiry as gone (dynalite never deletes it), so it can be claimed again', async () => {
    let now = new Date('2026-08-01T10:00:00.000Z');
    const { store } = await dynamo.newStore({ now: () => now });
    await store.claimDelivery('k', 'r-1', 60);

    now = new Date('2026-08-01T10:00:59.000Z');
    expect(await store.claimDelivery('k', 'r-2', 60)).toEqual({ claimed: false, rolloutId: 'r-1' });

    now = new Date('2026-08-01T10:01:00.000Z');
    expect(await store.deliveryOwner('k')).toBeNull();
    expect(await store.claimDelivery('k', 'r-2', 60)).toEqual({ claimed: true });
    expect(await store.deliveryOwner('k')).toBe('r-2');
  });
});

describe('DynamoRolloutStore delivery take-over', () => {
  it('moves a claim from its owner to a new rollout, once, and only from the named owner', async () => {
    const { store } = await dynamo.newStore();
    await store.claimDelivery('web#sha256:cc', 'r-1', 3600);

    expect(await store.takeOverDelivery('web#sha256:cc', 'r-9', 'r-2', 3600)).toBe(false);
    expect(await store.takeOverDelivery('web#sha256:cc', 'r-1', 'r-2', 3600)).toBe(true);
    expect(await store.takeOverDelivery('web#sha256:cc', 'r-1', 'r-3', 3600)).toBe(false);
    expect(await store.deliveryOwner('web#sha256:cc')).toBe('r-2');
  });
});
