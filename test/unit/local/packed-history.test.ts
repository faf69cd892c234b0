/**
 * The Step Functions stand-in keeps large history members deflated (local/step-functions-emulator/history.ts):
 * what it keeps is the deflated bytes, not the zlib output chunk they were written into nor a pool slab
 * that the process's short-lived Buffers share with them.
 */
import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { PackedText } from '../../../local/step-functions-emulator/history';

/**
 * Memory held by ArrayBuffers (Buffers' memory), once what nobody holds is collected: a full collection,
 * twice, a turn of the event loop apart (ArrayBuffers' memory is let go by a sweep after the collection).
 */
async function arrayBuffersInUse(): Promise<number> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().arrayBuffers;
}

describe('a packed history member', () => {
  it('gives its text back exactly and keeps about its deflated size in memory', async () => {
    // Members of a rollout's size that deflate to about 700 bytes each (hex of random bytes), and non-ASCII text.
    const texts = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ i, note: 'ünïcödé ✓', record: randomBytes(600).toString('hex') }));
    const before = await arrayBuffersInUse();
    const kept = texts.map((text) => {
      // Short-lived Buffers made meanwhile, as the rest of the process makes them (from the same pool).
      Buffer.from(`a request body ${text.slice(0, 1500)}`);
      return new PackedText(text);
    });
    const grown = (await arrayBuffersInUse()) - before;
    // Kept as strings, the members hold no ArrayBuffer (one pool slab's 8 KiB here). Keeping zlib's 16 KiB
    // output chunk per member was 31 MiB, and a pooled copy kept a share of the 8 KiB slabs it was cut
    // from, that garbage filled the rest of (7 MiB).
    expect(grown).toBeLessThan(2 * 1024 * 1024);
    expect(kept.map(String)).toEqual(texts);
    expect(JSON.parse(JSON.stringify({ kept: kept[7] }))).toEqual({ kept: texts[7] });
  });
});
