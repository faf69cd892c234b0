import { describe, expect, it } from 'vitest';
import { loadOnce } from '../../../shared/load-once';

describe('loadOnce', () => {
  it('loads at the first call only, and every call gets the same promise', async () => {
    let loads = 0;
    const get = loadOnce(async () => ++loads);
    const [a, b] = [get(), get()];
    expect(a).toBe(b);
    expect(await a).toBe(1);
    expect(await get()).toBe(1);
    expect(loads).toBe(1);
  });

  it('keeps no failed load: the next call loads again', async () => {
    let loads = 0;
    const get = loadOnce(async () => {
      loads++;
      if (loads === 1) throw new Error('chunk missing');
      return 'loaded';
    });
    await expect(get()).rejects.toThrow('chunk missing');
    expect(await get()).toBe('loaded');
    expect(await get()).toBe('loaded');
    expect(loads).toBe(2);
  });

  it("loads with the arguments of the call that starts the load; a failed one is tried again with the next call's", async () => {
    const seen: string[] = [];
    const get = loadOnce(async (env: string) => {
      seen.push(env);
      if (env === 'broken') throw new Error(`cannot load for ${env}`);
      return `built for ${env}`;
    });
    await expect(get('broken')).rejects.toThrow('cannot load for broken');
    expect(await get('fixed')).toBe('built for fixed');
    expect(await get('other')).toBe('built for fixed');
    expect(seen).toEqual(['broken', 'fixed']);
  });
});
