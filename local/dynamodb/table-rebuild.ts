/**
 * Local mode's table gains an index a newer version's design adds (docs/architecture.md, "Upgrading
 * from the marker items"). In AWS the stack's update adds a GSI to the table in place; dynalite's
 * UpdateTable cannot create one, so a persisted table that lacks an index of the design is rebuilt:
 * every item read, the table deleted and created again with the design, the items written back as they
 * were (records of an earlier version keep their shape, which the store reads as in AWS).
 *
 * The items are first written to a file beside the store (`<path>.rebuild.json`), removed once the new
 * table holds them all: a process that dies in the middle finds the file at its next start and
 * finishes the rebuild from it, so no item is lost.
 */
import { existsSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  ResourceNotFoundException,
  ScanCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { Item } from '../../shared/adapters/dynamodb/item-codec';
import { putAll } from '../../shared/adapters/dynamodb/put-all';
import { createTableInput } from '../../shared/adapters/dynamodb/table-design';

/** The indexes of the design the table lacks (none: nothing to rebuild). */
export async function missingIndexes(client: DynamoDBClient, tableName: string): Promise<string[]> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const present = new Set((Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  return (createTableInput(tableName).GlobalSecondaryIndexes ?? []).map((index) => index.IndexName!).filter((name) => !present.has(name));
}

/**
 * Rebuilds the table with the design, keeping every item. `rebuildFile`: where the items wait while
 * the table is rebuilt (a persisted store); without it (an in-memory store) they wait in memory only.
 */
export async function rebuildTable(client: DynamoDBClient, tableName: string, rebuildFile: string | undefined, waitActive: () => Promise<void>): Promise<void> {
  const items = await scanAll(client, tableName);
  if (rebuildFile !== undefined) {
    await writeFile(`${rebuildFile}.tmp`, JSON.stringify(items, toJson));
    await rename(`${rebuildFile}.tmp`, rebuildFile);
  }
  await recreate(client, tableName, items, waitActive);
  if (rebuildFile !== undefined) await rm(rebuildFile);
}

/** Finishes a rebuild a previous process left half done, if its file is there: true when it did. */
export async function finishRebuild(client: DynamoDBClient, tableName: string, rebuildFile: string, waitActive: () => Promise<void>): Promise<boolean> {
  if (!existsSync(rebuildFile)) return false;
  const items = JSON.parse(await readFile(rebuildFile, 'utf8'), fromJson) as Item[];
  await recreate(client, tableName, items, waitActive);
  await rm(rebuildFile);
  return true;
}

async function recreate(client: DynamoDBClient, tableName: string, items: readonly Item[], waitActive: () => Promise<void>): Promise<void> {
  try {
    await client.send(new DeleteTableCommand({ TableName: tableName }));
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
  }
  await waitGone(client, tableName);
  await client.send(new CreateTableCommand(createTableInput(tableName)));
  await waitActive();
  await putAll(client, tableName, items, (left, rounds) => new Error(`table ${tableName}: ${left} items still unwritten after ${rounds} rounds`));
}

async function scanAll(client: DynamoDBClient, tableName: string): Promise<Item[]> {
  const items: Item[] = [];
  let startKey: Item | undefined;
  do {
    const out = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: startKey }));
    items.push(...(out.Items ?? []));
    startKey = out.LastEvaluatedKey;
  } while (startKey !== undefined);
  return items;
}

async function waitGone(client: DynamoDBClient, tableName: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    try {
      await client.send(new DescribeTableCommand({ TableName: tableName }));
    } catch (err) {
      if (err instanceof ResourceNotFoundException) return;
      throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`table ${tableName} was not deleted`);
}

/** Binary attribute values (`B`, `BS`) survive the file as base64. */
function toJson(this: unknown, _key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? { $base64: Buffer.from(value).toString('base64') } : value;
}

function fromJson(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && '$base64' in value && Object.keys(value).length === 1) {
    return new Uint8Array(Buffer.from(String((value as { $base64: unknown }).$base64), 'base64'));
  }
  return value;
}
