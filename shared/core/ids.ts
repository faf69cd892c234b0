import { createHash, randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** Random bytes drawn 4 KiB at a time: one call to the system's source makes 256 ids. */
const randomPool = Buffer.alloc(4096);
let randomAt = randomPool.length;
function randomDigits(count: number): number[] {
  if (randomAt + count > randomPool.length) {
    randomFillSync(randomPool);
    randomAt = 0;
  }
  const digits = [...randomPool.subarray(randomAt, randomAt + count)].map((b) => b % 32);
  randomAt += count;
  return digits;
}

/** The last id's millisecond and random digits (base32 values), for ids made within one millisecond. */
let last: { ms: number; digits: number[] } = { ms: -1, digits: [] };

/**
 * A ULID-style id in lower-case Crockford base32: 10 characters of milliseconds, then 16 random ones.
 * Ids sort by creation time, which keeps listings and logs in order without another attribute.
 */
export function newRolloutId(now: Date = new Date()): string {
  const ms = now.getTime();
  let time = ms;
  let head = '';
  for (let i = 0; i < 10; i++) {
    head = ALPHABET[time % 32] + head;
    time = Math.floor(time / 32);
  }
  // Within one millisecond the ids of a process still sort in the order they were made (ULID's
  // monotonic rule: the previous random part plus one), so pushes received together keep their order.
  let digits: number[];
  if (ms === last.ms && last.digits.some((d) => d < 31)) {
    digits = [...last.digits];
    let i = digits.length - 1;
    while (digits[i] === 31) digits[i--] = 0;
    digits[i]! += 1;
  } else {
    digits = randomDigits(16);
  }
  last = { ms, digits };
  return head + digits.map((d) => ALPHABET[d]).join('');
}

/**
 * The id of a delivery its sender identifies (docs/architecture.md, "Webhook intake"): the same
 * notification sent again has the same id, in the same alphabet and length as `newRolloutId` (it does
 * not sort by time). `identity` is everything that identifies it: the route, the sender's ids, the body.
 */
export function notificationDeliveryId(identity: readonly string[]): string {
  const hash = createHash('sha256');
  for (const part of identity) hash.update(`${part.length}:${part}`);
  let id = '';
  for (const b of hash.digest().subarray(0, 26)) id += ALPHABET[b % 32];
  return id;
}

export const ROLLOUT_ID_PATTERN = /^[0-9a-hjkmnp-tv-z]{26}$/;
