import { createHash, timingSafeEqual } from 'node:crypto';
import { createMiddleware } from 'hono/factory';
import { UnauthorizedError } from '../errors';

/** Compares in constant time whatever the lengths (hashing first makes them equal). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

export interface BearerAuthOptions {
  readonly token: string;
  /** Also accept the bare token as the whole header, as GitLab's registry sends it. */
  readonly allowBareToken?: boolean;
  /** Names the credential in errors: `webhook token`, `API token`. */
  readonly realm: string;
}

export function bearerAuth(options: BearerAuthOptions) {
  return createMiddleware(async (c, next) => {
    const header = c.req.header('authorization');
    if (!header) throw new UnauthorizedError(`missing Authorization header: send "Bearer <${options.realm}>"`);
    const match = /^Bearer\s+(.+)$/i.exec(header);
    const presented = match ? match[1]!.trim() : options.allowBareToken ? header.trim() : null;
    if (presented === null || !safeEqual(presented, options.token)) throw new UnauthorizedError(`invalid ${options.realm}`);
    await next();
  });
}
