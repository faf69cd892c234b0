import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InProcessDeliveryQueue } from '../../../shared/orchestration/delivery-queue';
import { silentLogger } from '../../../shared/observability/logger';
import type { ReceivedDelivery } from '../../../shared/ports';

const received = (id: string): ReceivedDelivery => ({ id, source: 'registry', receivedAt: '2026-01-01T00:00:00.000Z', planned: [], ignored: [] });

/** A queue whose work records what it was given and finishes when the test says. */
function queueWith(options: ConstructorParameters<typeof InProcessDeliveryQueue>[2] = {}) {
  const started: { id: string; received: ReceivedDelivery | undefined }[] = [];
  const finish = new Map<string, () => void>();
  const queue = new InProcessDeliveryQueue(
    (id, r) => {
      started.push({ id, received: r });
      return new Promise<void>((resolve) => finish.set(id, resolve));
    },
    silentLogger,
    { now: () => Date.now(), ...options },
  );
  return { queue, started, finish };
}

describe('the in-process delivery queue', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('starts no work while a delivery is being answered, nor for quietMs after the last answer', async () => {
    const { queue, started } = queueWith({ quietMs: 100, maxDeferMs: 10_000 });
    const first = queue.answering();
    const second = queue.answering();
    await queue.dispatch('a', received('a'));
    first();
    await vi.advanceTimersByTimeAsync(500);
    expect(started).toEqual([]); // the second answer is still under way
    second();
    await vi.advanceTimersByTimeAsync(99);
    expect(started).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(started.map((s) => s.id)).toEqual(['a']);
  });

  it('starts a delivery that waited maxDeferMs even while answers keep coming', async () => {
    const { queue, started } = queueWith({ quietMs: 100, maxDeferMs: 1000 });
    let answer = queue.answering();
    await queue.dispatch('a');
    for (let t = 0; t < 900; t += 50) {
      await vi.advanceTimersByTimeAsync(50);
      answer();
      answer = queue.answering();
    }
    expect(started).toEqual([]);
    await vi.advanceTimersByTimeAsync(100);
    expect(started.map((s) => s.id)).toEqual(['a']);
    answer();
  });

  it('hands the work the record it was given, runs at most `concurrency` at once and each delivery once', async () => {
    const { queue, started, finish } = queueWith({ quietMs: 0, concurrency: 2 });
    await queue.dispatch('a', received('a'));
    await queue.dispatch('a', received('a'));
    await queue.dispatch('b');
    await queue.dispatch('c');
    await vi.advanceTimersByTimeAsync(1);
    expect(started).toEqual([{ id: 'a', received: received('a') }, { id: 'b', received: undefined }]);
    let idle = false;
    void queue.idle().then(() => (idle = true));
    finish.get('a')!();
    await vi.advanceTimersByTimeAsync(1);
    expect(started.map((s) => s.id)).toEqual(['a', 'b', 'c']);
    finish.get('b')!();
    finish.get('c')!();
    await vi.advanceTimersByTimeAsync(1);
    expect(idle).toBe(true);
  });

  it('ends an answer once, however often its end is called', async () => {
    const { queue, started } = queueWith({ quietMs: 10, maxDeferMs: 10_000 });
    const first = queue.answering();
    const second = queue.answering();
    await queue.dispatch('a');
    first();
    first();
    await vi.advanceTimersByTimeAsync(100);
    expect(started).toEqual([]);
    second();
    await vi.advanceTimersByTimeAsync(10);
    expect(started.map((s) => s.id)).toEqual(['a']);
  });
});
