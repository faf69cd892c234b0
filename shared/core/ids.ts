import { createHash, randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * A ULID-style id in lower-case Crockford base32: 10 characters of milliseconds, then 16 random ones.
 * Ids sort by creation time, which keeps listings and logs in order without another attribute.
 */
export function newRolloutId(now: Date = new Date()): string {
  let time = now.getTime();
  let head = '';
  for (let i = 0; i < 10; i++) {
    head = ALPHABET[time % 32] + head;
    time = Math.floor(time / 32);
  }
  const bytes = randomBytes(16);
  let tail = '';
  for (const b of bytes) tail += ALPHABET[b % 32];
  return `${head}${tail}`;
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
