/**
 * The two items every decision reads instead of an index: the per-service queue beside the lock, and
 * the index of active rollouts. Both are read with ConsistentRead Queries of the base table; dynalite
 * is read-after-write either way, so these pin the items, their order and their crash behaviour.
 */
import { QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoRolloutStore } from '../../../shared/adapters/dynamodb/dynamo-rollout-store';
import { EventType } from '../../../shared/core/events';
import { newRolloutId } from '../../../shared/core/ids';
import { RolloutStatus } from '../../../shared/core/status';
import { useDynalite } from '../../helpers/dynamodb';
import { advance, makeRollout } from './rollout-factory';

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

/** A client whose writes of the given kind fail: a crash of the process at that point. */
function crashingClient(fails: (name: string, input: Record<string, any>) => boolean) {
  const client = dynamo.newClient();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (fails(String(context.commandName), args.input as Record<string, any>)) throw new Error('simulated crash');
      return next(args);
    },
    { step: 'initialize', name: 'crash' },
  );
  return client;
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

  it('keeps a FAILED rollout out, and lists it again when an abort retries its rollback', async () => {
    const { store } = await dynamo.newStore();
    const created = makeRollout({ id: 'r-1', status: RolloutStatus.RollingBack });
    await store.create(created);
    const failed = advance(created, { status: RolloutStatus.Failed }, [EventType.RollbackFailed, 'ECS down']);
    await store.save(failed);
    expect(await store.listActive()).toEqual([]);

    await store.save(advance(failed, { status: RolloutStatus.RollingBack }, [EventType.Aborted, 'retry']));

    expect(await store.listActive()).toEqual(['r-1']);
  });

  it('touches the marker only on create and when a save crosses between active and ended', async () => {
    const { tableName } = await dynamo.newStore();
    const recorded = recordingClient();
    const store = new DynamoRolloutStore({ client: recorded.client, tableName });
    const touches = () => recorded.sent.filter((c) => (c.input.Item ?? c.input.Key)?.pk?.S === 'ACTIVE').map((c) => c.name);

    const created = makeRollout({ id: 'r-1' });
    await store.create(created);
    expect(touches()).toEqual(['PutItem']);
    let r = created;
    for (const status of [RolloutStatus.Pending, RolloutStatus.Progressing, RolloutStatus.Paused, RolloutStatus.Progressing, RolloutStatus.RollingBack]) {
      r = advance(r, { status }, [EventType.Started, status]);
      await store.save(r);
    }
    expect(touches()).toEqual(['PutItem']);
    await store.save(advance(r, { status: RolloutStatus.RolledBack }, [EventType.RolledBack, 'rolled back']));
    expect(touches()).toEqual(['PutItem', 'DeleteItem']);
    // A save that stays active costs what it cost before the index: no marker call.
    const other = makeRollout({ id: 'r-2' });
    await store.create(other);
    recorded.sent.length = 0;
    await store.save(advance(other, { status: RolloutStatus.Progressing }, [EventType.Started, 'started']));
    expect(touches()).toEqual([]);
    expect(recorded.sent.filter((c) => c.name !== 'PutItem' || c.input.Item?.sk?.S !== 'RECORD').every((c) => c.name === 'GetItem' || c.input.Item?.sk?.S?.startsWith('EVENT#'))).toBe(true);
  });

  it('writes the marker before the record on create: a crash in between leaves a marker, which forgetActive drops once stale', async () => {
    let now = Date.parse('2026-08-01T10:00:00Z');
    const { tableName } = await dynamo.newStore();
    const dying = new DynamoRolloutStore({
      client: crashingClient((name, input) => name === 'PutItemCommand' && input.Item?.sk?.S === 'RECORD'),
      tableName,
      now: () => new Date(now),
    });
    const store = new DynamoRolloutStore({ client: dynamo.client, tableName, now: () => new Date(now), staleMarkerSeconds: 60 });

    await expect(dying.create(makeRollout({ id: 'r-1' }))).rejects.toThrow('simulated crash');
    expect(await store.listActive()).toEqual(['r-1']);

    // The record may still be on its way: too recent to judge.
    expect(await store.forgetActive('r-1')).toBe(false);
    now += 61_000;
    expect(await store.forgetActive('r-1')).toBe(true);
    expect(await store.listActive()).toEqual([]);
  });

  it('deletes the marker after the ending save: a crash in between leaves a marker, which forgetActive drops at once', async () => {
    const { tableName } = await dynamo.newStore();
    const store = new DynamoRolloutStore({ client: dynamo.client, tableName });
    const created = makeRollout({ id: 'r-1', status: RolloutStatus.Progressing });
    await store.create(created);
    const dying = new DynamoRolloutStore({
      client: crashingClient((name, input) => name === 'DeleteItemCommand' && input.Key?.pk?.S === 'ACTIVE'),
      tableName,
    });

    await expect(dying.save(advance(created, { status: RolloutStatus.Succeeded }, [EventType.Succeeded, 'done']))).rejects.toThrow('simulated crash');
    expect((await store.get('r-1')).status).toBe(RolloutStatus.Succeeded);
    expect(await store.listActive()).toEqual(['r-1']);

    expect(await store.forgetActive('r-1')).toBe(true);
    expect(await store.listActive()).toEqual([]);
  });

  it('never forgets an active rollout, nor the marker of a re-activation newer than the ended record it read', async () => {
    const { tableName } = await dynamo.newStore();
    const store = new DynamoRolloutStore({ client: dynamo.client, tableName });
    const active = makeRollout({ id: 'r-1', status: RolloutStatus.Progressing });
    await store.create(active);
    expect(await store.forgetActive('r-1')).toBe(false);

    // r-2 FAILED at version 2; an abort's save to version 3 wrote its marker and died before the record.
    const rb = makeRollout({ id: 'r-2', status: RolloutStatus.RollingBack });
    await store.create(rb);
    const failed = advance(rb, { status: RolloutStatus.Failed }, [EventType.RollbackFailed, 'ECS down']);
    await store.save(failed);
    const dying = new DynamoRolloutStore({
      client: crashingClient((name, input) => name === 'PutItemCommand' && input.Item?.sk?.S === 'RECORD'),
      tableName,
    });
    await expect(dying.save(advance(failed, { status: RolloutStatus.RollingBack }, [EventType.Aborted, 'retry']))).rejects.toThrow('simulated crash');

    expect(await store.listActive()).toEqual(['r-1', 'r-2']);
    expect(await store.forgetActive('r-2')).toBe(false);
    expect(await store.forgetActive('r-9')).toBe(false);
    expect(await store.listActive()).toEqual(['r-1', 'r-2']);
  });

  it('a late delete of an ended save never removes the marker of a later re-activation', async () => {
    const { client, tableName } = await dynamo.newStore();
    const store = new DynamoRolloutStore({ client, tableName });
    const rb = makeRollout({ id: 'r-1', status: RolloutStatus.RollingBack });
    await store.create(rb);
    // The save to FAILED lands, its marker delete is held back...
    let releaseDelete!: () => void;
    const held = new Promise<void>((resolve) => (releaseDelete = resolve));
    const slow = dynamo.newClient();
    slow.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'DeleteItemCommand') await held;
        return next(args);
      },
      { step: 'initialize', name: 'slowDelete' },
    );
    const failed = advance(rb, { status: RolloutStatus.Failed }, [EventType.RollbackFailed, 'ECS down']);
    const saving = new DynamoRolloutStore({ client: slow, tableName }).save(failed);
    await expect.poll(async () => (await store.get('r-1')).status).toBe(RolloutStatus.Failed);
    // ...while an abort takes it back to ROLLING_BACK and marks it again.
    await store.save(advance(failed, { status: RolloutStatus.RollingBack }, [EventType.Aborted, 'retry']));
    releaseDelete();
    await saving;

    expect(await store.listActive()).toEqual(['r-1']);
    const [[, marker]] = (await partition(client, tableName, 'ACTIVE')) as [[string, Record<string, any>]];
    expect(marker.sinceVersion).toEqual({ N: '3' });
  });
});
