/** A port whose adapter is loaded by its first call (functions/wiring/ports.ts). */
import { describe, expect, it } from 'vitest';
import { lazyPort } from '../../../functions/wiring/ports';

interface Greeter {
  greet(name: string): Promise<string>;
}

describe('a lazily loaded port', () => {
  it('loads nothing until its first call, then loads once and calls through with the arguments', async () => {
    let loads = 0;
    const port = lazyPort<Greeter>(async () => {
      loads += 1;
      return { prefix: 'hello', async greet(name: string) { return `${this.prefix} ${name}`; } } as Greeter & { prefix: string };
    });
    expect(loads).toBe(0);
    expect(await Promise.all([port.greet('a'), port.greet('b')])).toEqual(['hello a', 'hello b']);
    expect(await port.greet('c')).toBe('hello c');
    expect(loads).toBe(1);
  });

  it('is not a promise itself, so awaiting the port does not load it', async () => {
    let loads = 0;
    const port = lazyPort<Greeter>(async () => ((loads += 1), { greet: async () => 'x' }));
    expect(await port).toBe(port);
    expect(loads).toBe(0);
  });

  it('tries the load again after a failed one, and refuses a name that is not a method', async () => {
    let attempt = 0;
    const port = lazyPort<Greeter>(async () => {
      attempt += 1;
      if (attempt === 1) throw new Error('chunk missing');
      return { greet: async (name: string) => name };
    });
    await expect(port.greet('a')).rejects.toThrow('chunk missing');
    expect(await port.greet('b')).toBe('b');
    await expect((port as unknown as { nope: () => Promise<void> }).nope()).rejects.toThrow('nope is not a method of this port');
  });
});
