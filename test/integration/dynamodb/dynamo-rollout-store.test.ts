import { QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoRolloutStore } from '../../../shared/adapters/dynamodb/dynamo-rollout-store';
import { EventType } from '../../../shared/core/events';
import { RolloutStatus, StepStatus } from '../../../shared/core/status';
import { RolloutNotFoundError, VersionConflictError } from '../../../shared/errors';
import { useDynalite } from '../../helpers/dynamodb';
import { advance, event, isoAt, makeRollout } from './rollout-factory';

const dynamo = useDynalite();

/** The event items actually in the table, bypassing the store's merge of `recentEvents`. */
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

/** A store over a client that "dies" right after writing a record: its event puts that follow fail. */
function dyingStore(tableName: string): DynamoRolloutStore {
  const client = dynamo.newClient();
  let recordWritten = false;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const sk = (args.input as { Item?: { sk?: { S?: string } } }).Item?.sk?.S;
      if (context.commandName === 'PutItemCommand' && recordWritten && sk?.startsWith('EVENT#')) {
        throw new Error('simulated crash before the event items were written');
      }
      const result = await next(args);
      if (context.commandName === 'PutItemCommand' && sk === 'RECORD') recordWritten = true;
      return result;
    },
    { step: 'initialize', name: 'dieAfterRecordWrite' },
  );
  return new DynamoRolloutStore({ client, tableName });
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

  it('appends the new events and bumps the version when saved with the next version', async () => {
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
    expect((await loggedEvents(client, tableName, v1.id)).map((e) => e.sk)).toEqual([
      'EVENT#000000',
      'EVENT#000001',
      'EVENT#000002',
      'EVENT#000003',
    ]);
  });

  it('rejects a stale save with a VersionConflictError and writes nothing', async () => {
    const { store, client, tableName } = await dynamo.newStore();
    const v1 = makeRollout();
    await store.create(v1);
    const v2 = advance(v1, { status: RolloutStatus.Progressing }, [EventType.Started, 'started']);
    await store.save(v2);
    const stale = advance(v1, { status: RolloutStatus.Rejected }, [EventType.Rejected, 'from an old read']);

    await expect(store.save(stale)).rejects.toBeInstanceOf(VersionConflictError);

    expect(await store.get(v1.id)).toStrictEqual(v2);
    expect((await loggedEvents(client, tableName, v1.id)).map((e) => e.doc)).toEqual(v2.events);
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

  it('still returns the events of a create that died before writing its event items', async () => {
    const { store, client, tableName } = await dynamo.newStore();
    const v1 = makeRollout({ events: [event(0, EventType.Created, 'created'), event(1, EventType.Queued, 'queued')] });

    await expect(dyingStore(tableName).create(v1)).rejects.toThrow('simulated crash');

    expect(await loggedEvents(client, tableName, v1.id)).toEqual([]);
    expect(await store.get(v1.id)).toStrictEqual(v1);
  });

  it('returns the events of a save that died before writing their items, and the next save writes them', async () => {
    const { store, client, tableName } = await dynamo.newStore();
    const v1 = makeRollout();
    await store.create(v1);
    const v2 = advance(v1, { status: RolloutStatus.Progressing }, [EventType.Started, 'started'], [
      EventType.CanaryCreated,
      'canary ts-2',
    ]);

    await expect(dyingStore(tableName).save(v2)).rejects.toThrow('simulated crash');

    expect((await loggedEvents(client, tableName, v1.id)).map((e) => e.doc)).toEqual(v1.events);
    expect(await store.get(v1.id)).toStrictEqual(v2);
    const v3 = advance(v2, { canaryWeight: 20 }, [EventType.WeightSet, 'canary at 20%']);
    await store.save(v3);
    expect((await loggedEvents(client, tableName, v1.id)).map((e) => e.doc)).toEqual(v3.events);
    expect(await store.get(v1.id)).toStrictEqual(v3);
  });

  it('never rewrites a stored event, whatever a later save carries for it', async () => {
    const { store, client, tableName } = await dynamo.newStore();
    const v1 = makeRollout();
    await store.create(v1);
    const v2 = advance(v1, {}, [EventType.Started, 'started']);
    const tampered = { ...v2, events: v2.events.map((e) => (e.seq === 0 ? { ...e, message: 'rewritten' } : e)) };

    await store.save(tampered);

    expect((await store.get(v1.id)).events).toStrictEqual(v2.events);
    expect((await loggedEvents(client, tableName, v1.id)).map((e) => e.doc)).toEqual(v2.events);
  });

  it('throws RolloutNotFoundError when saving a rollout that was never created', async () => {
    const { store } = await dynamo.newStore();

    await expect(store.save(advance(makeRollout(), {}))).rejects.toBeInstanceOf(RolloutNotFoundError);
  });
});
