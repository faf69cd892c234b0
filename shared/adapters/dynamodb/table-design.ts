/**
 * The single-table design, shared by the adapter and the CDK stack so the two can never disagree
 * about a key name or an index. Every item has `pk`/`sk`; the shapes are:
 *
 * | item            | pk                  | sk              | other attributes                                   |
 * |-----------------|---------------------|-----------------|----------------------------------------------------|
 * | rollout record  | `ROLLOUT#<id>`      | `RECORD`        | version, eventCount, doc, recentEvents, GSI keys   |
 * | rollout event   | `ROLLOUT#<id>`      | `EVENT#000042`  | seq, doc (append-only, never updated)              |
 * | service lock    | `SERVICE#<name>`    | `LOCK`          | rolloutId                                          |
 * | delivery claim  | `DELIVERY#<key>`    | `CLAIM`         | rolloutId, expiresAt (TTL)                         |
 *
 * A record and its events share a partition, so one Query on `pk` reads a whole rollout.
 * `RECORD` sorts after every `EVENT#...`, which keeps the log in order in front of it.
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

export const PARTITION_KEY = 'pk';
export const SORT_KEY = 'sk';

/** Lists one service's rollouts by creation time. */
export const BY_SERVICE_INDEX = { name: 'byService', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' } as const;
/** Lists every rollout by creation time: one constant partition, fine at deploy-orchestrator volumes. */
export const BY_CREATED_INDEX = { name: 'byCreated', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' } as const;
export type ListIndex = typeof BY_SERVICE_INDEX | typeof BY_CREATED_INDEX;

/** The `gsi2pk` value every rollout record carries. */
export const ALL_ROLLOUTS_PARTITION = 'ROLLOUT';

/** Epoch seconds; DynamoDB TTL deletes an item some time after it passes (dynalite never does). */
export const TTL_ATTRIBUTE = 'expiresAt';

export const RECORD_SORT_KEY = 'RECORD';
export const EVENT_SORT_KEY_PREFIX = 'EVENT#';
export const LOCK_SORT_KEY = 'LOCK';
export const CLAIM_SORT_KEY = 'CLAIM';

/** Six digits keep the log sorted as strings up to a million events, far beyond any rollout. */
const SEQ_WIDTH = 6;
const MAX_SEQ = 10 ** SEQ_WIDTH - 1;

export function rolloutPk(id: string): string {
  return `ROLLOUT#${id}`;
}

export function eventSk(seq: number): string {
  if (!Number.isInteger(seq) || seq < 0 || seq > MAX_SEQ) throw new RangeError(`event seq out of range: ${seq}`);
  return `${EVENT_SORT_KEY_PREFIX}${String(seq).padStart(SEQ_WIDTH, '0')}`;
}

export function servicePartition(service: string): string {
  return `SERVICE#${service}`;
}

export function deliveryPk(key: string): string {
  return `DELIVERY#${key}`;
}

/**
 * Both indexes sort by `<createdAt ISO>#<id>`: ISO-8601 UTC strings of one format sort by time,
 * and the id breaks ties between rollouts created in the same millisecond.
 */
export function createdSortKey(createdAt: string, id: string): string {
  return `${createdAt}#${id}`;
}

export function createTableInput(tableName: string): CreateTableCommandInput {
  const gsi = (index: ListIndex) => ({
    IndexName: index.name,
    KeySchema: [
      { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
    ],
    // List pages return whole rollouts, so the index carries the full record instead of a fetch per item.
    Projection: { ProjectionType: 'ALL' as const },
  });
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [PARTITION_KEY, SORT_KEY, ...indexAttributes()].map((name) => ({
      AttributeName: name,
      AttributeType: 'S' as const,
    })),
    KeySchema: [
      { AttributeName: PARTITION_KEY, KeyType: 'HASH' },
      { AttributeName: SORT_KEY, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [gsi(BY_SERVICE_INDEX), gsi(BY_CREATED_INDEX)],
  };
}

function indexAttributes(): string[] {
  return [BY_SERVICE_INDEX, BY_CREATED_INDEX].flatMap((i) => [i.partitionKey, i.sortKey]);
}
