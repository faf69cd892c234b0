/**
 * The index of active rollouts: one marker item per rollout that has not ended (`ACTIVE` / `<id>`),
 * read with a consistent Query, so a watchdog finds every rollout it may have to re-drive without
 * reading an eventually consistent GSI.
 *
 * There are no transactions, so the marker and the record are two writes, ordered so that a crash
 * leaves a marker too many and never one too few: the marker is put before the record that makes a
 * rollout active (its create, or the save that takes a FAILED rollout back to ROLLING_BACK) and
 * deleted after the record that ends it. Each marker carries the record version that made the rollout
 * active (`sinceVersion`): the delete after an ending save is conditional on it, so a slow delete can
 * never remove the marker of a later re-activation.
 */
import { DeleteItemCommand, PutItemCommand, QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { conditionally } from './conditional';
import { num, readString, str, type Item } from './item-codec';
import { ACTIVE_PARTITION, PARTITION_KEY, SORT_KEY, activeSk } from './table-design';

/** What `forget` needs to know of the rollout's record (read consistently just before). */
export type RecordState = { readonly exists: false } | { readonly exists: true; readonly ended: boolean; readonly version: number };

export class ActiveIndex {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly now: () => Date,
    private readonly staleAfterMs: number,
  ) {}

  /** Marks the rollout active from record version `sinceVersion` on. */
  async mark(rolloutId: string, service: string, sinceVersion: number): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: {
          ...this.key(rolloutId),
          rolloutId: str(rolloutId),
          service: str(service),
          sinceVersion: num(sinceVersion),
          markedAt: num(this.now().getTime()),
        },
      }),
    );
  }

  /** Removes the marker after the save of `endedVersion` ended the rollout, unless a later save re-marked it. */
  async unmark(rolloutId: string, endedVersion: number): Promise<void> {
    await conditionally(() =>
      this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: this.key(rolloutId),
          ConditionExpression: '#since <= :version',
          ExpressionAttributeNames: { '#since': 'sinceVersion' },
          ExpressionAttributeValues: { ':version': num(endedVersion) },
        }),
      ),
    );
  }

  /** Every marked rollout id, oldest rollout first. */
  async list(): Promise<string[]> {
    const ids: string[] = [];
    let startKey: Item | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#id': 'rolloutId' },
          ExpressionAttributeValues: { ':pk': str(ACTIVE_PARTITION) },
          ProjectionExpression: '#id',
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of out.Items ?? []) ids.push(readString(item, 'rolloutId'));
      startKey = out.LastEvaluatedKey;
    } while (startKey !== undefined);
    return ids;
  }

  /**
   * Removes a marker its record does not back: the record ended (at a version at or after the one that
   * marked it) or does not exist. A marker younger than the grace period is kept whatever the record
   * says, since the write it announces (a create, a re-activation) may still be on its way.
   */
  forget(rolloutId: string, record: RecordState): Promise<boolean> {
    if (record.exists && !record.ended) return Promise.resolve(false);
    const cutoff = num(this.now().getTime() - this.staleAfterMs);
    const names: Record<string, string> = { '#at': 'markedAt' };
    const values: Item = { ':cutoff': cutoff };
    let condition = '#at < :cutoff';
    if (record.exists) {
      names['#since'] = 'sinceVersion';
      values[':version'] = num(record.version);
      condition = '#since <= :version OR #at < :cutoff';
    }
    return conditionally(() =>
      this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: this.key(rolloutId),
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }

  private key(rolloutId: string): Item {
    return { [PARTITION_KEY]: str(ACTIVE_PARTITION), [SORT_KEY]: str(activeSk(rolloutId)) };
  }
}
