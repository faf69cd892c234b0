/**
 * The per-service lock: one item whose `rolloutId` names the holder. Taken with a conditional put
 * (free, or already ours) and released with a conditional delete (only by its holder), so a slow
 * rollout releasing late can never drop a lock another rollout has taken since.
 */
import { DeleteItemCommand, GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { conditionally } from './conditional';
import { str } from './item-codec';
import { LOCK_SORT_KEY, PARTITION_KEY, SORT_KEY, servicePartition } from './table-design';

export class ServiceLocks {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  acquire(service: string, rolloutId: string): Promise<boolean> {
    return conditionally(() =>
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: { ...this.key(service), rolloutId: str(rolloutId) },
          ConditionExpression: 'attribute_not_exists(#pk) OR #holder = :id',
          ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#holder': 'rolloutId' },
          ExpressionAttributeValues: { ':id': str(rolloutId) },
        }),
      ),
    );
  }

  async release(service: string, rolloutId: string): Promise<void> {
    await conditionally(() =>
      this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: this.key(service),
          ConditionExpression: '#holder = :id',
          ExpressionAttributeNames: { '#holder': 'rolloutId' },
          ExpressionAttributeValues: { ':id': str(rolloutId) },
        }),
      ),
    );
  }

  async holder(service: string): Promise<string | null> {
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: this.key(service), ConsistentRead: true }),
    );
    return out.Item?.rolloutId?.S ?? null;
  }

  private key(service: string) {
    return { [PARTITION_KEY]: str(servicePartition(service)), [SORT_KEY]: str(LOCK_SORT_KEY) };
  }
}
