/**
 * Local mode's persisted table from an earlier version (no `byActive` index, the active rollouts named
 * by marker items) is rebuilt with the design at start, every item kept, and the rollouts it recorded
 * stay in the watchdog's view; a rebuild cut short is finished from its file at the next start.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DeleteTableCommand, DescribeTableCommand, PutItemCommand, ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { startDynalite, type RunningDynalite } from '../../../local/dynamodb/dynalite-server';
import { DynamoRolloutStore } from '../../../shared/adapters/dynamodb/dynamo-rollout-store';
import { recordItem } from '../../../shared/adapters/dynamodb/item-codec';
import { BY_ACTIVE_INDEX, createTableInput } from '../../../shared/adapters/dynamodb/table-design';
import { EventType } from '../../../shared/core/events';
import { RolloutStatus } from '../../../shared/core/status';
import { waitFor } from '../../helpers/http';
import { advance, makeRollout } from './rollout-factory';

const running: RunningDynalite[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const dynamo of running.splice(0)) await dynamo.close().catch(() => undefined);
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function storePath(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dynalite-rebuild-'));
  dirs.push(dir);
  return join(dir, 'db');
}

async function start(path: string): Promise<RunningDynalite> {
  const dynamo = await startDynalite({ path, tableName: 'rollouts' });
  running.push(dynamo);
  return dynamo;
}

async function stop(dynamo: RunningDynalite): Promise<void> {
  running.splice(running.indexOf(dynamo), 1);
  await dynamo.close();
}

/** The table as an earlier version created it: the design without `byActive`. */
async function earlierTable(client: DynamoDBClient): Promise<void> {
  await client.send(new DeleteTableCommand({ TableName: 'rollouts' }));
  // As in DynamoDB, a table is gone, and a new one usable, only some time after the call (dynalite: a tick).
  await waitFor('the earlier table to be gone', async () => client.send(new DescribeTableCommand({ TableName: 'rollouts' })).then(() => false, () => true), 5_000, 10);
  const design = createTableInput('rollouts');
  const gsi3 = [BY_ACTIVE_INDEX.partitionKey, BY_ACTIVE_INDEX.sortKey] as string[];
  await client.send(
    new CreateTableCommand({
      ...design,
      AttributeDefinitions: design.AttributeDefinitions!.filter((a) => !gsi3.includes(a.AttributeName!)),
      GlobalSecondaryIndexes: design.GlobalSecondaryIndexes!.filter((i) => i.IndexName !== BY_ACTIVE_INDEX.name),
    }),
  );
  await waitFor('the earlier table to be ACTIVE', async () => (await client.send(new DescribeTableCommand({ TableName: 'rollouts' }))).Table?.TableStatus === 'ACTIVE', 5_000, 10);
}

const marker = (id: string): Record<string, AttributeValue> => ({
  pk: { S: 'ACTIVE' },
  sk: { S: id },
  rolloutId: { S: id },
  service: { S: 'web' },
  sinceVersion: { N: '1' },
  markedAt: { N: String(Date.now()) },
});

async function items(client: DynamoDBClient): Promise<Record<string, AttributeValue>[]> {
  const out = await client.send(new ScanCommand({ TableName: 'rollouts', ConsistentRead: true }));
  return (out.Items ?? []).sort((a, b) => `${a['pk']!.S}/${a['sk']!.S}`.localeCompare(`${b['pk']!.S}/${b['sk']!.S}`));
}

describe("local mode's table from an earlier version", () => {
  it('is rebuilt with the active index at start, every item kept, and its active rollouts stay listed until they end', async () => {
    const path = await storePath();
    const first = await start(path);
    await earlierTable(first.client);
    const old = makeRollout({ id: 'r-1', status: RolloutStatus.Progressing });
    const { gsi3pk: _pk, gsi3sk: _sk, ...oldRecord } = recordItem(old, 0);
    await first.client.send(new PutItemCommand({ TableName: 'rollouts', Item: oldRecord }));
    await first.client.send(new PutItemCommand({ TableName: 'rollouts', Item: marker('r-1') }));
    await new DynamoRolloutStore({ client: first.client, tableName: 'rollouts' }).acquireLock('web', 'r-1');
    const before = await items(first.client);
    await stop(first);

    const second = await start(path);

    const { Table } = await second.client.send(new DescribeTableCommand({ TableName: 'rollouts' }));
    expect(Table?.GlobalSecondaryIndexes?.map((i) => [i.IndexName, i.IndexStatus])).toEqual([
      ['byService', 'ACTIVE'],
      ['byCreated', 'ACTIVE'],
      ['byActive', 'ACTIVE'],
    ]);
    expect(await items(second.client)).toEqual(before);
    expect(existsSync(`${path}.rebuild.json`)).toBe(false);
    const store = new DynamoRolloutStore({ client: second.client, tableName: 'rollouts' });
    expect(await store.get('r-1')).toStrictEqual(old);
    expect(await store.listActive()).toEqual(['r-1']);
    await store.save(advance(old, { status: RolloutStatus.Succeeded }, [EventType.Succeeded, 'done']));
    expect(await store.forgetActive('r-1')).toBe(true);
    expect(await store.listActive()).toEqual([]);
    await stop(second);

    // The next start finds the design in place: nothing is rebuilt, nothing lost.
    const third = await start(path);
    expect((await new DynamoRolloutStore({ client: third.client, tableName: 'rollouts' }).get('r-1')).status).toBe(RolloutStatus.Succeeded);
  });

  it('finishes a rebuild cut short from its file: the items it saved are all written back', async () => {
    const path = await storePath();
    const first = await start(path);
    const a = recordItem(makeRollout({ id: 'r-1' }), 0);
    const b = marker('r-2');
    // Cut short while writing the items back: the new table holds only some of them.
    await first.client.send(new PutItemCommand({ TableName: 'rollouts', Item: a }));
    await stop(first);
    await writeFile(`${path}.rebuild.json`, JSON.stringify([a, b]));

    const second = await start(path);

    expect((await items(second.client)).map((i) => `${i['pk']!.S}/${i['sk']!.S}`)).toEqual(['ACTIVE/r-2', 'ROLLOUT#r-1/RECORD']);
    expect(existsSync(`${path}.rebuild.json`)).toBe(false);
    expect(await new DynamoRolloutStore({ client: second.client, tableName: 'rollouts' }).listActive()).toEqual(['r-1', 'r-2']);
  });
});
