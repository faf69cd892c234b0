import { describe, expect, it } from 'vitest';
import { secondsUntil } from '../../../shared/core/time';

describe('secondsUntil', () => {
  const now = new Date('2026-01-01T00:00:00.000Z');

  it('rounds up to whole seconds, from an ISO string or a Date', () => {
    expect(secondsUntil('2026-01-01T00:00:30.000Z', now)).toBe(30);
    expect(secondsUntil('2026-01-01T00:00:00.500Z', now)).toBe(1);
    expect(secondsUntil(new Date('2026-01-01T00:01:00.001Z'), now)).toBe(61);
  });

  it('is 0 at and after the moment', () => {
    expect(secondsUntil(now, now)).toBe(0);
    expect(secondsUntil('2025-12-31T23:59:00.000Z', now)).toBe(0);
  });
});
