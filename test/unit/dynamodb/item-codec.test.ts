import { describe, expect, it } from 'vitest';
import {
  eventItem,
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

function storedWith(eventCount: number, recentEvents = [] as ReturnType<typeof e>[]): StoredRecord {
  const { events: _events, ...rollout } = makeRollout();
  return { rollout, eventCount, recentEvents };
}

describe('record items', () => {
  it('round trip a rollout, keeping its events out of the record and the new ones in recentEvents', () => {
    const rollout = makeRollout({ events: [e(0), e(1), e(2)], version: 7 });

    const item = recordItem(rollout, rollout.events.slice(2));
    const stored = parseRecord(item);

    expect(item.doc?.S).not.toContain('"events"');
    expect(item.version).toEqual({ N: '7' });
    expect(item.eventCount).toEqual({ N: '3' });
    expect(item.gsi1pk).toEqual({ S: 'SERVICE#web' });
    expect(item.gsi2sk).toEqual({ S: `${rollout.createdAt}#${rollout.id}` });
    expect(stored.recentEvents).toEqual([e(2)]);
    expect(toRollout(stored, rollout.events)).toStrictEqual(rollout);
  });

  it('round trip an event through its append-only item keyed by a zero-padded seq', () => {
    const item = eventItem('r-1', e(42));

    expect(item.pk).toEqual({ S: 'ROLLOUT#r-1' });
    expect(item.sk).toEqual({ S: 'EVENT#000042' });
    expect(parseEvent(item)).toStrictEqual(e(42));
  });

  it('refuse to read an item that lacks an attribute instead of inventing a value', () => {
    const item = recordItem(makeRollout(), []);
    delete item.version;

    expect(() => parseRecord(item)).toThrow(RolloutError);
  });
});

describe('mergeEvents', () => {
  it('fills the events whose items were never written from recentEvents', () => {
    expect(mergeEvents(storedWith(4, [e(2), e(3)]), [e(0), e(1)])).toEqual([e(0), e(1), e(2), e(3)]);
  });

  it('prefers the logged item over the recentEvents copy of the same event', () => {
    expect(mergeEvents(storedWith(2, [e(1, 'copy')]), [e(1, 'logged'), e(0)])).toEqual([e(0), e(1, 'logged')]);
  });

  it('leaves out logged events newer than the record, written by a save it has not seen', () => {
    expect(mergeEvents(storedWith(2), [e(0), e(1), e(2)])).toEqual([e(0), e(1)]);
  });

  it('fails loudly on a log with a gap rather than return an incomplete history', () => {
    expect(() => mergeEvents(storedWith(3), [e(0), e(2)])).toThrow(/incomplete/);
  });
});
