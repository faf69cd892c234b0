/**
 * Request authentication: bearer tokens (the API, most webhook senders) and HMAC-SHA256 signatures of
 * the raw body (GitHub, CI jobs). Every comparison runs in constant time, and no presented credential
 * ever appears in an error or a log line: a 401 says what was wrong, never what was sent.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createMiddleware } from 'hono/factory';
import { UnauthorizedError } from '../errors';
import { requestBytes } from './request-body';

/** The SHA-256 digest of a text: what every credential comparison compares. */
export const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Compares in constant time whatever the lengths (hashing first makes them equal). */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

/**
 * The digests of the last few configured credentials (tokens): a request's check hashes only what it
 * presents. Bounded, since a token read through the SecretSource may change.
 */
const credentialDigests = new Map<string, Buffer>();
const CREDENTIAL_DIGESTS_KEPT = 16;

/** A configured credential's digest, kept instead of computed again per request. */
export function credentialDigest(credential: string): Buffer {
  let digest = credentialDigests.get(credential);
  if (digest === undefined) {
    if (credentialDigests.size >= CREDENTIAL_DIGESTS_KEPT) credentialDigests.clear();
    digest = sha256(credential);
    credentialDigests.set(credential, digest);
  }
  return digest;
}

/** `safeEqual` for a configured credential (its digest kept: `credentialDigest`). */
export function matchesCredential(presented: string, credential: string): boolean {
  return timingSafeEqual(sha256(presented), credentialDigest(credential));
}

/**
 * A credential to check against: the value, or how to read it at each request (a secret read through the
 * SecretSource; one that cannot be read throws SecretUnavailableError, answered 503).
 */
export type Credential = string | (() => Promise<string>);

export const credentialValue = (credential: Credential): Promise<string> => (typeof credential === 'string' ? Promise.resolve(credential) : credential());

export interface BearerAuthOptions {
  readonly token: Credential;
  /** Also accept the bare token as the whole header, as GitLab's registry sends it. */
  readonly allowBareToken?: boolean;
  /**
   * Also accept the token as this query parameter, for senders whose webhook form takes only a URL
   * (Docker Hub, Quay). Used only when no Authorization header is sent. URLs end up in proxy and access
   * logs, so give such senders a token of their own (`webhooks.<source>.tokenEnv`).
   */
  readonly queryParam?: string;
  /** Names the credential in errors: `webhook token`, `API token`. */
  readonly realm: string;
}

export function bearerAuth(options: BearerAuthOptions) {
  return createMiddleware(async (c, next) => {
    const header = c.req.header('authorization');
    const fromQuery = options.queryParam && header === undefined ? c.req.query(options.queryParam) : undefined;
    const token = await credentialValue(options.token);
    if (fromQuery !== undefined) {
      if (!matchesCredential(fromQuery, token)) throw new UnauthorizedError(`invalid ${options.realm}`);
      return next();
    }
    if (!header) {
      const alternative = options.queryParam ? ` or add ?${options.queryParam}=<${options.realm}> to the URL` : '';
      throw new UnauthorizedError(`missing Authorization header: send "Bearer <${options.realm}>"${alternative}`);
    }
    const match = /^Bearer\s+(.+)$/i.exec(header);
    const presented = match ? match[1]!.trim() : options.allowBareToken ? header.trim() : null;
    if (presented === null || !matchesCredential(presented, token)) throw new UnauthorizedError(`invalid ${options.realm}`);
    await next();
  });
}

/** Deliveries older or newer than this are refused when a timestamp is signed with them. */
export const REPLAY_WINDOW_SECONDS = 300;

/** `sha256=<hex>` (GitHub's form) or the bare hex, as a signature header carries it. */
const SIGNATURE_VALUE = /^(?:sha256=)?([0-9a-fA-F]{64})$/;

/** True when `presented` is HMAC-SHA256(secret, message), compared in constant time. */
export function verifyHmacSha256(secret: string, message: Uint8Array | string, presented: string): boolean {
  const expected = createHmac('sha256', secret).update(message).digest('hex');
  const m = SIGNATURE_VALUE.exec(presented.trim());
  // A malformed value is still compared, so that its shape does not show in the timing.
  return safeEqual(m ? m[1]!.toLowerCase() : presented, expected) && m !== null;
}

export interface HmacAuthOptions {
  readonly secret: Credential;
  /** Header carrying `sha256=<hex>`: `X-Hub-Signature-256` for GitHub. */
  readonly signatureHeader: string;
  /**
   * Header carrying the delivery's Unix time in seconds. When set, it is required, the signature covers
   * `<timestamp>.<raw body>`, and deliveries outside ±`REPLAY_WINDOW_SECONDS` are refused, so that a
   * captured delivery cannot be replayed later.
   */
  readonly timestampHeader?: string | null;
  /** Milliseconds since the epoch; default Date.now. */
  readonly now?: () => number;
  /** Names the credential in errors: `GitHub webhook secret`. */
  readonly realm: string;
}

export function hmacAuth(options: HmacAuthOptions) {
  const now = options.now ?? Date.now;
  return createMiddleware(async (c, next) => {
    const presented = c.req.header(options.signatureHeader);
    if (!presented) {
      throw new UnauthorizedError(`missing ${options.signatureHeader} header: sign the raw body with HMAC-SHA256 (the ${options.realm}) and send sha256=<hex>`);
    }
    // The raw bytes, not the decoded text: a signature covers exactly what was sent. Hono keeps the body
    // for the handler's own read.
    const body = await requestBytes(c);
    let message: Uint8Array = body;
    let timestamp: number | null = null;
    if (options.timestampHeader) {
      const value = c.req.header(options.timestampHeader) ?? '';
      if (!/^\d{1,12}$/.test(value)) throw new UnauthorizedError(`missing or malformed ${options.timestampHeader} header: send the Unix time in seconds, and sign "<timestamp>.<body>"`);
      timestamp = Number(value);
      message = Buffer.concat([Buffer.from(`${value}.`), body]);
    }
    if (!verifyHmacSha256(await credentialValue(options.secret), message, presented)) throw new UnauthorizedError(`invalid ${options.signatureHeader}: it is not the HMAC-SHA256 of the body with the ${options.realm}`);
    if (timestamp !== null && Math.abs(now() / 1000 - timestamp) > REPLAY_WINDOW_SECONDS) {
      throw new UnauthorizedError(`${options.timestampHeader} is more than ${REPLAY_WINDOW_SECONDS / 60} minutes from now: a late, early or replayed delivery`);
    }
    await next();
  });
}
