import { describe, expect, it } from 'vitest';
import {
  eventItem,
  isSelfContained,
  loggedCountOf,
  mergeEvents,
  parseEvent,
  parseRecord,
  recordItem,
  toRollout,
  type StoredRecord,
} from '../../../shared/adapters/dynamodb/item-codec';
import { EventType } from '../../../shared/core/events';
import { RolloutError } from '../../../shared/errors';
import { event, makeRollout } from '../../integration/dynamodb/rollout-factory';

const e = (seq: number, message = `event ${seq}`) => event(seq, EventType.StepStarted, message);

function storedWith(eventCount: number, loggedCount: number, inlineEvents = [] as ReturnType<typeof e>[]): StoredRecord {
  const { events: _events, ...rollout } = makeRollout();
  return { rollout, eventCount, loggedCount, inlineEvents };
}

describe('record items', () => {
  it('round trip a rollout with its events in the record', () => {
    const rollout = makeRollout({ events: [e(0), e(1), e(2)], version: 7 });

    const item = recordItem(rollout, 0);
    const stored = parseRecord(item);

    expect(item.doc?.S).not.toContain('"events"');
    expect(item.version).toEqual({ N: '7' });
    expect(item.eventCount).toEqual({ N: '3' });
    expect(item.loggedCount).toEqual({ N: '0' });
    expect(item.gsi1pk).toEqual({ S: 'SERVICE#web' });
    expect(item.gsi2sk).toEqual({ S: `${rollout.createdAt}#${rollout.id}` });
    expect(isSelfContained(stored)).toBe(true);
    expect(toRollout(stored, stored.inlineEvents)).toStrictEqual(rollout);
  });

  it('carry only the events after the logged ones when a log has moved to event items', () => {
    const rollout = makeRollout({ events: [e(0), e(1), e(2)] });

    const stored = parseRecord(recordItem(rollout, 2));

    expect(stored.inlineEvents).toEqual([e(2)]);
    expect(isSelfContained(stored)).toBe(false);
    expect(mergeEvents(stored, [e(0), e(1)])).toEqual(rollout.events);
  });

  it('read a record of the earlier shape: every event in items but the last save\'s recentEvents', () => {
    const item = recordItem(makeRollout({ events: [e(0), e(1), e(2)] }), 0);
    delete item.events;
    delete item.loggedCount;
    item.recentEvents = { S: JSON.stringify([e(2)]) };

    const stored = parseRecord(item);

    expect(stored).toMatchObject({ eventCount: 3, loggedCount: 3, inlineEvents: [e(2)] });
    expect(mergeEvents(stored, [e(0), e(1)])).toEqual([e(0), e(1), e(2)]);
  });

  it('round trip an event through its append-only item keyed by a zero-padded seq', () => {
    const item = eventItem('r-1', e(42));

    expect(item.pk).toEqual({ S: 'ROLLOUT#r-1' });
    expect(item.sk).toEqual({ S: 'EVENT#000042' });
    expect(parseEvent(item)).toStrictEqual(e(42));
  });

  it('refuse to read an item that lacks an attribute instead of inventing a value', () => {
    const item = recordItem(makeRollout(), 0);
    delete item.version;

    expect(() => parseRecord(item)).toThrow(RolloutError);
  });
});

describe('loggedCountOf', () => {
  const sized = (n: number) => Array.from({ length: n }, (_, i) => e(i, 'x'.repeat(100)));

  it('keeps a log smaller than a chunk wholly in the record', () => {
    expect(loggedCountOf(sized(5), 10_000)).toBe(0);
  });

  it('ends chunks where the events since the last end reach the chunk size, the same for every longer log', () => {
    const bytes = Buffer.byteLength(JSON.stringify(e(0, 'x'.repeat(100))));
    const chunk = bytes * 4;
    expect(loggedCountOf(sized(3), chunk)).toBe(0);
    expect(loggedCountOf(sized(4), chunk)).toBe(4);
    expect(loggedCountOf(sized(7), chunk)).toBe(4);
    expect(loggedCountOf(sized(9), chunk)).toBe(8);
  });
});

describe('mergeEvents', () => {
  it('takes the logged events below loggedCount and the record\'s own after them', () => {
    expect(mergeEvents(storedWith(4, 2, [e(2), e(3)]), [e(0), e(1)])).toEqual([e(0), e(1), e(2), e(3)]);
  });

  it('prefers the logged item over a record\'s copy of the same event (the earlier shape)', () => {
    expect(mergeEvents(storedWith(2, 2, [e(1, 'copy')]), [e(1, 'logged'), e(0)])).toEqual([e(0), e(1, 'logged')]);
  });

  it('leaves out logged events at or beyond loggedCount, written by a save it has not seen', () => {
    expect(mergeEvents(storedWith(2, 2), [e(0), e(1), e(2)])).toEqual([e(0), e(1)]);
  });

  it('fails loudly on a log with a gap rather than return an incomplete history', () => {
    expect(() => mergeEvents(storedWith(3, 3), [e(0), e(2)])).toThrow(/incomplete/);
  });
});
