/**
 * Durations as people write them in the config (`30s`, `5m`, `1h30m`, or a bare `90` for seconds), held as
 * whole seconds: the Step Functions Wait state and the local runner both count in seconds, so a fraction
 * could not be honoured and is refused rather than rounded.
 */

const UNIT_SECONDS = { h: 3600, m: 60, s: 1 } as const;
type Unit = keyof typeof UNIT_SECONDS;
const UNIT_ORDER: readonly Unit[] = ['h', 'm', 's'];

const EXAMPLES = 'like 30s, 5m, 1h30m or 90 (seconds)';

/** Thrown by `parseDuration`; the message says what is wrong and how to write it. */
export class DurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DurationError';
  }
}

/**
 * Whole seconds from `30s`, `5m`, `1h`, `1h30m`, `0s`, `90` or the number 90 (YAML reads a bare `90` as a
 * number). Units are h, m and s, each at most once, largest first, as in Go's `time.ParseDuration`.
 */
export function parseDuration(input: string | number): number {
  if (typeof input === 'number') return secondsFromNumber(input);
  const text = input.trim();
  if (text === '') throw new DurationError(`is empty: write a duration ${EXAMPLES}`);
  if (text.startsWith('-')) throw new DurationError(`'${input}' is negative: a duration must be 0 or more`);
  if (/^\d+$/.test(text)) return checkedSeconds(Number(text), input);
  if (/\s/.test(text)) throw new DurationError(`'${input}' contains a space: write it without, like 1h30m`);
  if (/\d[.,]\d/.test(text)) {
    throw new DurationError(`'${input}' has a fraction: durations are whole seconds (write 1m30s, not 1.5m)`);
  }

  let total = 0;
  let previous = -1;
  for (const match of text.matchAll(/(\d*)([^\d]*)/g)) {
    const [whole, digits = '', unitText = ''] = match;
    if (whole === '') continue;
    if (digits === '') throw new DurationError(`'${input}' is not a duration: write one ${EXAMPLES}`);
    if (unitText === '') throw new DurationError(`'${input}' has a number without a unit: write one ${EXAMPLES}`);
    if (!isUnit(unitText)) {
      throw new DurationError(`'${input}' has an unknown unit '${unitText}': use h, m or s (${EXAMPLES})`);
    }
    const rank = UNIT_ORDER.indexOf(unitText);
    if (rank <= previous) throw new DurationError(`'${input}' must give h, m and s at most once each, in that order`);
    previous = rank;
    total += Number(digits) * UNIT_SECONDS[unitText];
  }
  return checkedSeconds(total, input);
}

/** `90` → `1m30s`, `3600` → `1h`, `0` → `0s`: the inverse of `parseDuration`, for messages and the API. */
export function formatDuration(seconds: number): string {
  if (!Number.isSafeInteger(seconds) || seconds < 0) {
    throw new RangeError(`formatDuration needs whole seconds >= 0, got ${seconds}`);
  }
  if (seconds === 0) return '0s';
  let rest = seconds;
  let out = '';
  for (const unit of UNIT_ORDER) {
    const count = Math.floor(rest / UNIT_SECONDS[unit]);
    rest -= count * UNIT_SECONDS[unit];
    if (count > 0) out += `${count}${unit}`;
  }
  return out;
}

function isUnit(text: string): text is Unit {
  return Object.hasOwn(UNIT_SECONDS, text);
}

function secondsFromNumber(value: number): number {
  if (!Number.isFinite(value)) throw new DurationError(`${value} is not a duration: write one ${EXAMPLES}`);
  if (value < 0) throw new DurationError(`${value} is negative: a duration must be 0 or more`);
  if (!Number.isInteger(value)) {
    throw new DurationError(`${value} has a fraction: durations are whole seconds (write 1m30s, not 1.5m)`);
  }
  return checkedSeconds(value, String(value));
}

function checkedSeconds(total: number, input: string): number {
  // Beyond 2^53 the arithmetic is no longer exact; nobody means such a duration.
  if (!Number.isSafeInteger(total)) throw new DurationError(`'${input}' is too long`);
  return total;
}
