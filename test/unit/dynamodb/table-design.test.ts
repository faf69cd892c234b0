import { describe, expect, it } from 'vitest';
import {
  LEGACY_ACTIVE_MARKER_PARTITION,
  QUEUE_SORT_KEY_PREFIX,
  createTableInput,
  eventSk,
  legacyActiveMarkerSk,
  queueSk,
  rolloutIdOfPk,
  rolloutPk,
  servicePartition,
} from '../../../shared/adapters/dynamodb/table-design';
import { newRolloutId } from '../../../shared/core/ids';

describe('table design', () => {
  it('describes an on-demand table keyed by pk/sk with both list indexes projecting every attribute, and a keys-only active index', () => {
    const input = createTableInput('rollouts');

    expect(input.BillingMode).toBe('PAY_PER_REQUEST');
    expect(input.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    const indexes = input.GlobalSecondaryIndexes?.map((i) => [
      i.IndexName,
      ...(i.KeySchema ?? []).map((k) => k.AttributeName),
      i.Projection?.ProjectionType,
    ]);
    expect(indexes).toEqual([
      ['byService', 'gsi1pk', 'gsi1sk', 'ALL'],
      ['byCreated', 'gsi2pk', 'gsi2sk', 'ALL'],
      ['byActive', 'gsi3pk', 'gsi3sk', 'KEYS_ONLY'],
    ]);
    expect(input.AttributeDefinitions?.map((a) => a.AttributeName)).toEqual(['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'gsi3pk', 'gsi3sk']);
    expect(input.AttributeDefinitions?.every((a) => a.AttributeType === 'S')).toBe(true);
  });

  it('keys events so that string order is log order', () => {
    const keys = [0, 9, 10, 99, 100, 123456].map(eventSk);

    expect(keys[0]).toBe('EVENT#000000');
    expect([...keys].sort()).toEqual(keys);
    expect(() => eventSk(-1)).toThrow(RangeError);
    expect(() => eventSk(1_000_000)).toThrow(RangeError);
  });

  it('keys queue entries beside the lock so that string order is push order, and legacy active markers apart', () => {
    const at = (ms: number) => newRolloutId(new Date(Date.parse('2026-08-01T10:00:00Z') + ms));
    const ids = [0, 1, 999, 1000, 86_400_000].map(at);
    const keys = ids.map(queueSk);

    expect(servicePartition('web')).toBe('SERVICE#web');
    expect(keys.every((k) => k.startsWith(QUEUE_SORT_KEY_PREFIX) && k !== 'LOCK')).toBe(true);
    expect([...keys].reverse().sort()).toEqual(keys);
    // Where earlier versions wrote them: the store still reads and deletes them there.
    expect(LEGACY_ACTIVE_MARKER_PARTITION).toBe('ACTIVE');
    expect(ids.map(legacyActiveMarkerSk)).toEqual(ids);
    // No other item kind shares the markers' partition or a rollout's.
    expect(['ROLLOUT#', 'SERVICE#', 'DELIVERY#', 'INTAKE#'].some((p) => LEGACY_ACTIVE_MARKER_PARTITION.startsWith(p))).toBe(false);
  });

  it("reads a rollout's id back from its record's partition key, and no id from any other", () => {
    const id = newRolloutId(new Date('2026-08-01T10:00:00Z'));

    expect(rolloutIdOfPk(rolloutPk(id))).toBe(id);
    expect(rolloutIdOfPk('ROLLOUT#')).toBeNull();
    expect(rolloutIdOfPk(servicePartition('web'))).toBeNull();
    expect(rolloutIdOfPk('ACTIVE')).toBeNull();
  });
});
