/**
 * The single-table design, shared by the adapter and the CDK stack so the two can never disagree
 * about a key name or an index. Every item has `pk`/`sk`; the shapes are:
 *
 * | item            | pk                  | sk              | other attributes                                   |
 * |-----------------|---------------------|-----------------|----------------------------------------------------|
 * | rollout record  | `ROLLOUT#<id>`      | `RECORD`        | version, doc, events, eventCount, loggedCount, GSI keys (`byActive`'s while not ended) |
 * | rollout event   | `ROLLOUT#<id>`      | `EVENT#000042`  | seq, doc (a long log's oldest events; append-only) |
 * | service lock    | `SERVICE#<name>`    | `LOCK`          | rolloutId, queued (someone queued behind it)       |
 * | queue entry     | `SERVICE#<name>`    | `QUEUE#<id>`    | rolloutId, queuedAt                                |
 * | delivery claim  | `DELIVERY#<key>`    | `CLAIM`         | rolloutId, expiresAt (TTL)                         |
 * | webhook delivery| `INTAKE#<deliveryId>`| `DELIVERY`     | status, doc; received: GSI keys; processed: expiresAt |
 * | legacy active marker | `ACTIVE`       | `<id>`          | rolloutId, service, sinceVersion, markedAt (written by earlier versions only) |
 *
 * A record carries its events, so one GetItem reads a whole rollout; only a log longer than a chunk
 * (item-codec.ts) keeps its oldest events in event items of the same partition, read with one Query.
 *
 * Decisions read the base table with `ConsistentRead` (GSIs are eventually consistent in AWS, and
 * DynamoDB refuses `ConsistentRead` on them; dynalite refuses it too, but hides the lag): the indexes
 * are for the listings people read, and for two lists the watchdog sweeps, whose lag cannot harm it
 * (below). That is why the queue is an item of its own rather than an index query:
 *
 * - A **queue entry** is one small item per rollout waiting for its service's lock, beside the lock in
 *   the service's partition. Rollout ids sort by creation time (`shared/core/ids.ts`), so a Query of
 *   `begins_with(sk, 'QUEUE#')` reads the queue in push order, and its cost depends on the queue's
 *   length, never on the service's history. Written by the service lock after the rollout is recorded
 *   as queued, deleted when it takes the lock or ends; an entry left by a crash is checked against the
 *   rollout's record by whoever reads the queue (shared/orchestration/service-lock.ts). The queuer marks
 *   the lock after writing its entry, and only the release of a marked lock reads the queue.
 * - **Active** is a property of the record: while a rollout has not ended (every status but SUCCEEDED,
 *   ROLLED_BACK, REJECTED and FAILED: a FAILED rollout keeps its lock and waits for a human, so no
 *   watchdog should re-drive it), its record carries the `byActive` keys (`ACTIVE` /
 *   `<createdAt>#<id>`), written by the same PutItem as the rest of the record, so keeping the index
 *   costs no call of its own; the save that ends the rollout writes the record without them, and the
 *   save that takes a FAILED rollout back to ROLLING_BACK writes them again. The index is sparse (only
 *   active rollouts), keys only (the id is read from the table's `pk`, which every index item carries),
 *   in one constant partition, fine at deploy-orchestrator volumes. Its only reader is the watchdog
 *   (shared/orchestration/watchdog.ts), which needs no consistency from it: it reads each listed
 *   rollout's record consistently and decides from that, and it only re-drives rollouts left idle for a
 *   while. A rollout missing from the index for a moment after its create (or a re-activation) is being
 *   driven by whoever wrote it, not idle, and the next sweep lists it; one still listed a moment after
 *   it ended is found ended on its record and skipped.
 * - A **legacy active marker** (`ACTIVE` / `<id>`) is what earlier versions wrote instead of those
 *   keys: one item per active rollout, put before its record and deleted after the save that ended it.
 *   A record such a version wrote has no `byActive` keys until its next save, so `listActive` also
 *   reads that partition (one consistent Query per sweep), and `forgetActive` deletes a marker whose
 *   record has ended or is gone (active-index.ts). No marker is written any more.
 * - A **webhook delivery** is one item per delivery, the one conditional write a webhook answer waits
 *   for (webhook-deliveries.ts): its id is derived from the notification when the sender identifies
 *   it, so a repeat of it finds the item and is answered from it. While it is received (its work to
 *   do) it carries `byCreated` keys under the `INTAKE` partition; processing it rewrites it with its
 *   outcome, without them and with a TTL. That index partition (sparse: only the unfinished work, sorted
 *   by when it was received) is what the watchdog (and local mode at start) dispatches again; read
 *   some time after the writes (60 s), the index's lag does not matter.
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

export const PARTITION_KEY = 'pk';
export const SORT_KEY = 'sk';

/** Lists one service's rollouts by creation time. */
export const BY_SERVICE_INDEX = { name: 'byService', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' } as const;
/**
 * Lists every rollout by creation time: one constant partition, fine at deploy-orchestrator volumes.
 * Its `INTAKE` partition lists the webhook deliveries not yet processed, by the time they were received.
 */
export const BY_CREATED_INDEX = { name: 'byCreated', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' } as const;
export type ListIndex = typeof BY_SERVICE_INDEX | typeof BY_CREATED_INDEX;
/**
 * Lists the rollouts that have not ended, oldest first: sparse (a record carries its keys only while
 * active) and keys only. Read by the watchdog alone, which the index's lag cannot harm (file comment).
 */
export const BY_ACTIVE_INDEX = { name: 'byActive', partitionKey: 'gsi3pk', sortKey: 'gsi3sk' } as const;

/** The `gsi2pk` value every rollout record carries. */
export const ALL_ROLLOUTS_PARTITION = 'ROLLOUT';

/** Epoch seconds; DynamoDB TTL deletes an item some time after it passes (dynalite never does). */
export const TTL_ATTRIBUTE = 'expiresAt';

export const RECORD_SORT_KEY = 'RECORD';
export const EVENT_SORT_KEY_PREFIX = 'EVENT#';
export const LOCK_SORT_KEY = 'LOCK';
export const CLAIM_SORT_KEY = 'CLAIM';
export const QUEUE_SORT_KEY_PREFIX = 'QUEUE#';
/** The `byCreated` partition holding the webhook deliveries received and not yet processed. */
export const INTAKE_PARTITION = 'INTAKE';
export const DELIVERY_SORT_KEY = 'DELIVERY';
/** The `gsi3pk` value of every active rollout's record: the one partition of `byActive`. */
export const ACTIVE_PARTITION = 'ACTIVE';
/** The base-table partition where earlier versions kept one marker item per active rollout. */
export const LEGACY_ACTIVE_MARKER_PARTITION = 'ACTIVE';

/** Six digits keep the log sorted as strings up to a million events, far beyond any rollout. */
const SEQ_WIDTH = 6;
const MAX_SEQ = 10 ** SEQ_WIDTH - 1;

const ROLLOUT_PK_PREFIX = 'ROLLOUT#';

export function rolloutPk(id: string): string {
  return `${ROLLOUT_PK_PREFIX}${id}`;
}

/** The rollout id of a record's `pk` (as `byActive` carries it), or null for any other partition. */
export function rolloutIdOfPk(pk: string): string | null {
  return pk.startsWith(ROLLOUT_PK_PREFIX) && pk.length > ROLLOUT_PK_PREFIX.length ? pk.slice(ROLLOUT_PK_PREFIX.length) : null;
}

export function eventSk(seq: number): string {
  if (!Number.isInteger(seq) || seq < 0 || seq > MAX_SEQ) throw new RangeError(`event seq out of range: ${seq}`);
  return `${EVENT_SORT_KEY_PREFIX}${String(seq).padStart(SEQ_WIDTH, '0')}`;
}

export function servicePartition(service: string): string {
  return `SERVICE#${service}`;
}

/** Under `servicePartition(service)`: rollout ids sort by creation time, so the queue reads in push order. */
export function queueSk(rolloutId: string): string {
  return `${QUEUE_SORT_KEY_PREFIX}${rolloutId}`;
}

/** Under `LEGACY_ACTIVE_MARKER_PARTITION`: the bare id, so the markers read oldest rollout first. */
export function legacyActiveMarkerSk(rolloutId: string): string {
  return rolloutId;
}

export function deliveryItemPk(deliveryId: string): string {
  return `${INTAKE_PARTITION}#${deliveryId}`;
}

export function deliveryPk(key: string): string {
  return `DELIVERY#${key}`;
}

/**
 * Every index of rollouts sorts by `<createdAt ISO>#<id>`: ISO-8601 UTC strings of one format sort by time,
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
    GlobalSecondaryIndexes: [
      gsi(BY_SERVICE_INDEX),
      gsi(BY_CREATED_INDEX),
      {
        IndexName: BY_ACTIVE_INDEX.name,
        KeySchema: [
          { AttributeName: BY_ACTIVE_INDEX.partitionKey, KeyType: 'HASH' as const },
          { AttributeName: BY_ACTIVE_INDEX.sortKey, KeyType: 'RANGE' as const },
        ],
        // The sweep needs only ids, read from the table's `pk` that every index item carries.
        Projection: { ProjectionType: 'KEYS_ONLY' as const },
      },
    ],
  };
}

function indexAttributes(): string[] {
  return [BY_SERVICE_INDEX, BY_CREATED_INDEX, BY_ACTIVE_INDEX].flatMap((i) => [i.partitionKey, i.sortKey]);
}
