/**
 * `RolloutStore` on one DynamoDB table (layout in `table-design.ts`, item shapes in `item-codec.ts`).
 *
 * Only single-item conditional writes: DynamoDB transactions are not available in dynalite and not
 * needed. A rollout and its events are one item, so a save is one PutItem under a version condition
 * and a read is one consistent GetItem. Only a rollout whose log outgrows a chunk (hundreds of events)
 * keeps its oldest events in event items: they are written before the record that stops carrying them,
 * and read with one bounded Query.
 *
 * A save never reads the record first: the writer hands it the rollout it decided from (`previous`,
 * the stored version `next.version - 1`), which says which events are committed already. The version
 * condition guarantees that `previous` is what is stored. Whether a rollout is active is part of its
 * record (the sparse `byActive` keys, item-codec.ts), so no save writes anything else for it.
 */
import {
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { RolloutEvent } from '../../core/events';
import type { Rollout } from '../../core/rollout';
import { isTerminal } from '../../core/status';
import { RolloutError, RolloutNotFoundError, ValidationError, VersionConflictError } from '../../errors';
import type { DeliveryClaim, DeliveryRecord, ListRolloutsQuery, LockRelease, ProcessedDelivery, ReceivedDelivery, RolloutPage, RolloutStore } from '../../ports';
import { ActiveIndex } from './active-index';
import { conditionally } from './conditional';
import { putAll } from './put-all';
import { queryAll } from './query-all';
import { DeliveryClaims } from './delivery-claims';
import {
  eventItem,
  isSelfContained,
  loggedCountOf,
  mergeEvents,
  num,
  parseEvent,
  parseRecord,
  readNumber,
  readString,
  recordItem,
  str,
  TASK_TOKEN,
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
  PARTITION_KEY,
  RECORD_SORT_KEY,
  SORT_KEY,
  eventSk,
  rolloutPk,
  servicePartition,
} from './table-design';

export interface DynamoRolloutStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** The clock that decides whether a delivery claim (or a legacy active marker) has expired. Default: the system clock. */
  readonly now?: () => Date;
  /**
   * How old a legacy active marker (written by an earlier version, active-index.ts) must be before
   * `forgetActive` may remove it while its record is missing or says otherwise: younger, the write it
   * announces may still be on its way. Default 300.
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

  /** One conditional PutItem; an active rollout's record carries its `byActive` keys. */
  async create(rollout: Rollout): Promise<void> {
    assertSequential(rollout.id, rollout.events);
    const written = await conditionally(() =>
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          // All events in the record: event items written for a create that then finds the id taken
          // would overwrite the log of the rollout that has it.
          Item: recordItem(rollout, 0),
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PARTITION_KEY },
        }),
      ),
    );
    if (!written) throw new VersionConflictError(rollout.id, 0);
  }

  async get(id: string): Promise<Rollout> {
    const out = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: recordKey(id), ConsistentRead: true }));
    if (out.Item === undefined) throw new RolloutNotFoundError(id);
    return this.withEvents(parseRecord(out.Item));
  }

  /**
   * One conditional PutItem of the record with its events. `previous` is the rollout `next` was decided
   * from; without it the store reads the record first. Once the committed events fill a chunk
   * (`loggedCountOf`: hundreds of events), a save also reads the stored `loggedCount` and first writes
   * the events of whole chunks that are not in event items yet.
   */
  async save(next: Rollout, previous?: Rollout): Promise<void> {
    const expected = next.version - 1;
    const base = previous ?? (await this.get(next.id));
    if (base.id !== next.id) throw new RolloutError(`rollout ${next.id}: saved from the record of ${base.id}`);
    if (base.version !== expected) throw new VersionConflictError(next.id, expected);
    if (next.events.length < base.events.length) {
      throw new RolloutError(`rollout ${next.id}: save has ${next.events.length} events, the log already has ${base.events.length}`);
    }
    assertSequential(next.id, next.events);

    // Only events the stored record already has move to items: they can no longer change.
    const loggedCount = loggedCountOf(base.events);
    if (loggedCount > 0) await this.logEvents(next.id, expected, base.events.slice(0, loggedCount));
    // Stored events never change, whatever `next` carries for them.
    const events = [...base.events, ...next.events.slice(base.events.length)];
    const written = await conditionally(() =>
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: recordItem({ ...next, events }, loggedCount),
          ConditionExpression: '#version = :expected',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':expected': num(expected) },
        }),
      ),
    );
    if (!written) throw new VersionConflictError(next.id, expected);
  }

  /**
   * One UpdateItem under the version condition, answering the record as written (ALL_NEW), so that
   * keeping a wait's token costs no read. The token, `version` and `updatedAt` are top-level attributes
   * (item-codec.ts); events and the `byActive` keys are untouched, as the status is.
   */
  async keepToken(id: string, version: number, taskToken: string, at: string): Promise<Rollout | null> {
    let written: Item | undefined;
    const kept = await conditionally(async () => {
      const out = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: recordKey(id),
          UpdateExpression: 'SET #token = :token, #version = :next, #updatedAt = :at',
          ConditionExpression: '#version = :expected',
          ExpressionAttributeNames: { '#token': TASK_TOKEN, '#version': 'version', '#updatedAt': 'updatedAt' },
          ExpressionAttributeValues: { ':token': str(taskToken), ':next': num(version + 1), ':at': str(at), ':expected': num(version) },
          ReturnValues: 'ALL_NEW',
        }),
      );
      written = out.Attributes;
    });
    if (!kept || written === undefined) return null;
    return this.withEvents(parseRecord(written));
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

    const items = await Promise.all(records.map((record) => this.withEvents(record)));
    const last = records.at(-1)?.rollout;
    return { items, nextCursor: more && last !== undefined ? encodeCursor(scope, last) : null };
  }

  acquireLock(service: string, rolloutId: string, queued?: boolean): Promise<boolean> {
    return this.locks.acquire(service, rolloutId, queued);
  }

  releaseLock(service: string, rolloutId: string): Promise<LockRelease> {
    return this.locks.release(service, rolloutId);
  }

  markQueued(service: string): Promise<boolean> {
    return this.locks.markQueued(service);
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

  receiveDelivery(delivery: ReceivedDelivery | ProcessedDelivery): Promise<DeliveryRecord | null> {
    return this.deliveries.receive(delivery);
  }

  completeDelivery(delivery: ProcessedDelivery): Promise<boolean> {
    return this.deliveries.complete(delivery);
  }

  delivery(id: string): Promise<DeliveryRecord | null> {
    return this.deliveries.get(id);
  }

  receivedDeliveries(): Promise<ReceivedDelivery[]> {
    return this.deliveries.received();
  }

  /** The rollout of a record: its own events, after those in event items when it has any. */
  private async withEvents(record: StoredRecord): Promise<Rollout> {
    if (isSelfContained(record)) return toRollout(record, record.inlineEvents);
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :first AND :last',
      ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#sk': SORT_KEY },
      ExpressionAttributeValues: {
        ':pk': str(rolloutPk(record.rollout.id)),
        ':first': str(eventSk(0)),
        ':last': str(eventSk(Math.max(record.loggedCount - 1, 0))),
      },
      ConsistentRead: true,
    });
    return toRollout(record, mergeEvents(record, items.map(parseEvent)));
  }

  /**
   * Makes `events` (committed, the first of the log) durable as event items before a record that no
   * longer carries them replaces the one at `expected`. Reads that record to skip the items it already
   * relies on (a record of the earlier shape relies on none being complete). An item may be written
   * twice, always with the same content: these events are committed and the log is append-only.
   */
  private async logEvents(id: string, expected: number, events: readonly RolloutEvent[]): Promise<void> {
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: recordKey(id),
        ConsistentRead: true,
        ProjectionExpression: '#version, #logged, #events',
        ExpressionAttributeNames: { '#version': 'version', '#logged': 'loggedCount', '#events': 'events' },
      }),
    );
    if (out.Item === undefined) throw new RolloutNotFoundError(id);
    if (readNumber(out.Item, 'version') !== expected) throw new VersionConflictError(id, expected);
    const from = out.Item['events'] === undefined ? 0 : readNumber(out.Item, 'loggedCount');
    await putAll(
      this.client,
      this.tableName,
      events.slice(from).map((event) => eventItem(id, event)),
      (left, rounds) => new RolloutError(`rollout ${id}: ${left} event items still unprocessed after ${rounds} rounds`),
    );
  }
}

function recordKey(id: string): Item {
  return { [PARTITION_KEY]: str(rolloutPk(id)), [SORT_KEY]: str(RECORD_SORT_KEY) };
}

/** The log is keyed by `seq`, so a gap or a repeat would overwrite or lose an event. */
function assertSequential(id: string, events: readonly RolloutEvent[]): void {
  events.forEach((event, i) => {
    if (event.seq !== i) throw new RolloutError(`rollout ${id}: event ${i} has seq ${event.seq}`);
  });
}
