/**
 * The Step Functions stand-in keeps large history members deflated (local/step-functions-emulator/history.ts):
 * what it keeps is about the deflated bytes, not the zlib output chunk they were written into nor a pool
 * slab that the process's short-lived Buffers share with them.
 */
import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { PackedText } from '../../../local/step-functions-emulator/history';

/** A full garbage collection, so that memory nobody holds is not counted. */
function collect(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** Heap and ArrayBuffer memory in use, after a full collection. */
function inUse(): number {
  collect();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

describe('a packed history member', () => {
  it('gives its text back exactly and keeps about its deflated size in memory', () => {
    // Members of a rollout's size that deflate to about 700 bytes each (hex of random bytes), and non-ASCII text.
    const texts = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ i, note: 'ünïcödé ✓', record: randomBytes(600).toString('hex') }));
    const before = inUse();
    const kept = texts.map((text) => {
      // Short-lived Buffers made meanwhile, as the rest of the process makes them (from the same pool).
      Buffer.from(`a request body ${text.slice(0, 1500)}`);
      return new PackedText(text);
    });
    const grown = inUse() - before;
    // About 2,000 × 0.7 KB here. Keeping zlib's 16 KiB output chunk per member was 31 MiB, and a pooled
    // copy kept a share of the 8 KiB slabs it was cut from, that garbage filled the rest of (7 MiB).
    expect(grown).toBeLessThan(4 * 1024 * 1024);
    expect(kept.map(String)).toEqual(texts);
    expect(JSON.parse(JSON.stringify({ kept: kept[7] }))).toEqual({ kept: texts[7] });
  });
});
