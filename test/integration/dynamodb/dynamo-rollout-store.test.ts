import { GetItemCommand, PutItemCommand, QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoRolloutStore } from '../../../shared/adapters/dynamodb/dynamo-rollout-store';
import { EventType } from '../../../shared/core/events';
import { RolloutStatus, StepStatus } from '../../../shared/core/status';
import { RolloutNotFoundError, VersionConflictError } from '../../../shared/errors';
import { useDynalite } from '../../helpers/dynamodb';
import { advance, event, isoAt, makeRollout } from './rollout-factory';

const dynamo = useDynalite();

/** The event items actually in the table (a long log's oldest events), bypassing the store. */
async function loggedEvents(client: DynamoDBClient, tableName: string, id: string) {
  const out = await client.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :e)',
      ExpressionAttributeValues: { ':pk': { S: `ROLLOUT#${id}` }, ':e': { S: 'EVENT#' } },
      ConsistentRead: true,
    }),
  );
  return (out.Items ?? []).map((item) => ({ sk: item.sk?.S, doc: JSON.parse(item.doc?.S ?? 'null') as unknown }));
}

/** A store over its own client, with the commands it sends, by name. */
function countingStore(tableName: string) {
  const client = dynamo.newClient();
  const sent: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push((context.commandName ?? '?').replace(/Command$/, ''));
      return next(args);
    },
    { step: 'initialize', name: 'countCommands' },
  );
  return { store: new DynamoRolloutStore({ client, tableName }), sent };
}

describe('DynamoRolloutStore records', () => {
  it('returns a created rollout deep-equal to what was written, nulls, nested steps and events included', async () => {
    const { store } = await dynamo.newStore();
    const rollout = makeRollout({
      status: RolloutStatus.Paused,
      previousDigest: `sha256:${'b'.repeat(64)}`,
      canaryWeight: 20,
      currentStep: 2,
      approvals: [{ by: 'ana', credential: 'ROLLOUT_API_TOKEN', comment: null, at: isoAt(50), step: 2 }],
      signature: {
        type: 'cosign-key',
        key: 'keys/web.pub',
        keyFingerprint: 'f'.repeat(64),
        signatureManifest: null,
        dockerReference: '127.0.0.1:5000/team/web',
        verifiedAt: isoAt(1),
      },
      wait: { for: 'lock', behind: null },
      ecs: { stableTaskSetId: 'ts-1', canaryTaskSetId: null, taskDefinitionArn: 'arn:aws:ecs:td/web:2' },
      taskToken: 'token with "quotes" and ünïcode',
      events: [event(0, EventType.Created, 'created'), event(1, EventType.SignatureVerified, 'verified')],
    });

    await store.create(rollout);

    expect(await store.get(rollout.id)).toStrictEqual(rollout);
  });

  it('refuses to create a rollout whose id exists with a VersionConflictError', async () => {
    const { store } = await dynamo.newStore();
    await store.create(makeRollout());

    await expect(store.create(makeRollout({ service: 'other' }))).rejects.toBeInstanceOf(VersionConflictError);
    expect((await store.get('r-0001')).service).toBe('web');
  });

  it('throws RolloutNotFoundError for an id that was never created', async () => {
    const { store } = await dynamo.newStore();

    await expect(store.get('missing')).rejects.toBeInstanceOf(RolloutNotFoundError);
  });

  it('appends the new events and bumps the version when saved with the next version, all in the one record item', async () => {
    const { store, client, tableName } = await dynamo.newStore();
    const v1 = makeRollout();
    await store.create(v1);
    const v2 = advance(v1, { status: RolloutStatus.Progressing, canaryWeight: 20, currentStep: 0 }, [
      EventType.Started,
      'started',
    ], [EventType.WeightSet, 'canary at 20%']);
    const v3 = advance(
      v2,
      { steps: v2.steps.map((s, i) => (i === 0 ? { ...s, status: StepStatus.Completed, completedAt: isoAt(99) } : s)) },
      [EventType.StepCompleted, 'step 0 done'],
    );

    await store.save(v2);
    await store.save(v3);

    const stored = await store.get(v1.id);
    expect(stored).toStrictEqual(v3);
    expect(stored.version).toBe(3);
    expect(await loggedEvents(client, tableName, v1.id)).toEqual([]);
  });

  it('saves with one PutItem and reads with one GetItem, never reading back what it wrote', async () => {
    const { tableName } = await dynamo.newStore();
    const { store, sent } = countingStore(tableName);
    const v1 = makeRollout();
    await store.create(v1);
    const v2 = advance(v1, { status: RolloutStatus.Progressing }, [EventType.Started, 'started'], [EventType.WeightSet, 'canary at 20%']);
    const v3 = advance(v2, { canaryWeight: 20 }, [EventType.StepCompleted, 'step 0 done']);
    sent.length = 0;

    await store.save(v2, v1);
    await store.save(v3, v2);
    expect(sent).toEqual(['PutItem', 'PutItem']);
    expect(await store.get(v1.id)).toStrictEqual(v3);
    expect(sent).toEqual(['PutItem', 'PutItem', 'GetItem']);
  });

  it('keeps a wait\'s token with one UpdateItem on the version it names, answering the record; another version changes nothing', async () => {
    const { tableName } = await dynamo.newStore();
    const { store, sent } = countingStore(tableName);
    const v1 = makeRollout();
    await store.create(v1);
    const v2 = advance(v1, { status: RolloutStatus.Progressing, canaryWeight: 20, wait: { for: 'steady', since: isoAt(5) } }, [EventType.WeightSet, 'canary at 20%']);
    await store.save(v2, v1);
    sent.length = 0;

    const kept = await store.keepToken(v1.id, 2, 'token-1', isoAt(30));
    const v3 = { ...v2, taskToken: 'token-1', version: 3, updatedAt: isoAt(30) };
    expect(kept).toStrictEqual(v3);
    expect(sent).toEqual(['UpdateItem']);
    expect(await store.get(v1.id)).toStrictEqual(v3);
    expect(await store.keepToken(v1.id, 2, 'token-2', isoAt(40))).toBeNull();
    expect(await store.get(v1.id)).toStrictEqual(v3);

    // A save forgets the token (the record is written whole); the events stay whole.
    const v4 = advance(v3, { taskToken: null, wait: null }, [EventType.StepCompleted, 'step 0 done']);
    await store.save(v4, v3);
    expect(await store.get(v1.id)).toStrictEqual(v4);
  });

  it('rejects a stale save with a VersionConflictError and writes nothing', async () => {
    const { store } = await dynamo.newStore();
    const v1 = makeRollout();
    await store.create(v1);
    const v2 = advance(v1, { status: RolloutStatus.Progressing }, [EventType.Started, 'started']);
    await store.save(v2);
    const stale = advance(v1, { status: RolloutStatus.Rejected }, [EventType.Rejected, 'from an old read']);

    await expect(store.save(stale)).rejects.toBeInstanceOf(VersionConflictError);

    expect(await store.get(v1.id)).toStrictEqual(v2);
    await expect(store.save(stale, v1)).rejects.toBeInstanceOf(VersionConflictError);
    expect(await store.get(v1.id)).toStrictEqual(v2);
  });

  it('lets exactly one of two concurrent writers of the same version win', async () => {
    const { store, tableName } = await dynamo.newStore();
    const other = new DynamoRolloutStore({ client: dynamo.newClient(), tableName });
    const v1 = makeRollout();
    await store.create(v1);
    const [a, b] = await Promise.all([store.get(v1.id), other.get(v1.id)]);
    const fromA = advance(a, { status: RolloutStatus.Progressing }, [EventType.Started, 'writer A']);
    const fromB = advance(b, { status: RolloutStatus.Rejected }, [EventType.Rejected, 'writer B']);

    const results = await Promise.allSettled([store.save(fromA), other.save(fromB)]);

    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]?.reason).toBeInstanceOf(VersionConflictError);
    const winner = results[0]?.status === 'fulfilled' ? fromA : fromB;
    expect(await store.get(v1.id)).toStrictEqual(winner);
  });

  it('moves the oldest events of a long log into event items a chunk at a time, and still returns the whole log', async () => {
    const { tableName, client } = await dynamo.newStore();
    const { store, sent } = countingStore(tableName);
    let r = makeRollout();
    await store.create(r);
    // About 10 KiB an event: a 128 KiB chunk every 13 events.
    for (let i = 0; i < 40; i++) {
      const next = advance(r, { canaryWeight: i % 100 }, [EventType.WeightSet, `weight ${i} ${'x'.repeat(10_000)}`]);
      await store.save(next, r);
      r = next;
    }

    expect(await store.get(r.id)).toStrictEqual(r);
    const items = await loggedEvents(client, tableName, r.id);
    expect(items.length).toBeGreaterThanOrEqual(26);
    expect(items.map((e) => e.doc)).toEqual(r.events.slice(0, items.length));
    const record = await client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: `ROLLOUT#${r.id}` }, sk: { S: 'RECORD' } } }));
    expect(record.Item?.events?.S?.length).toBeLessThan(300 * 1024);
    // Each event item is written once: a chunk's items by the save that first leaves them out.
    expect(sent.filter((c) => c === 'BatchWriteItem').length).toBeLessThanOrEqual(Math.ceil(items.length / 13) + 1);
    const listed = await store.list({ service: 'web' });
    expect(listed.items).toStrictEqual([r]);
  });

  it('reads a record of the earlier shape (events in items, the last save\'s in recentEvents) and saves it in the new one', async () => {
    const { store, client, tableName } = await dynamo.newStore();
    const v1 = advance(makeRollout(), { status: RolloutStatus.Progressing }, [EventType.Started, 'started'], [EventType.CanaryCreated, 'canary ts-2']);
    const { events: _events, version, ...rest } = v1;
    const key = { pk: { S: `ROLLOUT#${v1.id}` }, sk: { S: 'RECORD' } };
    await client.send(new PutItemCommand({ TableName: tableName, Item: { ...key, gsi1pk: { S: 'SERVICE#web' }, gsi1sk: { S: `${v1.createdAt}#${v1.id}` }, gsi2pk: { S: 'ROLLOUT' }, gsi2sk: { S: `${v1.createdAt}#${v1.id}` }, status: { S: v1.status }, version: { N: String(version) }, eventCount: { N: '3' }, doc: { S: JSON.stringify(rest) }, recentEvents: { S: JSON.stringify(v1.events.slice(2)) } } }));
    for (const e of v1.events.slice(0, 2)) {
      await client.send(new PutItemCommand({ TableName: tableName, Item: { pk: key.pk, sk: { S: `EVENT#${String(e.seq).padStart(6, '0')}` }, doc: { S: JSON.stringify(e) } } }));
    }

    expect(await store.get(v1.id)).toStrictEqual(v1);
    const v2 = advance(v1, { canaryWeight: 20 }, [EventType.WeightSet, 'canary at 20%']);
    await store.save(v2, v1);
    expect(await store.get(v1.id)).toStrictEqual(v2);
    const record = await client.send(new GetItemCommand({ TableName: tableName, Key: key }));
    expect(JSON.parse(record.Item?.events?.S ?? '[]')).toEqual(v2.events);
  });

  it('never rewrites a stored event, whatever a later save carries for it', async () => {
    const { store } = await dynamo.newStore();
    const v1 = makeRollout();
    await store.create(v1);
    const v2 = advance(v1, {}, [EventType.Started, 'started']);
    const tampered = { ...v2, events: v2.events.map((e) => (e.seq === 0 ? { ...e, message: 'rewritten' } : e)) };

    await store.save(tampered);

    expect((await store.get(v1.id)).events).toStrictEqual(v2.events);
  });

  it('throws RolloutNotFoundError when saving a rollout that was never created', async () => {
    const { store } = await dynamo.newStore();

    await expect(store.save(advance(makeRollout(), {}))).rejects.toBeInstanceOf(RolloutNotFoundError);
  });
});
