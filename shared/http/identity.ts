/**
 * Who is calling the API, from the credential alone: ROLLOUT_API_TOKEN (the admin integration, which
 * may state `by` for the people it acts for), a named token from `access.tokens` (compared by its
 * sha256), or an OIDC JWT. Decisions are recorded for this identity, not for a name in the body.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AccessConfig, Role } from '../config/access-schema';
import { ForbiddenError, SecretUnavailableError, UnauthorizedError } from '../errors';
import { type Credential, credentialDigest, credentialValue, sha256 } from './auth';
import { LIMITS } from './limits';
import type { OidcVerifier } from './oidc';

export interface Identity {
  /** The person (or integration) decisions are recorded for. */
  readonly person: string;
  readonly role: Role;
  /** Which credential: `ROLLOUT_API_TOKEN`, `token:<name>`, `oidc:<issuer>`. */
  readonly credential: string;
  /** Only the integration token may say whom it acts for. */
  readonly mayStateBy: boolean;
}

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export interface ApiAccessOptions {
  readonly apiToken: Credential;
  readonly access?: AccessConfig | null;
  readonly fetch?: typeof fetch;
}

export function apiAccess(options: ApiAccessOptions) {
  const named = (options.access?.tokens ?? []).map((t) => ({ ...t, digest: Buffer.from(t.sha256, 'hex') }));
  const oidcOptions = options.access?.oidc ? { ...options.access.oidc, ...(options.fetch ? { fetch: options.fetch } : {}) } : null;
  // The verifier (and jose) is loaded by the first bearer token shaped like a JWT, not at a function's
  // start (docs/architecture.md, "Lambda bundles").
  let verifier: Promise<OidcVerifier> | undefined;
  const oidc = oidcOptions
    ? () => {
        verifier ??= import('./oidc').then(({ OidcVerifier }) => new OidcVerifier(oidcOptions));
        return verifier;
      }
    : null;

  async function identify(presented: string): Promise<Identity> {
    // An API token that cannot be read (503) does not lock out named tokens and OIDC: only a credential
    // that matches none of them is answered with it, since it may have been the API token.
    let unavailable: SecretUnavailableError | null = null;
    const apiToken = await credentialValue(options.apiToken).catch((error: unknown) => {
      if (!(error instanceof SecretUnavailableError)) throw error;
      unavailable = error;
      return null;
    });
    const digest = sha256(presented);
    if (apiToken !== null && timingSafeEqual(digest, credentialDigest(apiToken))) return { person: 'api', role: 'admin', credential: 'ROLLOUT_API_TOKEN', mayStateBy: true };
    // Every named token is compared, so the time taken does not say which one nearly matched.
    let match: (typeof named)[number] | undefined;
    for (const t of named) if (timingSafeEqual(digest, t.digest)) match = t;
    if (match) return { person: match.person ?? match.name, role: match.role, credential: `token:${match.name}`, mayStateBy: false };
    if (oidc && looksLikeJwt(presented)) {
      const who = await (await oidc()).verify(presented);
      return { person: who.person, role: options.access!.oidc!.role, credential: `oidc:${options.access!.oidc!.issuer}`, mayStateBy: false };
    }
    if (unavailable) throw unavailable;
    throw new UnauthorizedError('invalid API token');
  }

  return createMiddleware<{ Variables: { identity: Identity } }>(async (c, next) => {
    const header = c.req.header('authorization');
    if (!header) throw new UnauthorizedError('missing Authorization header: send "Bearer <API token>"');
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match) throw new UnauthorizedError('the Authorization header must be "Bearer <API token>"');
    const presented = match[1]!.trim();
    if (presented.length > LIMITS.credential) throw new UnauthorizedError(`invalid API token: longer than any credential (${LIMITS.credential} characters)`);
    c.set('identity', await identify(presented));
    await next();
  });
}

/** Three base64url segments: what an OIDC bearer token looks like, before anything is checked. */
function looksLikeJwt(token: string): boolean {
  return token.length <= LIMITS.credential && /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

/** Refuses callers below `role` with 403 (the credential is fine, the permission is not). */
export function requireRole(role: Role) {
  return createMiddleware<{ Variables: { identity: Identity } }>(async (c, next) => {
    const identity = c.get('identity');
    if (!identity) throw new UnauthorizedError();
    if (RANK[identity.role] < RANK[role]) {
      throw new ForbiddenError(`${identity.person} (${identity.credential}) is a ${identity.role}; this needs the ${role} role`);
    }
    await next();
  });
}

export function identityOf(c: Context): Identity {
  const identity = c.get('identity') as Identity | undefined;
  if (!identity) throw new UnauthorizedError();
  return identity;
}
