/**
 * `RolloutStore` on one DynamoDB table (layout in `table-design.ts`, item shapes in `item-codec.ts`).
 *
 * Only single-item conditional writes: DynamoDB transactions are not available in dynalite and not
 * needed. A save is the record, written under a version condition, followed by puts of its new event
 * items. The record carries those new events as `recentEvents` until the next save, so a crash
 * between the two writes loses nothing: `get` merges them in and the next save writes the items.
 *
 * The active marker (`active-index.ts`) costs a write only when a rollout is created or crosses
 * between active and ended, never on the saves in between: the status the save replaces is known from
 * the GetItem every save starts with.
 */
import {
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type DynamoDBClient,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { RolloutEvent } from '../../core/events';
import type { Rollout } from '../../core/rollout';
import { isTerminal } from '../../core/status';
import { RolloutError, RolloutNotFoundError, ValidationError, VersionConflictError } from '../../errors';
import type { DeliveryClaim, DeliveryRecord, ListRolloutsQuery, ProcessedDelivery, ReceivedDelivery, RolloutPage, RolloutStore } from '../../ports';
import { ActiveIndex } from './active-index';
import { conditionally } from './conditional';
import { DeliveryClaims } from './delivery-claims';
import {
  eventItem,
  mergeEvents,
  num,
  parseEvent,
  parseRecord,
  readNumber,
  readString,
  recordItem,
  str,
  toRollout,
  type Item,
  type StoredRecord,
} from './item-codec';
import { decodeCursor, encodeCursor, type ListScope } from './list-cursor';
import { ServiceLocks } from './service-locks';
import { ServiceQueues } from './service-queues';
import { WebhookDeliveries } from './webhook-deliveries';
import {
  ALL_ROLLOUTS_PARTITION,
  BY_CREATED_INDEX,
  BY_SERVICE_INDEX,
  EVENT_SORT_KEY_PREFIX,
  PARTITION_KEY,
  RECORD_SORT_KEY,
  SORT_KEY,
  rolloutPk,
  servicePartition,
} from './table-design';

export interface DynamoRolloutStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** The clock that decides whether a delivery claim has expired (and stamps markers). Default: the system clock. */
  readonly now?: () => Date;
  /**
   * How old an active marker must be before `forgetActive` may remove it while its record is missing
   * or says otherwise: younger, the write it announces may still be on its way. Default 300.
   */
  readonly staleMarkerSeconds?: number;
  /** How long a webhook delivery's outcome can be read (`GET /deliveries/{id}`), in seconds. Default 7 days. */
  readonly deliveryOutcomeSeconds?: number;
}

const DEFAULT_STALE_MARKER_SECONDS = 300;
const DEFAULT_DELIVERY_OUTCOME_SECONDS = 7 * 24 * 3600;

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;

export class DynamoRolloutStore implements RolloutStore {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;
  private readonly locks: ServiceLocks;
  private readonly claims: DeliveryClaims;
  private readonly queues: ServiceQueues;
  private readonly active: ActiveIndex;
  private readonly deliveries: WebhookDeliveries;

  constructor(options: DynamoRolloutStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    const now = options.now ?? (() => new Date());
    this.locks = new ServiceLocks(options.client, options.tableName);
    this.claims = new DeliveryClaims(options.client, options.tableName, now);
    this.queues = new ServiceQueues(options.client, options.tableName, now);
    const staleSeconds = options.staleMarkerSeconds ?? DEFAULT_STALE_MARKER_SECONDS;
    this.active = new ActiveIndex(options.client, options.tableName, now, staleSeconds * 1000);
    this.deliveries = new WebhookDeliveries(options.client, options.tableName, now, options.deliveryOutcomeSeconds ?? DEFAULT_DELIVERY_OUTCOME_SECONDS);
  }

  /** The active marker first: a crash before the record leaves a marker the reader finds without a record. */
  async create(rollout: Rollout): Promise<void> {
    assertSequential(rollout.id, rollout.events, 0);
    if (!isTerminal(rollout.status)) await this.active.mark(rollout.id, rollout.service, rollout.version);
    const written = await conditionally(() =>
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: recordItem(rollout, rollout.events),
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PARTITION_KEY },
        }),
      ),
    );
    if (!written) throw new VersionConflictError(rollout.id, 0);
    await this.appendEvents(rollout.id, rollout.events);
  }

  async get(id: string): Promise<Rollout> {
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': PARTITION_KEY },
      ExpressionAttributeValues: { ':pk': str(rolloutPk(id)) },
      ConsistentRead: true,
    });
    const row = items.find((item) => item[SORT_KEY]?.S === RECORD_SORT_KEY);
    if (row === undefined) throw new RolloutNotFoundError(id);
    const record = parseRecord(row);
    const logged = items.filter((item) => readString(item, SORT_KEY).startsWith(EVENT_SORT_KEY_PREFIX));
    return toRollout(record, mergeEvents(record, logged.map(parseEvent)));
  }

  /**
   * Reads the stored record first (one consistent GetItem) because the split between stored and new
   * events, the previous save's `recentEvents` to make durable, and whether the status crosses between
   * active and ended (the only saves that touch the active marker) are only known from it.
   */
  async save(next: Rollout): Promise<void> {
    const expected = next.version - 1;
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: recordKey(next.id), ConsistentRead: true }),
    );
    if (out.Item === undefined) throw new RolloutNotFoundError(next.id);
    const stored = parseRecord(out.Item);
    if (stored.rollout.version !== expected) throw new VersionConflictError(next.id, expected);
    if (next.events.length < stored.eventCount) {
      throw new RolloutError(
        `rollout ${next.id}: save has ${next.events.length} events, the log already has ${stored.eventCount}`,
      );
    }
    const added = next.events.slice(stored.eventCount);
    assertSequential(next.id, added, stored.eventCount);

    // The previous save may have died before writing its items; once this record replaces it, its
    // `recentEvents` are gone, so they must be durable first.
    await this.appendEvents(next.id, stored.recentEvents);
    const wasActive = !isTerminal(stored.rollout.status);
    const isActive = !isTerminal(next.status);
    // Back from ended (an abort retrying a FAILED rollback): marked before the record says so.
    if (isActive && !wasActive) await this.active.mark(next.id, next.service, next.version);
    const written = await conditionally(() =>
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: recordItem(next, added),
          ConditionExpression: '#version = :expected',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':expected': num(expected) },
        }),
      ),
    );
    if (!written) throw new VersionConflictError(next.id, expected);
    await this.appendEvents(next.id, added);
    // Ended: unmarked only once the record says so.
    if (wasActive && !isActive) await this.active.unmark(next.id, next.version);
  }

  async list(query: ListRolloutsQuery): Promise<RolloutPage> {
    const limit = query.limit ?? DEFAULT_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw new ValidationError('invalid limit', [`limit: must be an integer from 1 to ${MAX_LIMIT}`]);
    }
    const scope: ListScope =
      query.service === undefined
        ? { index: BY_CREATED_INDEX, partition: ALL_ROLLOUTS_PARTITION }
        : { index: BY_SERVICE_INDEX, partition: servicePartition(query.service) };
    let startKey = query.cursor === undefined ? undefined : decodeCursor(scope, query.cursor);

    const names: Record<string, string> = { '#p': scope.index.partitionKey };
    const values: Item = { ':p': str(scope.partition) };
    if (query.status !== undefined) {
      names['#status'] = 'status';
      values[':status'] = str(query.status);
    }
    // The cursor names the last rollout returned, not DynamoDB's LastEvaluatedKey, so reading past the
    // page is harmless: one extra match tells whether a next page exists (no empty last page), and a
    // status filter, which DynamoDB applies after `Limit`, keeps reading until the page is full.
    const records: StoredRecord[] = [];
    let more = false;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: scope.index.name,
          KeyConditionExpression: '#p = :p',
          FilterExpression: query.status === undefined ? undefined : '#status = :status',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
          Limit: limit + 1,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of out.Items ?? []) {
        if (records.length === limit) {
          more = true;
          break;
        }
        records.push(parseRecord(item));
      }
      startKey = out.LastEvaluatedKey;
    } while (!more && startKey !== undefined);

    const items = await Promise.all(
      records.map(async (record) => toRollout(record, mergeEvents(record, await this.loggedEvents(record.rollout.id)))),
    );
    const last = records.at(-1)?.rollout;
    return { items, nextCursor: more && last !== undefined ? encodeCursor(scope, last) : null };
  }

  acquireLock(service: string, rolloutId: string): Promise<boolean> {
    return this.locks.acquire(service, rolloutId);
  }

  releaseLock(service: string, rolloutId: string): Promise<void> {
    return this.locks.release(service, rolloutId);
  }

  lockHolder(service: string): Promise<string | null> {
    return this.locks.holder(service);
  }

  enqueue(service: string, rolloutId: string): Promise<void> {
    return this.queues.enqueue(service, rolloutId);
  }

  dequeue(service: string, rolloutId: string): Promise<void> {
    return this.queues.dequeue(service, rolloutId);
  }

  queued(service: string): Promise<string[]> {
    return this.queues.queued(service);
  }

  listActive(): Promise<string[]> {
    return this.active.list();
  }

  async forgetActive(rolloutId: string): Promise<boolean> {
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: recordKey(rolloutId), ConsistentRead: true, ProjectionExpression: '#status, #version', ExpressionAttributeNames: { '#status': 'status', '#version': 'version' } }),
    );
    if (out.Item === undefined) return this.active.forget(rolloutId, { exists: false });
    const status = readString(out.Item, 'status') as Rollout['status'];
    return this.active.forget(rolloutId, { exists: true, ended: isTerminal(status), version: readNumber(out.Item, 'version') });
  }

  claimDelivery(key: string, rolloutId: string, ttlSeconds: number): Promise<DeliveryClaim> {
    return this.claims.claim(key, rolloutId, ttlSeconds);
  }

  takeOverDelivery(key: string, fromRolloutId: string, toRolloutId: string, ttlSeconds: number): Promise<boolean> {
    return this.claims.takeOver(key, fromRolloutId, toRolloutId, ttlSeconds);
  }

  deliveryOwner(key: string): Promise<string | null> {
    return this.claims.owner(key);
  }

  receiveDelivery(delivery: ReceivedDelivery): Promise<void> {
    return this.deliveries.receive(delivery);
  }

  completeDelivery(delivery: ProcessedDelivery): Promise<void> {
    return this.deliveries.complete(delivery);
  }

  delivery(id: string): Promise<DeliveryRecord | null> {
    return this.deliveries.get(id);
  }

  receivedDeliveries(): Promise<ReceivedDelivery[]> {
    return this.deliveries.received();
  }

  /**
   * Puts event items that do not exist yet. An item that exists is left alone: the log is
   * append-only, and an existing item was written from a committed record, so it is already right.
   */
  private async appendEvents(id: string, events: readonly RolloutEvent[]): Promise<void> {
    const results = await Promise.allSettled(
      events.map((event) =>
        conditionally(() =>
          this.client.send(
            new PutItemCommand({
              TableName: this.tableName,
              Item: eventItem(id, event),
              ConditionExpression: 'attribute_not_exists(#sk)',
              ExpressionAttributeNames: { '#sk': SORT_KEY },
            }),
          ),
        ),
      ),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  private async loggedEvents(id: string): Promise<RolloutEvent[]> {
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :events)',
      ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#sk': SORT_KEY },
      ExpressionAttributeValues: { ':pk': str(rolloutPk(id)), ':events': str(EVENT_SORT_KEY_PREFIX) },
      ConsistentRead: true,
    });
    return items.map(parseEvent);
  }

  private async queryAll(input: QueryCommandInput): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Item | undefined;
    do {
      const out = await this.client.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
      items.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey;
    } while (startKey !== undefined);
    return items;
  }
}

function recordKey(id: string): Item {
  return { [PARTITION_KEY]: str(rolloutPk(id)), [SORT_KEY]: str(RECORD_SORT_KEY) };
}

/** The log is keyed by `seq`, so a gap or a repeat would overwrite or lose an event. */
function assertSequential(id: string, events: readonly RolloutEvent[], from: number): void {
  events.forEach((event, i) => {
    if (event.seq !== from + i) {
      throw new RolloutError(`rollout ${id}: event ${from + i} has seq ${event.seq}`);
    }
  });
}
