/**
 * Webhook deliveries (docs/architecture.md, "Webhook intake"): a delivery is answered once it is
 * recorded as received, one conditional put of its item (`INTAKE#<deliveryId>` / `DELIVERY`), which
 * holds the work its answer promised. A repeat of a notification has the same id (derived from it, when
 * the sender identifies it): its put is refused and the item read answers it. When the work is done,
 * one put rewrites the item with the outcome and a TTL. While received, the item carries `byCreated`
 * keys under the `INTAKE` partition, so that index partition holds only unfinished deliveries, sorted
 * by when they were received: the watchdog's Query (and local mode's at start) costs what is
 * unfinished, never what the table has seen.
 */
import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DeliveryRecord, ProcessedDelivery, ReceivedDelivery } from '../../ports';
import { conditionally } from './conditional';
import { queryAll } from './query-all';
import { num, readString, str, type Item } from './item-codec';
import { BY_CREATED_INDEX, DELIVERY_SORT_KEY, INTAKE_PARTITION, PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE, createdSortKey, deliveryItemPk } from './table-design';

const RECEIVED = 'RECEIVED';
const PROCESSED = 'PROCESSED';

export class WebhookDeliveries {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly now: () => Date,
    private readonly ttlSeconds: number,
  ) {}

  /**
   * Records a new delivery, received (its work to do) or processed at once (nothing to do). Null when
   * recorded now; the delivery already recorded under this id otherwise (read consistently).
   */
  async receive(delivery: ReceivedDelivery | ProcessedDelivery): Promise<DeliveryRecord | null> {
    const recorded = await conditionally(() =>
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: 'processedAt' in delivery ? this.processedItem(delivery) : receivedItem(delivery),
          // An outcome past its TTL is gone (DynamoDB deletes it some time later): a new delivery.
          ConditionExpression: 'attribute_not_exists(#pk) OR #ttl <= :now',
          ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ':now': num(this.nowSeconds()) },
        }),
      ),
    );
    if (recorded) return null;
    const existing = await this.get(delivery.id);
    // Refused, then expired before the read: nothing was recorded, the sender sends it again.
    if (existing === null) throw new Error(`delivery ${delivery.id} expired while it was recorded`);
    return existing;
  }

  /**
   * Rewrites the received delivery with its outcome: it leaves the index of unfinished work. False when it
   * was not received any more (another run of its work recorded the outcome first): that one stands.
   */
  complete(delivery: ProcessedDelivery): Promise<boolean> {
    return conditionally(() =>
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: this.processedItem(delivery),
          ConditionExpression: '#status = :received',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':received': str(RECEIVED) },
        }),
      ),
    );
  }

  async get(id: string): Promise<DeliveryRecord | null> {
    const item = (await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: deliveryKey(id), ConsistentRead: true }))).Item;
    return item ? recordOf(item, this.nowSeconds()) : null;
  }

  private processedItem(delivery: ProcessedDelivery): Item {
    return { ...deliveryKey(delivery.id), status: str(PROCESSED), doc: str(JSON.stringify(delivery)), [TTL_ATTRIBUTE]: num(this.nowSeconds() + this.ttlSeconds) };
  }

  private nowSeconds(): number {
    return Math.floor(this.now().getTime() / 1000);
  }

  /** The deliveries received and not processed, oldest first: the index's `INTAKE` partition (eventually consistent). */
  async received(): Promise<ReceivedDelivery[]> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      IndexName: BY_CREATED_INDEX.name,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': BY_CREATED_INDEX.partitionKey },
      ExpressionAttributeValues: { ':pk': str(INTAKE_PARTITION) },
    });
    return items.filter((item) => item['status']?.S === RECEIVED).map((item) => JSON.parse(readString(item, 'doc')) as ReceivedDelivery);
  }
}

function recordOf(item: Item, nowSeconds: number): DeliveryRecord | null {
  const doc = readString(item, 'doc');
  if (item['status']?.S === RECEIVED) return { status: 'RECEIVED', ...(JSON.parse(doc) as ReceivedDelivery) };
  // DynamoDB's TTL deletes an item some time after it passes (dynalite never does): an expired outcome is gone.
  const expiresAt = Number(item[TTL_ATTRIBUTE]?.N ?? Number.POSITIVE_INFINITY);
  if (expiresAt <= nowSeconds) return null;
  return { status: 'PROCESSED', ...(JSON.parse(doc) as ProcessedDelivery) };
}

function receivedItem(delivery: ReceivedDelivery): Item {
  return {
    ...deliveryKey(delivery.id),
    status: str(RECEIVED),
    doc: str(JSON.stringify(delivery)),
    [BY_CREATED_INDEX.partitionKey]: str(INTAKE_PARTITION),
    [BY_CREATED_INDEX.sortKey]: str(createdSortKey(delivery.receivedAt, delivery.id)),
  };
}

function deliveryKey(id: string): Item {
  return { [PARTITION_KEY]: str(deliveryItemPk(id)), [SORT_KEY]: str(DELIVERY_SORT_KEY) };
}
