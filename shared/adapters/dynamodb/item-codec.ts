/**
 * Rollout <-> DynamoDB item translation.
 *
 * The record keeps the rollout as one JSON string attribute, `doc`, beside a few top-level
 * attributes the table itself acts on (keys, GSI keys, `version`, `status`, `eventCount`; the
 * `byActive` keys only while the rollout has not ended). Why JSON
 * rather than native maps and lists: the store only ever writes the record whole, under a version
 * condition, and never reads or updates a nested path server-side, so native maps would buy nothing
 * but a marshaller to keep exact (null vs absent, empty containers, number precision). JSON round
 * trips the record exactly, and costs about the same bytes as a map against the 400 KB item limit.
 *
 * The events live in the record (`events`, JSON), so that a save is one conditional write of the
 * record and its new events together, and a read is one GetItem. A rollout whose events outgrow a
 * chunk (`EVENT_CHUNK_BYTES`, hundreds of events) moves its oldest, committed events into append-only
 * event items (`EVENT#000042`) whole chunks at a time, before the record that stops carrying them is
 * written: `loggedCount` says how many of the first events are in items, so the record stays well under
 * the item limit however long a rollout runs. Where the chunks end is a pure function of the events
 * (`loggedCountOf`), so a writer knows it from the rollout it read without reading the record again.
 *
 * A record written before events lived in it has no `events` attribute: its log is in event items plus
 * the `recentEvents` its last save added. It is still read (one Query), and its next save writes the
 * new shape.
 *
 * A callback wait's task token is the one field written without the rest of the record (`keepToken`:
 * one UpdateItem under the version condition, no read first), so it lives at the top level, beside
 * `version` and `updatedAt`, which that update also sets: these three top-level attributes are the
 * truth, and `doc` holds neither the token nor a newer `updatedAt` (a record written before the token
 * moved out keeps it in `doc`, read when the top level has none).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { RolloutEvent } from '../../core/events';
import type { Rollout } from '../../core/rollout';
import { isTerminal } from '../../core/status';
import { RolloutError } from '../../errors';
import {
  ACTIVE_PARTITION,
  ALL_ROLLOUTS_PARTITION,
  BY_ACTIVE_INDEX,
  BY_CREATED_INDEX,
  BY_SERVICE_INDEX,
  PARTITION_KEY,
  RECORD_SORT_KEY,
  SORT_KEY,
  createdSortKey,
  eventSk,
  rolloutPk,
  servicePartition,
} from './table-design';

export type Item = Record<string, AttributeValue>;

/** How many bytes of events (as JSON) make a chunk that moves out of the record into event items. */
export const EVENT_CHUNK_BYTES = 128 * 1024;

/** What a stored record holds besides the rollout: enough to rebuild `events`. */
export interface StoredRecord {
  /** The rollout without its events. */
  readonly rollout: Omit<Rollout, 'events'>;
  /** Number of events in the rollout's log. */
  readonly eventCount: number;
  /** The first `loggedCount` events are in event items; the others are in the record (`inlineEvents`). */
  readonly loggedCount: number;
  readonly inlineEvents: readonly RolloutEvent[];
}

/**
 * How many of a log's first events belong in event items: the end of its last whole chunk. Chunks
 * end where the events since the previous end reach `EVENT_CHUNK_BYTES`, so the answer for a log is
 * the same for every longer log it is a prefix of (the log is append-only).
 */
export function loggedCountOf(events: readonly RolloutEvent[], chunkBytes = EVENT_CHUNK_BYTES): number {
  let end = 0;
  let bytes = 0;
  events.forEach((event, i) => {
    bytes += Buffer.byteLength(JSON.stringify(event));
    if (bytes >= chunkBytes) {
      end = i + 1;
      bytes = 0;
    }
  });
  return end;
}

/** The record of `rollout` whose first `loggedCount` events are in event items. */
export function recordItem(rollout: Rollout, loggedCount: number): Item {
  const { events, version, taskToken, ...rest } = rollout;
  const created = createdSortKey(rollout.createdAt, rollout.id);
  return {
    [PARTITION_KEY]: str(rolloutPk(rollout.id)),
    [SORT_KEY]: str(RECORD_SORT_KEY),
    [BY_SERVICE_INDEX.partitionKey]: str(servicePartition(rollout.service)),
    [BY_SERVICE_INDEX.sortKey]: str(created),
    [BY_CREATED_INDEX.partitionKey]: str(ALL_ROLLOUTS_PARTITION),
    [BY_CREATED_INDEX.sortKey]: str(created),
    // Sparse: only a rollout that has not ended is in `byActive` (table-design.ts). A save that ends it
    // writes the record without these keys, which takes it out of the index in the same write.
    ...(isTerminal(rollout.status) ? {} : { [BY_ACTIVE_INDEX.partitionKey]: str(ACTIVE_PARTITION), [BY_ACTIVE_INDEX.sortKey]: str(created) }),
    // Duplicated from `doc` for the status filter and for people reading the table; `doc` is the truth,
    // but for `version`, `updatedAt` and the task token (see the file comment).
    id: str(rollout.id),
    service: str(rollout.service),
    status: str(rollout.status),
    createdAt: str(rollout.createdAt),
    updatedAt: str(rollout.updatedAt),
    version: num(version),
    eventCount: num(events.length),
    loggedCount: num(loggedCount),
    doc: str(JSON.stringify(rest)),
    events: str(JSON.stringify(events.slice(loggedCount))),
    ...(taskToken === null ? {} : { [TASK_TOKEN]: str(taskToken) }),
  };
}

/** The top-level attribute that holds a callback wait's task token (absent: none). */
export const TASK_TOKEN = 'taskToken';

export function parseRecord(item: Item): StoredRecord {
  const rest = JSON.parse(readString(item, 'doc')) as Omit<Rollout, 'events' | 'version' | 'taskToken'> & { readonly taskToken?: string | null };
  const rollout = {
    ...rest,
    version: readNumber(item, 'version'),
    updatedAt: item['updatedAt']?.S ?? rest.updatedAt,
    taskToken: item[TASK_TOKEN]?.S ?? rest.taskToken ?? null,
  };
  const eventCount = readNumber(item, 'eventCount');
  if (item['events'] === undefined) {
    // The earlier shape: every event in an item, except perhaps the last save's `recentEvents`.
    return { rollout, eventCount, loggedCount: eventCount, inlineEvents: JSON.parse(readString(item, 'recentEvents')) as RolloutEvent[] };
  }
  return { rollout, eventCount, loggedCount: readNumber(item, 'loggedCount'), inlineEvents: JSON.parse(readString(item, 'events')) as RolloutEvent[] };
}

/** Whether the record's events are all in the record itself (no event item to read). */
export function isSelfContained(record: StoredRecord): boolean {
  return record.inlineEvents.length === record.eventCount;
}

export function eventItem(rolloutId: string, event: RolloutEvent): Item {
  return {
    [PARTITION_KEY]: str(rolloutPk(rolloutId)),
    [SORT_KEY]: str(eventSk(event.seq)),
    seq: num(event.seq),
    // For people reading the table; `doc` is the truth, so fields added to events later survive.
    type: str(event.type),
    at: str(event.at),
    doc: str(JSON.stringify(event)),
  };
}

export function parseEvent(item: Item): RolloutEvent {
  return JSON.parse(readString(item, 'doc')) as RolloutEvent;
}

/**
 * The full log of a record: its event items (`logged`) below `loggedCount`, then the events the record
 * carries. Items at or beyond `loggedCount` (written ahead by a save that lost its race, or a Query
 * that read past this version) are left out, to return the events of exactly this version.
 */
export function mergeEvents(record: StoredRecord, logged: readonly RolloutEvent[]): RolloutEvent[] {
  const bySeq = new Map<number, RolloutEvent>();
  for (const e of logged) if (e.seq < record.loggedCount) bySeq.set(e.seq, e);
  for (const e of record.inlineEvents) if (!bySeq.has(e.seq)) bySeq.set(e.seq, e);
  const events = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  if (events.length !== record.eventCount || events.some((e, i) => e.seq !== i)) {
    throw new RolloutError(
      `rollout ${record.rollout.id}: event log is incomplete (${events.length} of ${record.eventCount} events)`,
    );
  }
  return events;
}

export function toRollout(record: StoredRecord, events: readonly RolloutEvent[]): Rollout {
  return { ...record.rollout, events };
}

export function str(value: string): AttributeValue {
  return { S: value };
}

export function num(value: number): AttributeValue {
  return { N: String(value) };
}

export function readString(item: Item, name: string): string {
  const value = item[name]?.S;
  if (value === undefined) throw new RolloutError(`stored item lacks string attribute ${name}`);
  return value;
}

export function readNumber(item: Item, name: string): number {
  const value = item[name]?.N;
  if (value === undefined) throw new RolloutError(`stored item lacks number attribute ${name}`);
  return Number(value);
}
