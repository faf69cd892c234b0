/**
 * The per-service lock: one item whose `rolloutId` names the holder. Taken with a conditional write
 * (free, or already ours) and released with a conditional delete (only by its holder), so a slow
 * rollout releasing late can never drop a lock another rollout has taken since.
 *
 * A rollout that queues behind the holder marks the lock (`queued`), after writing its queue entry; the
 * release deletes the lock with its old image and says whether it was marked, so that only a release
 * someone queued behind reads the queue (shared/orchestration/service-lock.ts).
 */
import { DeleteItemCommand, GetItemCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LockRelease } from '../../ports';
import { conditionally } from './conditional';
import { str } from './item-codec';
import { LOCK_SORT_KEY, PARTITION_KEY, SORT_KEY, servicePartition } from './table-design';

/** The lock item's attribute that marks it: someone queued behind its holder. */
const QUEUED = 'queued';

export class ServiceLocks {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /**
   * An UpdateItem rather than a put, so that taking the lock again (re-entrant) keeps a mark a queuer
   * set meanwhile. `queued`: taken marked (the queue's hand-off saw others waiting behind this one).
   */
  acquire(service: string, rolloutId: string, queued = false): Promise<boolean> {
    return conditionally(() =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.key(service),
          UpdateExpression: queued ? 'SET #holder = :id, #queued = :true' : 'SET #holder = :id',
          ConditionExpression: 'attribute_not_exists(#pk) OR #holder = :id',
          ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#holder': 'rolloutId', ...(queued ? { '#queued': QUEUED } : {}) },
          ExpressionAttributeValues: { ':id': str(rolloutId), ...(queued ? { ':true': { BOOL: true } } : {}) },
        }),
      ),
    );
  }

  /** Marks the lock whoever holds it; false (and nothing written) when it is free. */
  markQueued(service: string): Promise<boolean> {
    return conditionally(() =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.key(service),
          UpdateExpression: 'SET #queued = :true',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#queued': QUEUED },
          ExpressionAttributeValues: { ':true': { BOOL: true } },
        }),
      ),
    );
  }

  async release(service: string, rolloutId: string): Promise<LockRelease> {
    let old: Record<string, AttributeValue> | undefined;
    const released = await conditionally(async () => {
      const out = await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: this.key(service),
          ConditionExpression: '#holder = :id',
          ExpressionAttributeNames: { '#holder': 'rolloutId' },
          ExpressionAttributeValues: { ':id': str(rolloutId) },
          ReturnValues: 'ALL_OLD',
        }),
      );
      old = out.Attributes;
    });
    return { released, queued: released && old?.[QUEUED]?.BOOL === true };
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
