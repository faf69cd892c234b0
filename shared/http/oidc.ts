/**
 * OIDC bearer tokens: a JWT signed by the issuer (RS256 or ES256), checked with `jose` against the
 * issuer's JWKS for issuer, audience, expiry and not-before, with a minute of clock skew allowed.
 *
 * `jose` rather than a verifier of our own: it refuses every header that is not a JSON object, any
 * `alg` outside the list (no lookup on a plain object), and it fetches the key set again for an unknown
 * `kid` at most once per cooldown (30 s), so that callers sending made-up `kid`s cannot make us fetch.
 * The discovery document is fetched once and kept; when it or the key set cannot be fetched, the
 * identity provider counts as unavailable for RETRY_AFTER_SECONDS: tokens are answered 503 with
 * Retry-After at once, without asking it again (a negative cache), and nothing is a 500.
 */
import { type JWTVerifyGetKey, createRemoteJWKSet, customFetch, errors, jwtVerify } from 'jose';
import { UnauthorizedError } from '../errors';
import { ServiceUnavailableError } from './http-errors';
import { LIMITS, textProblem } from './limits';

export interface OidcOptions {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUri?: string;
  readonly claim: string;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
}

export interface OidcIdentity {
  readonly person: string;
  readonly subject: string;
}

const ALGORITHMS = ['RS256', 'ES256'];
const SKEW_SECONDS = 60;
/** How long an unreachable identity provider is not asked again (and what Retry-After says). */
export const RETRY_AFTER_SECONDS = 30;
/** A discovery document is kept this long; the key set has jose's own cache (10 minutes) and cooldown (30 s). */
const DISCOVERY_TTL_MS = 60 * 60 * 1000;
const FETCH_TIMEOUT_MS = 5000;

/** The identity provider could not be asked: not the caller's fault, and not an answer about the token. */
class Unavailable extends Error {}

export class OidcVerifier {
  private readonly fetchFn: typeof fetch;
  private readonly now: () => number;
  private keySet: { readonly uri: string; readonly at: number; readonly get: JWTVerifyGetKey } | null = null;
  private pending: Promise<JWTVerifyGetKey> | null = null;
  private unavailableUntil = 0;

  constructor(private readonly options: OidcOptions) {
    this.fetchFn = options.fetch ?? ((...args) => fetch(...args));
    this.now = options.now ?? Date.now;
  }

  async verify(token: string): Promise<OidcIdentity> {
    const keys = await this.keys();
    let payload: Record<string, unknown>;
    try {
      const getKey: JWTVerifyGetKey = async (header, input) => {
        try {
          return await keys(header, input);
        } catch (e) {
          if (e instanceof errors.JWKSNoMatchingKey || e instanceof errors.JWKSMultipleMatchingKeys) throw e;
          throw new Unavailable(e instanceof Error ? e.message : String(e));
        }
      };
      ({ payload } = await jwtVerify(token, getKey, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: ALGORITHMS,
        clockTolerance: SKEW_SECONDS,
        requiredClaims: ['exp'],
        currentDate: new Date(this.now()),
      }));
    } catch (e) {
      if (e instanceof Unavailable) throw this.markUnavailable('its keys could not be fetched');
      throw new UnauthorizedError(`invalid bearer token: ${reasonOf(e, this.options)}`);
    }
    const person = payload[this.options.claim];
    if (typeof person !== 'string' || person.trim() === '') throw new UnauthorizedError(`invalid bearer token: no ${this.options.claim} claim names the person`);
    if (textProblem(person, LIMITS.person)) throw new UnauthorizedError(`invalid bearer token: its ${this.options.claim} claim is not a usable name (${textProblem(person, LIMITS.person)})`);
    return { person, subject: typeof payload['sub'] === 'string' ? payload['sub'] : person };
  }

  /** The key set's resolver, discovering its URI first; an unavailable provider is a 503 without a fetch. */
  private async keys(): Promise<JWTVerifyGetKey> {
    if (this.now() < this.unavailableUntil) throw this.unavailableError();
    if (this.keySet && (this.options.jwksUri || this.now() - this.keySet.at < DISCOVERY_TTL_MS)) return this.keySet.get;
    // One discovery at a time: concurrent callers wait for the same one.
    this.pending ??= this.discover().finally(() => (this.pending = null));
    return this.pending;
  }

  private async discover(): Promise<JWTVerifyGetKey> {
    let uri = this.options.jwksUri;
    if (!uri) {
      const url = `${this.options.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
      let doc: { jwks_uri?: unknown };
      try {
        const res = await this.fetchFn(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'manual' });
        if (!res.ok) throw new Error(`answered ${res.status}`);
        doc = (await res.json()) as { jwks_uri?: unknown };
      } catch {
        throw this.markUnavailable('its discovery document could not be fetched');
      }
      if (typeof doc !== 'object' || doc === null || typeof doc.jwks_uri !== 'string' || !/^https?:\/\//.test(doc.jwks_uri)) {
        throw this.markUnavailable('its discovery document names no jwks_uri');
      }
      uri = doc.jwks_uri;
    }
    if (this.keySet?.uri === uri) return (this.keySet = { ...this.keySet, at: this.now() }).get;
    const get = createRemoteJWKSet(new URL(uri), { timeoutDuration: FETCH_TIMEOUT_MS, [customFetch]: (u, init) => this.fetchFn(u, init) });
    this.keySet = { uri, at: this.now(), get };
    return get;
  }

  private markUnavailable(why: string): ServiceUnavailableError {
    this.unavailableUntil = this.now() + RETRY_AFTER_SECONDS * 1000;
    return this.unavailableError(why);
  }

  private unavailableError(why = 'it could not be reached a moment ago'): ServiceUnavailableError {
    const seconds = Math.max(1, Math.ceil((this.unavailableUntil - this.now()) / 1000));
    return new ServiceUnavailableError(`cannot check the bearer token now: the identity provider ${this.options.issuer} is unavailable (${why}); try again later`, seconds);
  }
}

/** What was wrong with a token, in words, from jose's error (its messages do not quote the token). */
function reasonOf(e: unknown, options: OidcOptions): string {
  if (e instanceof errors.JWTExpired) return 'expired';
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.claim === 'iss') return `issuer is not ${options.issuer}`;
    if (e.claim === 'aud') return `audience is not ${options.audience}`;
    if (e.claim === 'nbf') return 'not valid yet';
    if (e.claim === 'exp') return 'it has no expiry';
    return `claim ${e.claim} is not valid`;
  }
  if (e instanceof errors.JWSSignatureVerificationFailed) return 'bad signature';
  if (e instanceof errors.JOSEAlgNotAllowed || e instanceof errors.JOSENotSupported) return `the algorithm is not accepted (${ALGORITHMS.join(', ')})`;
  if (e instanceof errors.JWKSNoMatchingKey) return 'the issuer has no key for it';
  return 'it is not a well-formed signed JWT';
}
