/**
 * Registry authentication: Basic, and the Docker token flow (a 401 names a token service in
 * `WWW-Authenticate: Bearer realm=…,service=…,scope=…`; we fetch a token there and retry).
 */
import { RegistryError, SecretUnavailableError } from '../../errors';
import type { RegistryConfig } from '../../config/types';
import { readLimited } from './http-body';

export interface Challenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

/** Parses the first challenge of a `WWW-Authenticate` header (quoted values may hold commas). */
export function parseChallenge(header: string): Challenge | null {
  const match = /^\s*([A-Za-z][A-Za-z0-9_-]*)\s*(.*)$/s.exec(header);
  if (!match) return null;
  const params: Record<string, string> = {};
  const pair = /([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))\s*,?\s*/gy;
  const rest = match[2]!;
  pair.lastIndex = 0;
  let p: RegExpExecArray | null;
  while (pair.lastIndex < rest.length && (p = pair.exec(rest)) !== null) {
    params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]!;
  }
  return { scheme: match[1]!.toLowerCase(), params };
}

interface CachedToken {
  readonly header: string;
  readonly expiresAt: number;
}

export interface RegistryAuthOptions {
  readonly config: RegistryConfig;
  readonly fetch: typeof fetch;
  /** Clock for token expiry; default Date.now. */
  readonly now?: () => number;
}

export class RegistryAuth {
  private readonly tokens = new Map<string, CachedToken>();
  /** The Basic header, once the registry asked for one: sent up front from then on. */
  private basic: string | undefined;
  private readonly now: () => number;

  constructor(private readonly options: RegistryAuthOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The Authorization header to send up front for `scope`, when one is known. */
  headerFor(scope: string): string | undefined {
    const cached = this.tokens.get(scope);
    if (cached && cached.expiresAt > this.now()) return cached.header;
    if (cached) this.tokens.delete(scope);
    return this.basic;
  }

  /** Answers a 401's challenge: the header to retry with, or a RegistryError saying why there is none. */
  async answer(wwwAuthenticate: string | null, scope: string, signal: AbortSignal): Promise<string> {
    const challenge = wwwAuthenticate ? parseChallenge(wwwAuthenticate) : null;
    if (challenge?.scheme === 'basic') {
      const header = await this.basicHeader();
      if (!header) throw new RegistryError('registry asks for Basic credentials and none are configured');
      this.basic = header;
      return header;
    }
    if (challenge?.scheme !== 'bearer' || !challenge.params['realm']) {
      throw new RegistryError(`registry answered 401 with an unusable challenge: ${wwwAuthenticate ?? '(none)'}`);
    }
    const token = await this.fetchToken(challenge.params, scope, signal);
    this.tokens.set(scope, token);
    return token.header;
  }

  private async fetchToken(params: Readonly<Record<string, string>>, scope: string, signal: AbortSignal): Promise<CachedToken> {
    let realm: URL;
    try {
      realm = new URL(params['realm']!);
    } catch {
      throw new RegistryError(`token realm ${JSON.stringify(params['realm'])} is not a URL`);
    }
    const plainAllowed = this.options.config.insecure;
    if (realm.protocol !== 'https:' && !(plainAllowed && realm.protocol === 'http:')) {
      throw new RegistryError(`token realm ${realm.origin} is not HTTPS`);
    }
    if (params['service']) realm.searchParams.set('service', params['service']);
    realm.searchParams.set('scope', params['scope'] ?? scope);
    const headers: Record<string, string> = { Accept: 'application/json' };
    const basic = await this.basicHeader();
    if (basic) headers['Authorization'] = basic;
    let response: Response;
    try {
      response = await this.options.fetch(realm, { headers, signal, redirect: 'error' });
    } catch (error) {
      throw new RegistryError(`token request to ${realm.origin} failed: ${(error as Error).message}`, { cause: error });
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw new RegistryError(`token request to ${realm.origin} answered ${response.status}`);
    }
    const body = await readLimited(response, 64 * 1024, 'token response');
    let doc: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      doc = JSON.parse(Buffer.from(body).toString('utf8')) as typeof doc;
    } catch {
      throw new RegistryError(`token response from ${realm.origin} is not JSON`);
    }
    const token = typeof doc.token === 'string' && doc.token ? doc.token : doc.access_token;
    if (typeof token !== 'string' || !token) throw new RegistryError(`token response from ${realm.origin} has no token`);
    // The spec's default lifetime is 60 s; renew a little early so a token never expires in flight.
    const lifetime = typeof doc.expires_in === 'number' && doc.expires_in > 0 ? doc.expires_in : 60;
    return { header: `Bearer ${token}`, expiresAt: this.now() + Math.max(lifetime - 10, 1) * 1000 };
  }

  private async basicHeader(): Promise<string | undefined> {
    const { username, password } = this.options.config;
    if (username === undefined) return undefined;
    let value = '';
    try {
      value = password ? await password.value() : '';
    } catch (error) {
      // Like a registry that cannot be reached: the signature is looked for again later, not judged.
      if (error instanceof SecretUnavailableError) throw new RegistryError(`the registry's password cannot be read: ${error.reason}`, { cause: error });
      throw error;
    }
    return `Basic ${Buffer.from(`${username}:${value}`).toString('base64')}`;
  }
}
