/**
 * A small OCI distribution API client over fetch. It only ever talks to the configured host: the base URL
 * comes from the registry config, never from a webhook, and manifests are never read through a redirect
 * to another origin.
 */
import { RegistryError } from '../../errors';
import type { RegistryConfig } from '../../config/types';
import { isHost, isRepositoryName, isTag } from '../../signature/docker-reference';
import { digestOf, discard, isDigest, readLimited, registryErrorFrom } from './http-body';
import { RegistryAuth } from './registry-auth';
import { descriptorsOfIndex, nextLink } from './referrers';
import {
  DEFAULT_TIMEOUT_MS,
  MAX_BLOB_BYTES,
  MAX_MANIFEST_BYTES,
  MediaType,
  type Descriptor,
  type FetchedManifest,
  type ManifestHead,
  type OciRegistryReader,
  type OciRegistryWriter,
} from './types';

export interface OciRegistryClientOptions {
  /** `host[:port]` as configured. */
  readonly host: string;
  readonly config: RegistryConfig;
  /** Budget for one operation: token exchange, redirects and the body. Default 10 s. */
  readonly timeoutMs?: number;
  /** Default: the global fetch. */
  readonly fetch?: typeof fetch;
}

type Redirects = 'same-origin' | 'any';

interface SendOptions {
  readonly scope: string;
  readonly signal: AbortSignal;
  readonly headers?: Record<string, string>;
  readonly body?: Uint8Array;
  readonly redirects?: Redirects;
}

const MAX_REDIRECTS = 5;
/** Pages of referrers read at most: a hostile registry must not keep us paging forever. */
const MAX_REFERRER_PAGES = 8;
const REFERRERS_UNSUPPORTED: ReadonlySet<number> = new Set([404, 405, 406, 501]);

export class OciRegistryClient implements OciRegistryReader, OciRegistryWriter {
  readonly baseUrl: string;
  private readonly origin: string;
  private readonly auth: RegistryAuth;
  private readonly fetch: typeof fetch;
  private readonly timeoutMs: number;

  constructor(private readonly options: OciRegistryClientOptions) {
    if (!isHost(options.host)) throw new RegistryError(`registry host ${JSON.stringify(options.host)} is not host[:port]`);
    this.baseUrl = `${options.config.insecure ? 'http' : 'https'}://${options.host}`;
    this.origin = new URL(this.baseUrl).origin;
    this.fetch = options.fetch ?? globalThis.fetch;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.auth = new RegistryAuth({ config: options.config, fetch: this.fetch });
  }

  async getManifest(repository: string, reference: string, accept: readonly string[]): Promise<FetchedManifest | null> {
    const path = manifestPath(repository, reference);
    const signal = AbortSignal.timeout(this.timeoutMs);
    const response = await this.send('GET', path, { scope: pull(repository), signal, headers: { Accept: accept.join(', ') } });
    if (response.status === 404) return discard(response).then(() => null);
    if (!response.ok) throw await registryErrorFrom(response, `GET ${this.options.host}${path}`);
    const body = await this.read(response, MAX_MANIFEST_BYTES, `manifest ${repository}:${reference}`, signal);
    const digest = this.checkDigest(body, reference, response.headers.get('docker-content-digest'), `manifest ${repository}@${reference}`);
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(body).toString('utf8'));
    } catch {
      throw new RegistryError(`manifest ${repository}@${digest} is not JSON`);
    }
    const own = typeof json === 'object' && json !== null ? (json as { mediaType?: unknown }).mediaType : undefined;
    const mediaType = typeof own === 'string' ? own : contentType(response);
    return { digest, mediaType, body, json };
  }

  async headManifest(repository: string, reference: string, accept: readonly string[]): Promise<ManifestHead | null> {
    const path = manifestPath(repository, reference);
    const signal = AbortSignal.timeout(this.timeoutMs);
    const response = await this.send('HEAD', path, { scope: pull(repository), signal, headers: { Accept: accept.join(', ') } });
    if (response.status === 404) return null;
    if (!response.ok) throw await registryErrorFrom(response, `HEAD ${this.options.host}${path}`);
    const digest = response.headers.get('docker-content-digest') ?? '';
    if (!isDigest(digest)) throw new RegistryError(`HEAD ${this.options.host}${path} answered no Docker-Content-Digest`);
    if (isDigest(reference) && digest !== reference) {
      throw new RegistryError(`registry says manifest ${reference} has digest ${digest}`);
    }
    return { digest, mediaType: contentType(response), size: Number(response.headers.get('content-length') ?? 0) };
  }

  async listReferrers(repository: string, digest: string, artifactType?: string): Promise<readonly Descriptor[] | null> {
    if (!isDigest(digest)) throw new RegistryError(`referrers subject ${JSON.stringify(digest)} is not a digest`);
    let path = `/v2/${repoPath(repository)}/referrers/${digest}${artifactType ? `?artifactType=${encodeURIComponent(artifactType)}` : ''}`;
    const signal = AbortSignal.timeout(this.timeoutMs);
    const found: Descriptor[] = [];
    for (let page = 1; ; page++) {
      const response = await this.send('GET', path, { scope: pull(repository), signal, headers: { Accept: MediaType.OciIndex } });
      // The distribution spec: a registry without the referrers API answers 404; clients use the tag schema.
      // Some answer 405, 406 or 501 for a route they do not have: the same answer, and the same fallback.
      if (page === 1 && REFERRERS_UNSUPPORTED.has(response.status)) return discard(response).then(() => null);
      if (!response.ok) throw await registryErrorFrom(response, `GET ${this.options.host}${path}`);
      const body = await this.read(response, MAX_MANIFEST_BYTES, `referrers of ${repository}@${digest}`, signal);
      let json: unknown;
      try {
        json = JSON.parse(Buffer.from(body).toString('utf8'));
      } catch {
        throw new RegistryError(`referrers of ${repository}@${digest} are not JSON`);
      }
      found.push(...descriptorsOfIndex(json, `referrers of ${repository}@${digest}`));
      const next = nextLink(response.headers.get('link'));
      if (!next || page === MAX_REFERRER_PAGES) return found;
      const url = new URL(next, this.baseUrl + path);
      if (url.origin !== this.origin) throw new RegistryError(`referrers page link ${url.origin} is not ${this.baseUrl}`);
      path = url.pathname + url.search;
    }
  }

  async getBlob(repository: string, digest: string, options: { readonly maxBytes?: number } = {}): Promise<Uint8Array | null> {
    if (!isDigest(digest)) throw new RegistryError(`blob digest ${JSON.stringify(digest)} is malformed`);
    const path = `/v2/${repoPath(repository)}/blobs/${digest}`;
    const signal = AbortSignal.timeout(this.timeoutMs);
    // Registries commonly redirect blob reads to object storage; the digest check makes that safe.
    const response = await this.send('GET', path, { scope: pull(repository), signal, redirects: 'any' });
    if (response.status === 404) return discard(response).then(() => null);
    if (!response.ok) throw await registryErrorFrom(response, `GET ${this.options.host}${path}`);
    const body = await this.read(response, options.maxBytes ?? MAX_BLOB_BYTES, `blob ${repository}@${digest}`, signal);
    const actual = digestOf(body, digest);
    if (actual !== digest) throw new RegistryError(`blob ${repository}@${digest} has content with digest ${actual}`);
    return body;
  }

  async putBlob(repository: string, bytes: Uint8Array): Promise<string> {
    const digest = digestOf(bytes);
    const path = `/v2/${repoPath(repository)}/blobs`;
    const signal = AbortSignal.timeout(this.timeoutMs);
    const scope = push(repository);
    const head = await this.send('HEAD', `${path}/${digest}`, { scope, signal });
    if (head.ok) return digest;
    const started = await this.send('POST', `${path}/uploads/`, { scope, signal, body: new Uint8Array() });
    if (started.status !== 202) throw await registryErrorFrom(started, `POST ${this.options.host}${path}/uploads/`);
    await discard(started);
    const location = new URL(started.headers.get('location') ?? '', this.baseUrl);
    // The upload URL carries our credentials on the PUT: it must stay on the registry's origin.
    if (location.origin !== this.origin) throw new RegistryError(`upload location ${location.origin} is not ${this.baseUrl}`);
    location.searchParams.set('digest', digest);
    const uploaded = await this.send('PUT', location.pathname + location.search, {
      scope,
      signal,
      body: bytes,
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    if (uploaded.status !== 201) throw await registryErrorFrom(uploaded, `PUT ${this.options.host}${path}/uploads/…`);
    await discard(uploaded);
    return digest;
  }

  async putManifest(repository: string, reference: string, mediaType: string, body: Uint8Array): Promise<string> {
    const path = manifestPath(repository, reference);
    const signal = AbortSignal.timeout(this.timeoutMs);
    const response = await this.send('PUT', path, { scope: push(repository), signal, body, headers: { 'Content-Type': mediaType } });
    if (response.status !== 201) throw await registryErrorFrom(response, `PUT ${this.options.host}${path}`);
    await discard(response);
    const digest = digestOf(body);
    const claimed = response.headers.get('docker-content-digest');
    if (claimed && claimed !== digest) throw new RegistryError(`registry stored manifest ${digest} as ${claimed}`);
    return digest;
  }

  /** One request with auth retried once after a 401, and redirects followed under `redirects` rules. */
  private async send(method: string, path: string, options: SendOptions): Promise<Response> {
    let url = new URL(path, this.baseUrl);
    let authorization = this.auth.headerFor(options.scope);
    let answeredChallenge = false;
    for (let hop = 0; ; ) {
      const sameOrigin = url.origin === this.origin;
      const headers: Record<string, string> = { ...options.headers };
      // Credentials never leave the registry's origin (blob storage gets a presigned URL instead).
      if (authorization && sameOrigin) headers['Authorization'] = authorization;
      let response: Response;
      try {
        response = await this.fetch(url, { method, headers, body: options.body, redirect: 'manual', signal: options.signal });
      } catch (error) {
        const why = (error as Error).name === 'TimeoutError' ? `timed out after ${this.timeoutMs} ms` : (error as Error).message;
        throw new RegistryError(`${method} ${url.host}${url.pathname} failed: ${why}`, { cause: error });
      }
      if (response.status === 401 && sameOrigin && !answeredChallenge) {
        await discard(response);
        authorization = await this.auth.answer(response.headers.get('www-authenticate'), options.scope, options.signal);
        answeredChallenge = true;
        continue;
      }
      if (response.status < 300 || response.status >= 400 || response.status === 304) return response;
      await discard(response);
      url = this.redirectTarget(response, url, method, options.redirects ?? 'same-origin');
      if (++hop > MAX_REDIRECTS) throw new RegistryError(`${method} ${path}: more than ${MAX_REDIRECTS} redirects`);
    }
  }

  private redirectTarget(response: Response, from: URL, method: string, rule: Redirects): URL {
    const location = response.headers.get('location');
    if (!location || (method !== 'GET' && method !== 'HEAD')) {
      throw new RegistryError(`${method} ${from.host}${from.pathname} answered ${response.status} (redirect not followed)`);
    }
    const target = new URL(location, from);
    const schemeOk = target.protocol === 'https:' || (this.options.config.insecure && target.protocol === 'http:');
    if (!schemeOk || (rule === 'same-origin' && target.origin !== this.origin)) {
      throw new RegistryError(`${method} ${from.host}${from.pathname} redirects to ${target.origin}, which is not allowed`);
    }
    return target;
  }

  private async read(response: Response, max: number, what: string, signal: AbortSignal): Promise<Uint8Array> {
    try {
      return await readLimited(response, max, what);
    } catch (error) {
      if (error instanceof RegistryError) throw error;
      const why = signal.aborted ? `timed out after ${this.timeoutMs} ms` : (error as Error).message;
      throw new RegistryError(`reading ${what} failed: ${why}`, { cause: error });
    }
  }

  /** The body's digest, refused when it contradicts the digest asked for or the one the registry claims. */
  private checkDigest(body: Uint8Array, reference: string, claimed: string | null, what: string): string {
    const digest = digestOf(body);
    if (isDigest(reference) && digestOf(body, reference) !== reference) {
      throw new RegistryError(`${what} has content with digest ${digestOf(body, reference)}`);
    }
    if (claimed && isDigest(claimed) && digestOf(body, claimed) !== claimed) {
      throw new RegistryError(`${what}: Docker-Content-Digest ${claimed} does not match the content (${digest})`);
    }
    return isDigest(reference) ? reference : digest;
  }
}

function pull(repository: string): string {
  return `repository:${repository}:pull`;
}

function push(repository: string): string {
  return `repository:${repository}:pull,push`;
}

function repoPath(repository: string): string {
  if (!isRepositoryName(repository)) throw new RegistryError(`repository name ${JSON.stringify(repository)} is invalid`);
  return repository;
}

function manifestPath(repository: string, reference: string): string {
  if (!isTag(reference) && !isDigest(reference)) {
    throw new RegistryError(`manifest reference ${JSON.stringify(reference)} is neither a tag nor a digest`);
  }
  return `/v2/${repoPath(repository)}/manifests/${reference}`;
}

function contentType(response: Response): string {
  return (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
}
