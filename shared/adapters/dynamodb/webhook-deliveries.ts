/**
 * Webhook deliveries (docs/architecture.md, "Webhook intake"): a delivery is answered once it is
 * recorded as received, one conditional put of one item in the `INTAKE` partition (`INTAKE` /
 * `<deliveryId>`), which holds the work its answer promised. When that work is done, one batch writes
 * its outcome (`INTAKE#<deliveryId>` / `OUTCOME`, with a TTL) and deletes the received item, so the
 * `INTAKE` partition holds only unfinished deliveries: a consistent Query of it (the watchdog's, and
 * local mode's at start) costs what is unfinished, never what the table has seen.
 */
import { BatchWriteItemCommand, GetItemCommand, PutItemCommand, QueryCommand, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import type { DeliveryRecord, ProcessedDelivery, ReceivedDelivery } from '../../ports';
import { RolloutError } from '../../errors';
import { num, readString, str, type Item } from './item-codec';
import { INTAKE_PARTITION, OUTCOME_SORT_KEY, PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE, outcomePk } from './table-design';

/** A batch may come back with unprocessed writes (throttling): retried this many times. */
const MAX_BATCH_ATTEMPTS = 5;

export class WebhookDeliveries {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly now: () => Date,
    private readonly ttlSeconds: number,
  ) {}

  async receive(delivery: ReceivedDelivery): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: { ...receivedKey(delivery.id), doc: str(JSON.stringify(delivery)) },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': PARTITION_KEY },
      }),
    );
  }

  async complete(delivery: ProcessedDelivery): Promise<void> {
    const expiresAt = Math.floor(this.now().getTime() / 1000) + this.ttlSeconds;
    let writes: WriteRequest[] = [
      { PutRequest: { Item: { ...outcomeKey(delivery.id), doc: str(JSON.stringify(delivery)), [TTL_ATTRIBUTE]: num(expiresAt) } } },
      { DeleteRequest: { Key: receivedKey(delivery.id) } },
    ];
    for (let attempt = 1; writes.length > 0; attempt++) {
      if (attempt > MAX_BATCH_ATTEMPTS) throw new RolloutError(`delivery ${delivery.id}: its outcome could not be written`);
      if (attempt > 1) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      const out = await this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.tableName]: writes } }));
      writes = out.UnprocessedItems?.[this.tableName] ?? [];
    }
  }

  /**
   * The received item while there is one, else the outcome: one read for the delivery whose work is
   * about to be done, the common case. `complete` writes the outcome and deletes the received item in
   * one batch whose writes land in any order, so a delivery found in neither is looked for once more
   * as an outcome; one found received may have its outcome already, and its work is safe to do again.
   */
  async get(id: string): Promise<DeliveryRecord | null> {
    const received = await this.read(receivedKey(id));
    if (received) return { status: 'RECEIVED', ...(JSON.parse(readString(received, 'doc')) as ReceivedDelivery) };
    const outcome = (await this.read(outcomeKey(id))) ?? (await this.read(outcomeKey(id)));
    return outcome ? processed(outcome, this.nowSeconds()) : null;
  }

  async received(): Promise<ReceivedDelivery[]> {
    const found: ReceivedDelivery[] = [];
    let startKey: Item | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': PARTITION_KEY },
          ExpressionAttributeValues: { ':pk': str(INTAKE_PARTITION) },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of out.Items ?? []) found.push(JSON.parse(readString(item, 'doc')) as ReceivedDelivery);
      startKey = out.LastEvaluatedKey;
    } while (startKey !== undefined);
    return found;
  }

  private async read(key: Item): Promise<Item | undefined> {
    return (await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }))).Item;
  }

  private nowSeconds(): number {
    return Math.floor(this.now().getTime() / 1000);
  }
}

function processed(item: Item, nowSeconds: number): DeliveryRecord | null {
  const expiresAt = Number(item[TTL_ATTRIBUTE]?.N ?? Number.POSITIVE_INFINITY);
  if (expiresAt <= nowSeconds) return null;
  return { status: 'PROCESSED', ...(JSON.parse(readString(item, 'doc')) as ProcessedDelivery) };
}

function receivedKey(id: string): Item {
  return { [PARTITION_KEY]: str(INTAKE_PARTITION), [SORT_KEY]: str(id) };
}

function outcomeKey(id: string): Item {
  return { [PARTITION_KEY]: str(outcomePk(id)), [SORT_KEY]: str(OUTCOME_SORT_KEY) };
}
