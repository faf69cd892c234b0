import { randomBytes } from 'node:crypto';

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

export const ROLLOUT_ID_PATTERN = /^[0-9a-hjkmnp-tv-z]{26}$/;
