/**
 * Puts items with BatchWriteItem, 25 a request (DynamoDB's limit), sending again what it leaves
 * unprocessed (throttled) after a pause that grows each round, for a few rounds.
 */
import { BatchWriteItemCommand, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import type { Item } from './item-codec';

/** DynamoDB's limit of put and delete requests in one BatchWriteItem. */
const BATCH_WRITE_LIMIT = 25;
/** Rounds of sending what BatchWriteItem left unprocessed, each after a longer pause. */
const MAX_BATCH_ROUNDS = 5;
const BATCH_BACKOFF_MS = 50;

/** `unwritten`: the error to throw when items are still unprocessed after the last round. */
export async function putAll(client: DynamoDBClient, tableName: string, items: readonly Item[], unwritten: (left: number, rounds: number) => Error): Promise<void> {
  let pending: WriteRequest[] = items.map((Item) => ({ PutRequest: { Item } }));
  for (let round = 1; pending.length > 0; round++) {
    if (round > MAX_BATCH_ROUNDS) throw unwritten(pending.length, MAX_BATCH_ROUNDS);
    const unprocessed: WriteRequest[] = [];
    for (let i = 0; i < pending.length; i += BATCH_WRITE_LIMIT) {
      const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending.slice(i, i + BATCH_WRITE_LIMIT) } }));
      unprocessed.push(...(out.UnprocessedItems?.[tableName] ?? []));
    }
    if (unprocessed.length > 0) await new Promise((r) => setTimeout(r, BATCH_BACKOFF_MS * round));
    pending = unprocessed;
  }
}
