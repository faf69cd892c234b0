/**
 * Local mode's invocation slots (local/invocation-slots.ts): at most so many invocations run at once,
 * the others start in the order they came, and a failed one frees its slot too.
 */
import { describe, expect, it } from 'vitest';
import { InvocationSlots } from '../../../local/invocation-slots';

/** An invocation that runs until `finish()` is called, failing when asked to. */
function held(log: string[], name: string) {
  let finish!: (fail?: boolean) => void;
  const done = new Promise<void>((resolve, reject) => {
    finish = (fail = false) => (fail ? reject(new Error(`${name} failed`)) : resolve());
  });
  return {
    finish: (fail?: boolean) => finish(fail),
    run: async () => {
      log.push(`start ${name}`);
      await done;
      log.push(`end ${name}`);
      return name;
    },
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('invocation slots', () => {
  it('run at most their number of invocations at once, the others in the order they came', async () => {
    const slots = new InvocationSlots(2);
    const log: string[] = [];
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((name) => held(log, name));
    const results = [a!, b!, c!, d!].map((i) => slots.run(i.run).catch((e: unknown) => (e as Error).message));
    await settle();
    expect(log).toEqual(['start a', 'start b']);
    b!.finish();
    await settle();
    expect(log).toEqual(['start a', 'start b', 'end b', 'start c']);
    a!.finish(true);
    await settle();
    expect(log).toEqual(['start a', 'start b', 'end b', 'start c', 'start d']);
    c!.finish();
    d!.finish();
    expect(await Promise.all(results)).toEqual(['a failed', 'b', 'c', 'd']);
  });

  it('start at once while a slot is free, and refuse a size below one', async () => {
    const slots = new InvocationSlots(1);
    expect(await slots.run(async () => 'first')).toBe('first');
    expect(await slots.run(async () => 'second')).toBe('second');
    expect(() => new InvocationSlots(0)).toThrow(RangeError);
  });
});
