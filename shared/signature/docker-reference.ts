/**
 * Docker reference names, reduced to what a signature policy compares: `registry/repository`.
 * Follows the rules of distribution's `reference.ParseNormalizedNamed`, so a payload written by cosign
 * for `index.docker.io/library/nginx` names the same repository as the config's `docker.io/nginx`.
 */

const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** distribution's path-component grammar; anything else could smuggle `..` or `?` into a URL. */
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const REPOSITORY = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;

export function isSha256Digest(value: string): boolean {
  return SHA256_DIGEST.test(value);
}

export function isRepositoryName(value: string): boolean {
  return value.length <= 255 && REPOSITORY.test(value);
}

export function isTag(value: string): boolean {
  return TAG.test(value);
}

export interface RepositoryName {
  /** Lower-case host, Docker Hub's aliases folded into `docker.io`. */
  readonly registry: string;
  /** With `library/` for single-name Docker Hub repositories. */
  readonly repository: string;
  /** The `@sha256:…` the reference pins, if it pins one. */
  readonly digest: string | null;
}

/** `registry/repository` as one comparable string. */
export function canonicalName(name: RepositoryName): string {
  return `${name.registry}/${name.repository}`;
}

/** Normalises a configured registry host and repository the same way a reference is. */
export function normalizeRepository(registry: string, repository: string): RepositoryName {
  const host = normalizeHost(registry);
  const repo = host === DOCKER_HUB && !repository.includes('/') ? `library/${repository}` : repository;
  return { registry: host, repository: repo, digest: null };
}

/**
 * Parses `[host/]path[:tag][@digest]`. Returns null for anything that is not a valid reference, so the
 * caller can say so instead of comparing garbage.
 */
export function parseDockerReference(reference: string): RepositoryName | null {
  let rest = reference;
  let digest: string | null = null;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(digest)) return null;
  }
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    if (!isTag(rest.slice(colon + 1))) return null;
    rest = rest.slice(0, colon);
  }
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  // Docker's rule: the first component is a host only if it looks like one.
  const hasHost = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const host = hasHost ? first : DOCKER_HUB;
  const path = hasHost ? rest.slice(slash + 1) : rest;
  if (!isHost(host) || !isRepositoryName(path)) return null;
  const name = normalizeRepository(host, path);
  return { ...name, digest };
}

function normalizeHost(host: string): string {
  const lower = host.toLowerCase();
  return DOCKER_HUB_ALIASES.has(lower) ? DOCKER_HUB : lower;
}

/** `host[:port]` with a DNS name, IPv4 or bracketed IPv6 address. */
export function isHost(value: string): boolean {
  return /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/.test(
    value,
  );
}
