/**
 * Rollout <-> DynamoDB item translation.
 *
 * The record keeps the rollout as one JSON string attribute, `doc`, beside a few top-level
 * attributes the table itself acts on (keys, GSI keys, `version`, `status`, `eventCount`). Why JSON
 * rather than native maps and lists: the store only ever writes the record whole, under a version
 * condition, and never reads or updates a nested path server-side, so native maps would buy nothing
 * but a marshaller to keep exact (null vs absent, empty containers, number precision). JSON round
 * trips the record exactly, and costs about the same bytes as a map against the 400 KB item limit.
 *
 * `events` is left out of `doc` on purpose: the log lives in its own append-only items, so the record
 * stays small however long a rollout runs, and a stored event can never be rewritten by a later save.
 * The record carries only `recentEvents`, the events its last save added, because a save writes the
 * record first and the event items after it (there are no transactions): if the process dies in
 * between, `recentEvents` still holds them, readers merge them in, and the next save writes them.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { RolloutEvent } from '../../core/events';
import type { Rollout } from '../../core/rollout';
import { RolloutError } from '../../errors';
import {
  ALL_ROLLOUTS_PARTITION,
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

/** What a stored record holds besides the rollout: enough to rebuild `events` and to write the next save. */
export interface StoredRecord {
  /** The rollout without its events. */
  readonly rollout: Omit<Rollout, 'events'>;
  /** Number of events the log has once this record's `recentEvents` are written. */
  readonly eventCount: number;
  readonly recentEvents: readonly RolloutEvent[];
}

export function recordItem(rollout: Rollout, recentEvents: readonly RolloutEvent[]): Item {
  const { events, version, ...rest } = rollout;
  const created = createdSortKey(rollout.createdAt, rollout.id);
  return {
    [PARTITION_KEY]: str(rolloutPk(rollout.id)),
    [SORT_KEY]: str(RECORD_SORT_KEY),
    [BY_SERVICE_INDEX.partitionKey]: str(servicePartition(rollout.service)),
    [BY_SERVICE_INDEX.sortKey]: str(created),
    [BY_CREATED_INDEX.partitionKey]: str(ALL_ROLLOUTS_PARTITION),
    [BY_CREATED_INDEX.sortKey]: str(created),
    // Duplicated from `doc` for the status filter and for people reading the table; `doc` is the truth.
    id: str(rollout.id),
    service: str(rollout.service),
    status: str(rollout.status),
    createdAt: str(rollout.createdAt),
    updatedAt: str(rollout.updatedAt),
    version: num(version),
    eventCount: num(events.length),
    doc: str(JSON.stringify(rest)),
    recentEvents: str(JSON.stringify(recentEvents)),
  };
}

export function parseRecord(item: Item): StoredRecord {
  const rest = JSON.parse(readString(item, 'doc')) as Omit<Rollout, 'events' | 'version'>;
  return {
    rollout: { ...rest, version: readNumber(item, 'version') },
    eventCount: readNumber(item, 'eventCount'),
    recentEvents: JSON.parse(readString(item, 'recentEvents')) as RolloutEvent[],
  };
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
 * The full log of a record: the event items plus any `recentEvents` not written yet. Items beyond
 * `eventCount` belong to a save newer than this record (a Query is not a snapshot), so they are left
 * out to return the events of exactly this version.
 */
export function mergeEvents(record: StoredRecord, logged: readonly RolloutEvent[]): RolloutEvent[] {
  const bySeq = new Map<number, RolloutEvent>();
  for (const e of logged) if (e.seq < record.eventCount) bySeq.set(e.seq, e);
  for (const e of record.recentEvents) if (!bySeq.has(e.seq)) bySeq.set(e.seq, e);
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
