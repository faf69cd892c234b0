/**
 * The per-service queue of rollouts waiting for the service lock: one item per waiting rollout under
 * the service's partition (`SERVICE#<name>` / `QUEUE#<rolloutId>`), beside the lock item. Read with a
 * consistent Query of that partition, in push order (rollout ids sort by creation time), at a cost that
 * depends on the queue's length only. Entries are plain facts ("this rollout asked to wait"): a put or a
 * delete of one item, idempotent, and whoever reads the queue checks each rollout's record.
 */
import { DeleteItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { str, readString, type Item } from './item-codec';
import { queryAll } from './query-all';
import { PARTITION_KEY, QUEUE_SORT_KEY_PREFIX, SORT_KEY, queueSk, servicePartition } from './table-design';

export class ServiceQueues {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly now: () => Date,
  ) {}

  async enqueue(service: string, rolloutId: string): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: { ...this.key(service, rolloutId), rolloutId: str(rolloutId), queuedAt: str(this.now().toISOString()) },
      }),
    );
  }

  async dequeue(service: string, rolloutId: string): Promise<void> {
    await this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: this.key(service, rolloutId) }));
  }

  /** The queued rollout ids, oldest first. */
  async queued(service: string): Promise<string[]> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :queue)',
      ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#sk': SORT_KEY },
      ExpressionAttributeValues: { ':pk': str(servicePartition(service)), ':queue': str(QUEUE_SORT_KEY_PREFIX) },
      ProjectionExpression: '#sk',
      ConsistentRead: true,
    });
    return items.map((item) => readString(item, SORT_KEY).slice(QUEUE_SORT_KEY_PREFIX.length));
  }

  private key(service: string, rolloutId: string): Item {
    return { [PARTITION_KEY]: str(servicePartition(service)), [SORT_KEY]: str(queueSk(rolloutId)) };
  }
}
