/**
 * The generic webhook's signature, GitHub style: `X-Rollout-Signature: sha256=<hex HMAC-SHA256 of the raw
 * body>`. The body carries its own `timestamp`, repeated in `X-Rollout-Timestamp`, so the signature covers
 * the time too and a receiver can refuse replays older than a few minutes.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-rollout-signature';
export const TIMESTAMP_HEADER = 'x-rollout-timestamp';
export const EVENT_HEADER = 'x-rollout-event';
export const DELIVERY_HEADER = 'x-rollout-delivery';

export function signBody(secret: string, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

/** What a receiver does: recompute over the exact bytes received and compare in constant time. */
export function verifyBodySignature(secret: string, rawBody: string, header: string | null | undefined): boolean {
  if (!header || !/^sha256=[0-9a-f]{64}$/.test(header)) return false;
  return timingSafeEqual(Buffer.from(header), Buffer.from(signBody(secret, rawBody)));
}
