/**
 * Repeated failed authentications from one source are slowed down: after `maxFailures` failures
 * (a 401 to a request that presented a credential, or a forged approval link's 403) from one client address on one class of route within
 * `windowMs`, further failures are answered 429 with Retry-After instead. The check runs after the
 * credential has been judged, so a right credential always passes: a flood from a shared address (a
 * NAT, a proxy) cannot lock anyone out, and nobody learns anything from a 429 that a 401 would not say.
 *
 * In memory, per process (per Lambda instance in AWS), bounded in size: a brake on guessing and on
 * noisy misconfigured clients, not a quota. The client address is the socket's (local mode) or the one
 * API Gateway / the function URL saw; X-Forwarded-For is not trusted, since anyone can send it.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { problemResponse } from './problem';
import { setNewest } from '../bounded-map';

export interface FailureLimiterOptions {
  /** Failures allowed per address and route class within the window; default 20. */
  readonly maxFailures?: number;
  /** Default one minute. */
  readonly windowMs?: number;
  /** Addresses remembered at most (the oldest are forgotten first); default 10 000. */
  readonly maxKeys?: number;
  readonly now?: () => number;
}

export class FailureLimiter {
  private readonly entries = new Map<string, { count: number; resetAt: number }>();
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(options: FailureLimiterOptions = {}) {
    this.maxFailures = options.maxFailures ?? 20;
    this.windowMs = options.windowMs ?? 60_000;
    this.maxKeys = options.maxKeys ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** Records a failure; the seconds to wait when `key` is now over the limit, else null. */
  fail(key: string): number | null {
    const now = this.now();
    let entry = this.entries.get(key);
    if (!entry || entry.resetAt <= now) {
      entry = { count: 0, resetAt: now + this.windowMs };
      setNewest(this.entries, key, entry, this.maxKeys);
    }
    entry.count++;
    return entry.count > this.maxFailures ? Math.max(1, Math.ceil((entry.resetAt - now) / 1000)) : null;
  }
}

/** The address the request came from, as the runtime saw it; null when it does not say (in-process calls). */
export function clientAddress(c: Context): string | null {
  const env = c.env as
    | {
        incoming?: { socket?: { remoteAddress?: string } };
        requestContext?: { http?: { sourceIp?: string }; identity?: { sourceIp?: string } };
      }
    | undefined;
  return env?.incoming?.socket?.remoteAddress ?? env?.requestContext?.http?.sourceIp ?? env?.requestContext?.identity?.sourceIp ?? null;
}

/** Whether the request carries a credential: a bearer header, a URL token, a signature header. */
function presentsCredential(c: Context): boolean {
  if ((c.req.header('authorization') ?? '') !== '' || c.req.query('token') !== undefined) return true;
  return Object.keys(c.req.header()).some((name) => name.includes('signature'));
}

/** Which credential a path takes: a webhook's, an approval link, or the API's. */
export function routeClass(path: string): 'webhook' | 'link' | 'api' {
  return path.startsWith('/webhooks/') ? 'webhook' : path.startsWith('/approvals/') ? 'link' : 'api';
}

/** Turns a failed authentication over the limit into 429 + Retry-After. Register before every route. */
export function failedAuthLimit(limiter: FailureLimiter): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const kind = routeClass(c.req.path);
    // A guess is a credential that was presented and refused; a request with none (a browser, a probe) is not one.
    const failed = (c.res.status === 401 && presentsCredential(c)) || (kind === 'link' && c.res.status === 403);
    // A request whose address the runtime does not give (an in-process call) has no source to slow down.
    const address = clientAddress(c);
    if (!failed || address === null) return;
    const wait = limiter.fail(`${address} ${kind}`);
    if (wait === null) return;
    c.res = undefined;
    c.res = problemResponse(
      c,
      { type: 'about:blank', title: 'Too many requests', status: 429, detail: `too many failed authentications from this address: try again in ${wait} s`, instance: kind === 'link' ? '/approvals/{token}' : c.req.path },
      { 'retry-after': String(wait) },
    );
  };
}
