import { describe, expect, it } from 'vitest';
import { forgetOldest, setNewest } from '../../../shared/bounded-map';

describe('bounded maps', () => {
  it('keeps the newest entries up to the bound, forgetting the oldest first', () => {
    const map = new Map<string, number>();
    for (const [i, key] of ['a', 'b', 'c', 'd'].entries()) setNewest(map, key, i, 3);
    expect([...map]).toEqual([['b', 1], ['c', 2], ['d', 3]]);
  });

  it('a renewed entry becomes the newest, so it outlives entries set after it first was', () => {
    const map = new Map<string, number>();
    setNewest(map, 'a', 1, 2);
    setNewest(map, 'b', 2, 2);
    setNewest(map, 'a', 3, 2);
    setNewest(map, 'c', 4, 2);
    expect([...map]).toEqual([['a', 3], ['c', 4]]);
  });

  it('with a bound of 0 nothing stays', () => {
    const map = new Map<string, number>();
    setNewest(map, 'a', 1, 0);
    expect(map.size).toBe(0);
  });

  it('a smaller bound forgets the oldest at once', () => {
    const map = new Map<number, number>(Array.from({ length: 10 }, (_, i) => [i, i]));
    forgetOldest(map, 4);
    expect([...map.keys()]).toEqual([6, 7, 8, 9]);
    forgetOldest(map, 10);
    expect(map.size).toBe(4);
  });
});
