import { describe, expect, it } from 'vitest';
import { createTableInput, eventSk } from '../../../shared/adapters/dynamodb/table-design';

describe('table design', () => {
  it('describes an on-demand table keyed by pk/sk with both list indexes projecting every attribute', () => {
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
    ]);
    expect(input.AttributeDefinitions?.every((a) => a.AttributeType === 'S')).toBe(true);
  });

  it('keys events so that string order is log order', () => {
    const keys = [0, 9, 10, 99, 100, 123456].map(eventSk);

    expect(keys[0]).toBe('EVENT#000000');
    expect([...keys].sort()).toEqual(keys);
    expect(() => eventSk(-1)).toThrow(RangeError);
    expect(() => eventSk(1_000_000)).toThrow(RangeError);
  });
});
