import { describe, expect, it } from 'vitest';
import { ROLLOUT_ID_PATTERN, newRolloutId } from '../../../shared/core/ids';

describe('rollout ids', () => {
  it('sort by the millisecond they were made in, and within one millisecond in the order they were made', () => {
    const at = new Date('2026-12-03T07:40:00.123Z');
    const same = Array.from({ length: 200 }, () => newRolloutId(at));
    expect(same.every((id) => ROLLOUT_ID_PATTERN.test(id))).toBe(true);
    expect([...same].sort()).toEqual(same);
    expect(new Set(same).size).toBe(same.length);
    const later = newRolloutId(new Date(at.getTime() + 1));
    expect(later > same.at(-1)!).toBe(true);
    expect(newRolloutId(new Date(at.getTime() - 1)) < same[0]!).toBe(true);
  });
});

describe('rollout ids made in different milliseconds', () => {
  it('have random parts of their own, past the 256 ids one draw of random bytes serves', () => {
    const start = Date.parse('2026-12-03T07:40:00.000Z');
    const randomParts = Array.from({ length: 1000 }, (_, i) => newRolloutId(new Date(start + i * 2)).slice(10));
    expect(new Set(randomParts).size).toBe(randomParts.length);
    // Every digit of the alphabet turns up in each position: the parts are not a counter.
    for (let position = 0; position < 16; position++) expect(new Set(randomParts.map((r) => r[position])).size).toBe(32);
  });
});
