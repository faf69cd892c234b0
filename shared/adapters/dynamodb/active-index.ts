/**
 * The rollouts that have not ended, as the watchdog lists them: the sparse `byActive` index, whose keys
 * every active record carries in its own write (item-codec.ts, table-design.ts), plus the markers
 * earlier versions wrote (`ACTIVE` / `<id>`) for records they saved without those keys.
 *
 * The index is eventually consistent (a Query of a GSI cannot ask for `ConsistentRead`), which the
 * watchdog, its one reader, does not mind: it reads each listed record consistently (table-design.ts
 * says why the lag is harmless). The legacy markers are read with one consistent Query of their
 * partition per sweep, and one is deleted once its record has ended or is gone; nothing writes them
 * any more. Each marker carries the record version that made the rollout active (`sinceVersion`) and
 * when it was written (`markedAt`), which keep that delete from removing the marker of a
 * re-activation, or of a create, that an earlier version still had on its way during an upgrade.
 */
import { DeleteItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { conditionally } from './conditional';
import { queryAll } from './query-all';
import { num, readString, str, type Item } from './item-codec';
import {
  ACTIVE_PARTITION,
  BY_ACTIVE_INDEX,
  LEGACY_ACTIVE_MARKER_PARTITION,
  PARTITION_KEY,
  SORT_KEY,
  legacyActiveMarkerSk,
  rolloutIdOfPk,
} from './table-design';

/** What `forget` needs to know of the rollout's record (read consistently just before). */
export type RecordState = { readonly exists: false } | { readonly exists: true; readonly ended: boolean; readonly version: number };

export class ActiveIndex {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly now: () => Date,
    private readonly staleAfterMs: number,
  ) {}

  /** Every rollout the index or a legacy marker names, by id (ids sort by creation time: oldest first). */
  async list(): Promise<string[]> {
    const [indexed, marked] = await Promise.all([this.indexed(), this.legacyMarked()]);
    return [...new Set([...indexed, ...marked])].sort();
  }

  /**
   * Removes a legacy marker its record does not back: the record ended (at a version at or after the
   * one that marked it) or does not exist. A marker younger than the grace period is kept whatever the
   * record says, since the write it announces may still be on its way from an earlier version. A rollout
   * listed by the index alone has no marker: nothing to remove (false).
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
          Key: { [PARTITION_KEY]: str(LEGACY_ACTIVE_MARKER_PARTITION), [SORT_KEY]: str(legacyActiveMarkerSk(rolloutId)) },
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }

  /** The ids in `byActive`: keys only, read from the table's `pk` (never `ConsistentRead`: a GSI has none). */
  private async indexed(): Promise<string[]> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      IndexName: BY_ACTIVE_INDEX.name,
      KeyConditionExpression: '#p = :p',
      ExpressionAttributeNames: { '#p': BY_ACTIVE_INDEX.partitionKey, '#pk': PARTITION_KEY },
      ExpressionAttributeValues: { ':p': str(ACTIVE_PARTITION) },
      ProjectionExpression: '#pk',
    });
    return items.map((item) => rolloutIdOfPk(readString(item, PARTITION_KEY))).filter((id): id is string => id !== null);
  }

  /** The ids of the legacy markers, read consistently from the base table. */
  private async legacyMarked(): Promise<string[]> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#id': 'rolloutId' },
      ExpressionAttributeValues: { ':pk': str(LEGACY_ACTIVE_MARKER_PARTITION) },
      ProjectionExpression: '#id',
      ConsistentRead: true,
    });
    return items.map((item) => readString(item, 'rolloutId'));
  }
}
