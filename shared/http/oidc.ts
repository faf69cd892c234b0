/**
 * OIDC bearer tokens: a JWT signed by the issuer (RS256 or ES256), checked against the issuer's JWKS
 * (fetched and cached, refreshed once when a token names a key we do not have), for issuer,
 * audience, expiry and not-before, with a minute of clock skew allowed.
 */
import { createPublicKey, verify as verifySignature, type JsonWebKey, type KeyObject } from 'node:crypto';
import { UnauthorizedError } from '../errors';

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

const SKEW_SECONDS = 60;
const JWKS_TTL_MS = 10 * 60 * 1000;
const ALGORITHMS: Record<string, { hash: string; dsaEncoding?: 'ieee-p1363' }> = {
  RS256: { hash: 'sha256' },
  ES256: { hash: 'sha256', dsaEncoding: 'ieee-p1363' },
};

const b64url = (part: string) => Buffer.from(part, 'base64url');

function parseJson<T>(part: string, what: string): T {
  try {
    return JSON.parse(b64url(part).toString('utf8')) as T;
  } catch {
    throw new UnauthorizedError(`invalid bearer token: its ${what} is not base64url JSON`);
  }
}

export class OidcVerifier {
  private keys: { at: number; byKid: Map<string, KeyObject> } | null = null;
  private readonly fetchFn: typeof fetch;
  private readonly now: () => number;

  constructor(private readonly options: OidcOptions) {
    this.fetchFn = options.fetch ?? fetch;
    this.now = options.now ?? Date.now;
  }

  static looksLikeJwt(token: string): boolean {
    return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
  }

  async verify(token: string): Promise<OidcIdentity> {
    const [h, p, sig] = token.split('.') as [string, string, string];
    const header = parseJson<{ alg?: string; kid?: string }>(h, 'header');
    const algorithm = header.alg ? ALGORITHMS[header.alg] : undefined;
    if (!algorithm) throw new UnauthorizedError(`invalid bearer token: algorithm ${header.alg ?? '(none)'} is not accepted (RS256, ES256)`);
    const key = await this.key(header.kid ?? '');
    const signed = Buffer.from(`${h}.${p}`);
    const ok = verifySignature(algorithm.hash, signed, { key, ...(algorithm.dsaEncoding ? { dsaEncoding: algorithm.dsaEncoding } : {}) }, b64url(sig));
    if (!ok) throw new UnauthorizedError('invalid bearer token: bad signature');
    const claims = parseJson<Record<string, unknown>>(p, 'payload');
    const nowS = Math.floor(this.now() / 1000);
    if (claims['iss'] !== this.options.issuer) throw new UnauthorizedError(`invalid bearer token: issuer is not ${this.options.issuer}`);
    const aud = claims['aud'];
    if (!(aud === this.options.audience || (Array.isArray(aud) && aud.includes(this.options.audience)))) {
      throw new UnauthorizedError(`invalid bearer token: audience is not ${this.options.audience}`);
    }
    if (typeof claims['exp'] !== 'number' || claims['exp'] + SKEW_SECONDS < nowS) throw new UnauthorizedError('invalid bearer token: expired');
    if (typeof claims['nbf'] === 'number' && claims['nbf'] - SKEW_SECONDS > nowS) throw new UnauthorizedError('invalid bearer token: not valid yet');
    const person = claims[this.options.claim];
    if (typeof person !== 'string' || person === '') throw new UnauthorizedError(`invalid bearer token: no ${this.options.claim} claim names the person`);
    return { person, subject: typeof claims['sub'] === 'string' ? claims['sub'] : person };
  }

  private async key(kid: string): Promise<KeyObject> {
    const fresh = this.keys && this.now() - this.keys.at < JWKS_TTL_MS;
    let key = fresh ? this.keys!.byKid.get(kid) : undefined;
    if (!key) {
      // An unknown kid may be a rotated key: fetch once more, then refuse.
      await this.loadKeys();
      key = this.keys!.byKid.get(kid);
    }
    if (!key) throw new UnauthorizedError(`invalid bearer token: the issuer has no key ${kid || '(no kid)'}`);
    return key;
  }

  private async loadKeys(): Promise<void> {
    const uri = this.options.jwksUri ?? (await this.discover());
    const res = await this.fetchFn(uri, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new UnauthorizedError(`cannot check bearer token: the issuer's keys answered ${res.status}`);
    const { keys = [] } = (await res.json()) as { keys?: (JsonWebKey & { kid?: string; use?: string })[] };
    const byKid = new Map<string, KeyObject>();
    for (const jwk of keys) {
      if (jwk.use && jwk.use !== 'sig') continue;
      try {
        byKid.set(jwk.kid ?? '', createPublicKey({ key: jwk, format: 'jwk' }));
      } catch {
        // A key type we cannot use (e.g. an encryption key) is skipped, not fatal.
      }
    }
    this.keys = { at: this.now(), byKid };
  }

  private async discover(): Promise<string> {
    const url = `${this.options.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    const res = await this.fetchFn(url, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new UnauthorizedError(`cannot check bearer token: ${url} answered ${res.status}`);
    const { jwks_uri: jwksUri } = (await res.json()) as { jwks_uri?: string };
    if (!jwksUri) throw new UnauthorizedError(`cannot check bearer token: ${url} names no jwks_uri`);
    return jwksUri;
  }
}
