import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteItemCommand, DescribeTableCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { startDynalite, type RunningDynalite } from '../../../local/dynamodb/dynalite-server';
import { DynamoRolloutStore } from '../../../shared/adapters/dynamodb/dynamo-rollout-store';
import { RolloutNotFoundError } from '../../../shared/errors';
import { makeRollout } from './rollout-factory';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(options: Parameters<typeof startDynalite>[0]): Promise<RunningDynalite> {
  const running = await startDynalite(options);
  let closed = false;
  const close = async () => {
    if (!closed) await running.close();
    closed = true;
  };
  cleanups.push(close);
  return { ...running, close };
}

describe('startDynalite', () => {
  it('serves on a loopback ephemeral port with the table and its three indexes ACTIVE', async () => {
    const dynamo = await start({ tableName: 'rollouts' });

    const { Table } = await dynamo.client.send(new DescribeTableCommand({ TableName: 'rollouts' }));

    expect(dynamo.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.GlobalSecondaryIndexes?.map((i) => [i.IndexName, i.IndexStatus])).toEqual([
      ['byService', 'ACTIVE'],
      ['byCreated', 'ACTIVE'],
      ['byActive', 'ACTIVE'],
    ]);
  });

  it('refuses a DeleteItem ReturnValues DynamoDB refuses (only NONE and ALL_OLD), as DynamoDB does', async () => {
    const dynamo = await start({ tableName: 'rollouts' });
    const Key = { pk: { S: 'SERVICE#web' }, sk: { S: 'LOCK' } };
    await dynamo.client.send(new PutItemCommand({ TableName: 'rollouts', Item: { ...Key, rolloutId: { S: 'r1' } } }));
    for (const ReturnValues of ['ALL_NEW', 'UPDATED_OLD', 'UPDATED_NEW'] as const) {
      await expect(dynamo.client.send(new DeleteItemCommand({ TableName: 'rollouts', Key, ReturnValues }))).rejects.toMatchObject({
        name: 'ValidationException',
        message: 'ReturnValues can only be ALL_OLD or NONE',
      });
    }
    const deleted = await dynamo.client.send(new DeleteItemCommand({ TableName: 'rollouts', Key, ReturnValues: 'ALL_OLD' }));
    expect(deleted.Attributes?.['rolloutId']).toEqual({ S: 'r1' });
  });

  it('keeps the data across a close and a restart on the same path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dynalite-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'db');
    const rollout = makeRollout();

    const first = await start({ path, tableName: 'rollouts' });
    const store = new DynamoRolloutStore({ client: first.client, tableName: first.tableName });
    await store.create(rollout);
    await store.acquireLock('web', rollout.id);
    await first.close();

    const second = await start({ path, tableName: 'rollouts' });
    const reopened = new DynamoRolloutStore({ client: second.client, tableName: second.tableName });

    expect(await reopened.get(rollout.id)).toStrictEqual(rollout);
    expect(await reopened.lockHolder('web')).toBe(rollout.id);
    expect((await reopened.list({})).items).toStrictEqual([rollout]);
  });

  it('starts independent in-memory servers side by side', async () => {
    const [a, b] = await Promise.all([start({ tableName: 'rollouts' }), start({ tableName: 'rollouts' })]);
    await new DynamoRolloutStore({ client: a.client, tableName: 'rollouts' }).create(makeRollout());

    const other = new DynamoRolloutStore({ client: b.client, tableName: 'rollouts' });

    expect(a.endpoint).not.toBe(b.endpoint);
    await expect(other.get('r-0001')).rejects.toBeInstanceOf(RolloutNotFoundError);
  });
});
