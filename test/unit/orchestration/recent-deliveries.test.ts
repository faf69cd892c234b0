import { describe, expect, it } from 'vitest';
import type { DeliveryRecord } from '../../../shared/ports';
import { RecentDeliveries } from '../../../shared/orchestration/recent-deliveries';

const received = (id: string): DeliveryRecord => ({ status: 'RECEIVED', id, source: 'registry', receivedAt: '2026-03-01T10:00:00.000Z', planned: [], ignored: [] });
const at = (seconds: number) => new Date(Date.parse('2026-03-01T10:00:00Z') + seconds * 1000);

describe('recent deliveries', () => {
  it('answers a delivery for its lifetime only, and takes its outcome when it was remembered', () => {
    const recent = new RecentDeliveries(300_000, 10);
    recent.remember(received('a'), at(0));
    expect(recent.get('a', at(299))?.status).toBe('RECEIVED');
    recent.processed({ status: 'PROCESSED', id: 'a', source: 'registry', receivedAt: '', processedAt: '', accepted: [], ignored: [] }, at(10));
    expect(recent.get('a', at(309))?.status).toBe('PROCESSED');
    expect(recent.get('a', at(310))).toBeNull();
    // An outcome of a delivery it never remembered is not taken in.
    recent.processed({ status: 'PROCESSED', id: 'b', source: 'registry', receivedAt: '', processedAt: '', accepted: [], ignored: [] }, at(10));
    expect(recent.get('b', at(11))).toBeNull();
  });

  it('forgets the oldest beyond its capacity, and remembers nothing at capacity 0', () => {
    const recent = new RecentDeliveries(300_000, 2);
    for (const id of ['a', 'b', 'c']) recent.remember(received(id), at(0));
    expect(['a', 'b', 'c'].map((id) => recent.get(id, at(1)) !== null)).toEqual([false, true, true]);
    const none = new RecentDeliveries(300_000, 0);
    none.remember(received('a'), at(0));
    expect(none.get('a', at(0))).toBeNull();
  });
});
