import { describe, expect, it } from 'vitest';
import { DurationError, formatDuration, parseDuration } from '../../../shared/config/duration';

describe('parseDuration', () => {
  it.each([
    ['30s', 30],
    ['5m', 300],
    ['1h', 3600],
    ['1h30m', 5400],
    ['1h0m5s', 3605],
    ['2m30s', 150],
    ['90m', 5400],
    ['90', 90],
    ['0', 0],
    ['0s', 0],
    [' 45s ', 45],
    [90, 90],
    [0, 0],
  ] as const)('reads %j as %i seconds', (input, seconds) => {
    expect(parseDuration(input)).toBe(seconds);
  });

  it.each([
    ['', /is empty/],
    ['   ', /is empty/],
    ['-5s', /'-5s' is negative/],
    ['-5', /negative/],
    [-5, /-5 is negative/],
    ['1.5m', /'1\.5m' has a fraction: durations are whole seconds/],
    ['0.5', /fraction/],
    [1.5, /1\.5 has a fraction/],
    ['5d', /unknown unit 'd': use h, m or s/],
    ['100ms', /unknown unit 'ms'/],
    ['30S', /unknown unit 'S'/],
    ['1h 30m', /contains a space/],
    ['30m1h', /at most once each, in that order/],
    ['1m1m', /at most once each/],
    ['1h30', /number without a unit/],
    ['s', /not a duration/],
    ['abc', /not a duration/],
    [Number.NaN, /not a duration/],
    [Number.POSITIVE_INFINITY, /not a duration/],
    ['99999999999999999999s', /too long/],
  ] as const)('refuses %j with a precise message', (input, message) => {
    expect(() => parseDuration(input)).toThrow(DurationError);
    expect(() => parseDuration(input)).toThrow(message);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [30, '30s'],
    [90, '1m30s'],
    [3600, '1h'],
    [5400, '1h30m'],
    [3605, '1h5s'],
    [90000, '25h'],
  ])('writes %i seconds as %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it('writes what parseDuration reads back to the same seconds', () => {
    for (const seconds of [0, 1, 59, 60, 61, 3599, 3600, 3661, 86_400, 31_536_000]) {
      expect(parseDuration(formatDuration(seconds))).toBe(seconds);
    }
  });

  it.each([-1, 1.5, Number.NaN])('refuses %d, which is not whole seconds', (seconds) => {
    expect(() => formatDuration(seconds)).toThrow(RangeError);
  });
});
