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
