/**
 * The per-service queue beside the lock, read with a ConsistentRead Query of the base table (a decision
 * reads it), and the index of active rollouts the watchdog sweeps: the sparse `byActive` GSI kept by the
 * record's own writes, plus the markers an earlier version left. dynalite is read-after-write either
 * way, so these pin the items, their order, the calls they cost and the upgrade path.
 */
import { PutItemCommand, QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoRolloutStore } from '../../../shared/adapters/dynamodb/dynamo-rollout-store';
import { recordItem } from '../../../shared/adapters/dynamodb/item-codec';
import { EventType } from '../../../shared/core/events';
import { newRolloutId } from '../../../shared/core/ids';
import type { Rollout } from '../../../shared/core/rollout';
import { RolloutStatus } from '../../../shared/core/status';
import { useDynalite } from '../../helpers/dynamodb';
import { advance, isoAt, makeRollout } from './rollout-factory';

const dynamo = useDynalite();

/** Every item of a partition, as [sk, item], straight from the table. */
async function partition(client: DynamoDBClient, tableName: string, pk: string) {
  const out = await client.send(
    new QueryCommand({ TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: pk } }, ConsistentRead: true }),
  );
  return (out.Items ?? []).map((item) => [item.sk?.S, item] as const);
}

/** Records every command the client sends, by name, with its input. */
function recordingClient() {
  const client = dynamo.newClient();
  const sent: { name: string; input: Record<string, any> }[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push({ name: String(context.commandName).replace(/Command$/, ''), input: args.input as Record<string, any> });
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  return { client, sent };
}

describe('DynamoRolloutStore queue', () => {
  it('reads the queue oldest first whatever the enqueue order, one entry per rollout', async () => {
    const { store } = await dynamo.newStore();
    const ids = [0, 1, 2, 3].map((i) => newRolloutId(new Date(Date.parse('2026-08-01T10:00:00Z') + i * 1000)));

    for (const id of [ids[2]!, ids[0]!, ids[3]!, ids[1]!, ids[0]!]) await store.enqueue('web', id);

    expect(await store.queued('web')).toEqual(ids);
    expect(await store.queued('api')).toEqual([]);
  });

  it('sees an entry at once after it is written and not at all once deleted; a delete of a missing entry is a no-op', async () => {
    const { store } = await dynamo.newStore();
    await store.enqueue('web', 'r-1');
    await store.enqueue('web', 'r-2');
    expect(await store.queued('web')).toEqual(['r-1', 'r-2']);

    await store.dequeue('web', 'r-1');
    await store.dequeue('web', 'r-1');
    await store.dequeue('web', 'r-9');

    expect(await store.queued('web')).toEqual(['r-2']);
  });

  it('keeps the queue beside the lock, apart from it, and reads it with one consistent Query', async () => {
    const { store, client, tableName } = await dynamo.newStore();
    await store.acquireLock('web', 'r-0');
    await store.enqueue('web', 'r-1');
    const recorded = recordingClient();
    const reader = new DynamoRolloutStore({ client: recorded.client, tableName });

    expect(await reader.queued('web')).toEqual(['r-1']);
    expect(await reader.lockHolder('web')).toBe('r-0');
    expect(recorded.sent.map((c) => c.name)).toEqual(['Query', 'GetItem']);
    expect(recorded.sent[0]!.input.ConsistentRead).toBe(true);
    expect(recorded.sent[0]!.input.IndexName).toBeUndefined();
    expect((await partition(client, tableName, 'SERVICE#web')).map(([sk]) => sk)).toEqual(['LOCK', 'QUEUE#r-1']);
  });

  it('reads a long queue whole and in order, written concurrently', async () => {
    const { store } = await dynamo.newStore();
    const ids = Array.from({ length: 120 }, (_, i) => `r-${String(i).padStart(4, '0')}`);
    await Promise.all(ids.map((id) => store.enqueue('web', id)));

    expect(await store.queued('web')).toEqual(ids);
  });
});

describe('DynamoRolloutStore active index', () => {
  it('lists a rollout from its create through progress, and not once a save ends it', async () => {
    const { store } = await dynamo.newStore();
    const created = makeRollout({ id: 'r-1' });
    await store.create(created);
    await store.create(makeRollout({ id: 'r-0', status: RolloutStatus.Rejected, wait: null }));
    expect(await store.listActive()).toEqual(['r-1']);

    const progressing = advance(created, { status: RolloutStatus.Progressing, wait: null }, [EventType.Started, 'started']);
    await store.save(progressing);
    const paused = advance(progressing, { status: RolloutStatus.Paused }, [EventType.Paused, 'paused']);
    await store.save(paused);
    expect(await store.listActive()).toEqual(['r-1']);

    await store.save(advance(paused, { status: RolloutStatus.Succeeded }, [EventType.Succeeded, 'done']));
    expect(await store.listActive()).toEqual([]);
  });

  it('keeps a FAILED rollout out, lists it again when an abort retries its rollback, and not once that ends', async () => {
    const { store } = await dynamo.newStore();
    const created = makeRollout({ id: 'r-1', status: RolloutStatus.RollingBack });
    await store.create(created);
    expect(await store.listActive()).toEqual(['r-1']);
    const failed = advance(created, { status: RolloutStatus.Failed }, [EventType.RollbackFailed, 'ECS down']);
    await store.save(failed);
    expect(await store.listActive()).toEqual([]);

    const retried = advance(failed, { status: RolloutStatus.RollingBack }, [EventType.Aborted, 'retry']);
    await store.save(retried);
    expect(await store.listActive()).toEqual(['r-1']);

    await store.save(advance(retried, { status: RolloutStatus.RolledBack }, [EventType.RolledBack, 'rolled back']));
    expect(await store.listActive()).toEqual([]);
  });

  it('costs no call of its own: the record carries the index keys while active, in its one PutItem', async () => {
    const { tableName } = await dynamo.newStore();
    const recorded = recordingClient();
    const store = new DynamoRolloutStore({ client: recorded.client, tableName });
    const writes = () => recorded.sent.map((c) => `${c.name} ${c.input.Item?.sk?.S ?? c.input.Key?.sk?.S} ${c.input.Item?.gsi3pk?.S ?? '-'}`);

    const created = makeRollout({ id: 'r-1' });
    await store.create(created);
    let r = created;
    for (const status of [RolloutStatus.Progressing, RolloutStatus.Paused, RolloutStatus.RollingBack, RolloutStatus.Failed, RolloutStatus.RollingBack, RolloutStatus.RolledBack]) {
      const next = advance(r, { status }, [EventType.Started, status]);
      await store.save(next, r);
      r = next;
    }
    expect(writes()).toEqual([
      'PutItem RECORD ACTIVE',
      'PutItem RECORD ACTIVE',
      'PutItem RECORD ACTIVE',
      'PutItem RECORD ACTIVE',
      'PutItem RECORD -',
      'PutItem RECORD ACTIVE',
      'PutItem RECORD -',
    ]);
    // The sort key is the listings' `<createdAt>#<id>`, and nothing is written in the legacy partition.
    const put = recorded.sent.find((c) => c.name === 'PutItem')!;
    expect(put.input.Item.gsi3sk).toEqual({ S: `${created.createdAt}#r-1` });
    expect(recorded.sent.some((c) => (c.input.Item ?? c.input.Key)?.pk?.S === 'ACTIVE')).toBe(false);
  });

  it("keeps the index through a wait's token: the token's UpdateItem leaves the keys as they are", async () => {
    const { store } = await dynamo.newStore();
    const created = makeRollout({ id: 'r-1', status: RolloutStatus.Paused, wait: { for: 'approval' } });
    await store.create(created);

    expect(await store.keepToken('r-1', created.version, 'tok-1', isoAt(2))).not.toBeNull();

    expect(await store.listActive()).toEqual(['r-1']);
  });

  it('lists from the keys-only index without ConsistentRead, and from the legacy partition with one consistent Query', async () => {
    const { client, tableName } = await dynamo.newStore();
    const writer = new DynamoRolloutStore({ client, tableName });
    for (const id of ['r-2', 'r-1', 'r-3']) await writer.create(makeRollout({ id, createdAt: isoAt(Number(id.slice(2))) }));
    const recorded = recordingClient();
    const reader = new DynamoRolloutStore({ client: recorded.client, tableName });

    expect(await reader.listActive()).toEqual(['r-1', 'r-2', 'r-3']);
    const queries = recorded.sent.filter((c) => c.name === 'Query').map((c) => c.input);
    expect(recorded.sent.map((c) => c.name)).toEqual(['Query', 'Query']);
    const onIndex = queries.find((q) => q.IndexName !== undefined)!;
    expect(onIndex.IndexName).toBe('byActive');
    expect(onIndex.ConsistentRead).toBeUndefined();
    expect(queries.find((q) => q.IndexName === undefined)).toMatchObject({ ConsistentRead: true, ExpressionAttributeValues: { ':pk': { S: 'ACTIVE' } } });
    // The index holds keys only: the table's and its own.
    const items = (await client.send(new QueryCommand({ TableName: tableName, IndexName: 'byActive', KeyConditionExpression: 'gsi3pk = :p', ExpressionAttributeValues: { ':p': { S: 'ACTIVE' } } }))).Items ?? [];
    expect(items.map((item) => Object.keys(item).sort())).toEqual(Array(3).fill(['gsi3pk', 'gsi3sk', 'pk', 'sk']));
  });

  it('is refused a consistent read of the index, as DynamoDB refuses one on any GSI', async () => {
    const { client, tableName } = await dynamo.newStore();
    const query = new QueryCommand({ TableName: tableName, IndexName: 'byActive', KeyConditionExpression: 'gsi3pk = :p', ExpressionAttributeValues: { ':p': { S: 'ACTIVE' } }, ConsistentRead: true });

    await expect(client.send(query)).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/Consistent reads are not supported on global secondary indexes/) });
  });

  describe('after an upgrade from the marker items', () => {
    /** What an earlier version wrote: a marker, and a record without the index keys. */
    async function legacyRollout(client: DynamoDBClient, tableName: string, rollout: Rollout | null, marker: { id: string; sinceVersion: number; markedAt: number }) {
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: { pk: { S: 'ACTIVE' }, sk: { S: marker.id }, rolloutId: { S: marker.id }, service: { S: 'web' }, sinceVersion: { N: String(marker.sinceVersion) }, markedAt: { N: String(marker.markedAt) } },
        }),
      );
      if (rollout === null) return;
      const { gsi3pk: _pk, gsi3sk: _sk, ...item } = recordItem(rollout, 0);
      await client.send(new PutItemCommand({ TableName: tableName, Item: item }));
    }

    it("lists a rollout an earlier version recorded, keeps it listed through this version's saves, and forgets its marker once it ended", async () => {
      const { client, tableName } = await dynamo.newStore();
      const store = new DynamoRolloutStore({ client, tableName });
      const old = makeRollout({ id: 'r-1', status: RolloutStatus.Progressing });
      await legacyRollout(client, tableName, old, { id: 'r-1', sinceVersion: 1, markedAt: Date.now() });
      await store.create(makeRollout({ id: 'r-2' }));

      expect(await store.listActive()).toEqual(['r-1', 'r-2']);
      expect(await store.forgetActive('r-1')).toBe(false);
      const paused = advance(old, { status: RolloutStatus.Paused }, [EventType.Paused, 'paused']);
      await store.save(paused);
      expect(await store.listActive()).toEqual(['r-1', 'r-2']);

      // The ending save takes the record out of the index; the marker stays until the watchdog's look.
      await store.save(advance(paused, { status: RolloutStatus.Succeeded }, [EventType.Succeeded, 'done']));
      expect(await store.listActive()).toEqual(['r-1', 'r-2']);
      expect(await store.forgetActive('r-1')).toBe(true);
      expect(await store.listActive()).toEqual(['r-2']);
      expect(await partition(client, tableName, 'ACTIVE')).toEqual([]);
    });

    it("drops a marker without a record once it is stale: a create may be on its way from an earlier version's process", async () => {
      let now = Date.parse('2026-08-01T10:00:00Z');
      const { client, tableName } = await dynamo.newStore();
      const store = new DynamoRolloutStore({ client, tableName, now: () => new Date(now), staleMarkerSeconds: 60 });
      await legacyRollout(client, tableName, null, { id: 'r-1', sinceVersion: 1, markedAt: now });

      expect(await store.listActive()).toEqual(['r-1']);
      expect(await store.forgetActive('r-1')).toBe(false);
      now += 61_000;
      expect(await store.forgetActive('r-1')).toBe(true);
      expect(await store.listActive()).toEqual([]);
    });

    it('never forgets the marker of a re-activation newer than the ended record it read, nor a rollout the index lists alone', async () => {
      const { client, tableName } = await dynamo.newStore();
      const store = new DynamoRolloutStore({ client, tableName });
      // r-1 FAILED at version 2; an earlier version's abort wrote its marker for version 3 and has not saved yet.
      const failed = makeRollout({ id: 'r-1', status: RolloutStatus.Failed, version: 2 });
      await legacyRollout(client, tableName, failed, { id: 'r-1', sinceVersion: 3, markedAt: Date.now() });
      const active = makeRollout({ id: 'r-2', status: RolloutStatus.Progressing });
      await store.create(active);

      expect(await store.listActive()).toEqual(['r-1', 'r-2']);
      expect(await store.forgetActive('r-1')).toBe(false);
      expect(await store.forgetActive('r-2')).toBe(false);
      expect(await store.forgetActive('r-9')).toBe(false);
      expect(await store.listActive()).toEqual(['r-1', 'r-2']);
    });
  });
});
