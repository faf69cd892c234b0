/**
 * Slack's request signing (docs/api.md, "Slack interactions"): `X-Slack-Signature` is `v0=` and the hex
 * HMAC-SHA256, under the Slack app's signing secret, of `v0:<X-Slack-Request-Timestamp>:<raw body>`.
 * The signature is checked first, in constant time over the exact bytes received; then a timestamp more
 * than five minutes from now is refused, so a captured request dies with its window. Within the window a
 * replay is answered but acts once (the route's claim).
 */
import { createHmac } from 'node:crypto';
import { REPLAY_WINDOW_SECONDS, safeEqual } from '../http/auth';

export const SLACK_SIGNATURE_HEADER = 'x-slack-signature';
export const SLACK_TIMESTAMP_HEADER = 'x-slack-request-timestamp';
const VERSION = 'v0';

/** What Slack sends in X-Slack-Signature for this body at this time. */
export function signSlackRequest(secret: string, timestamp: string, rawBody: Uint8Array | string): string {
  const mac = createHmac('sha256', secret).update(`${VERSION}:${timestamp}:`).update(rawBody).digest('hex');
  return `${VERSION}=${mac}`;
}

export type SlackVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * Checks a request's signature and its time. The reasons say what was wrong, never what was sent.
 * `nowSeconds` is Unix time.
 */
export function verifySlackRequest(
  secret: string,
  headers: { readonly signature: string | undefined; readonly timestamp: string | undefined },
  rawBody: Uint8Array | string,
  nowSeconds: number,
): SlackVerdict {
  const { signature, timestamp } = headers;
  if (!signature) return { ok: false, reason: 'missing X-Slack-Signature header: Slack signs every request with the app\'s signing secret' };
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'missing or malformed X-Slack-Request-Timestamp header' };
  // A malformed value is still compared, so that its shape does not show in the timing.
  const matches = safeEqual(signature.trim(), signSlackRequest(secret, timestamp, rawBody));
  if (!matches) return { ok: false, reason: 'invalid X-Slack-Signature: it is not v0= HMAC-SHA256 of v0:<timestamp>:<body> with the Slack signing secret' };
  if (Math.abs(nowSeconds - Number(timestamp)) > REPLAY_WINDOW_SECONDS) {
    return { ok: false, reason: `X-Slack-Request-Timestamp is more than ${REPLAY_WINDOW_SECONDS / 60} minutes from now: a late, early or replayed request` };
  }
  return { ok: true };
}
