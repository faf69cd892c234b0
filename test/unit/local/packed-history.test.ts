/**
 * The Step Functions stand-in keeps large history members deflated (local/step-functions-emulator/history.ts):
 * what it keeps is the deflated bytes, not the text, nor the zlib output chunk they were written into,
 * nor a pool slab that the process's short-lived Buffers share with them. Runs in a process of its own
 * (vitest.config.ts): it exposes the garbage collector to count only what is kept.
 */
import { createHash } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { PackedText } from '../../../local/step-functions-emulator/history';

/**
 * Heap and ArrayBuffer memory in use once what nobody holds is collected: a full collection, three times,
 * a turn of the event loop apart (ArrayBuffers' memory is let go by a sweep after a collection).
 */
async function inUse(): Promise<{ heap: number; arrayBuffers: number }> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return { heap: heapUsed, arrayBuffers };
}

/** Member `i`: a rollout-sized record (2,400 hex digits, which deflate to about 1.3 KB) with non-ASCII text. */
function member(i: number): string {
  let hex = '';
  for (let n = 0; hex.length < 2400; n++) hex += createHash('sha256').update(`${i}:${n}`).digest('hex');
  return JSON.stringify({ i, note: 'ünïcödé ✓', record: hex });
}

describe('a packed history member', () => {
  it('gives its text back exactly and keeps about its deflated size in memory', async () => {
    const before = await inUse();
    // Each text is made, packed and let go, among short-lived Buffers of the same pool, as the process makes them.
    const kept = Array.from({ length: 2000 }, (_, i) => {
      const text = member(i);
      Buffer.from(`a request body ${text.slice(0, 1500)}`);
      return new PackedText(text);
    });
    const after = await inUse();
    // About 2,000 × 1.3 KB of one-byte strings, and no ArrayBuffer (a pool slab's 8 KiB at most). Keeping the
    // text was 2,000 × 4.9 KB (two-byte strings); keeping zlib's 16 KiB output chunk per member, 31 MiB of
    // ArrayBuffers; a pooled copy, a share of the 8 KiB slabs it was cut from that garbage filled the rest of.
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(1024 * 1024);
    expect(after.heap - before.heap).toBeLessThan(5 * 1024 * 1024);
    expect(kept.every((packed, i) => String(packed) === member(i))).toBe(true);
    expect(JSON.parse(JSON.stringify({ kept: kept[7] }))).toEqual({ kept: member(7) });
  });
});
