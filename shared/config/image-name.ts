/**
 * Registry hosts and image names, checked the way Docker and the OCI distribution spec read them, so a
 * name that passes here is one the registry, its webhooks and ECS all spell the same way.
 */
import { isIPv4, isIPv6 } from 'node:net';

export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

/** `image` as configured: where pushes come from. */
export interface ImageName {
  readonly registry: string;
  readonly repository: string;
}

/** A full reference to one image, as local mode's starting image is written. */
export interface ImageReference extends ImageName {
  readonly tag?: string;
  readonly digest?: string;
}

// docker/distribution reference grammar: a path component, a tag, a digest.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
// Docker refuses longer names (NameTotalLengthMax), and so do most registries.
const MAX_NAME_LENGTH = 255;

const BY_PUSH = 'images are chosen by pushes, not by config';

/** Why `host` is not a registry `host[:port]`, or null when it is one. */
export function registryHostProblem(host: string): string | null {
  if (host === '') return 'must not be empty';
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(host);
  if (scheme) return `must be a host[:port] without a scheme: write '${host.slice(scheme[0].length).replace(/\/.*$/, '').toLowerCase()}'`;
  if (host.includes('/')) return 'must be a host[:port] without a path';
  if (host !== host.toLowerCase()) return `must be lower case: write '${host.toLowerCase()}'`;

  let name = host;
  let port: string | undefined;
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(host);
  if (bracketed) {
    if (!isIPv6(bracketed[1] ?? '')) return `'${host}' is not a valid IPv6 address`;
    port = bracketed[2];
  } else {
    const colon = host.lastIndexOf(':');
    if (colon >= 0) [name, port] = [host.slice(0, colon), host.slice(colon + 1)];
    if (name.includes(':')) return 'an IPv6 address must be written in brackets, like [::1]:5000';
    const problem = hostNameProblem(name);
    if (problem) return problem;
  }
  if (port !== undefined && !(/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) {
    return `has an invalid port '${port}': it must be a number from 1 to 65535`;
  }
  return null;
}

/** Splits `host[:port]/repository`, refusing tags and digests: a service follows whatever is pushed. */
export function parseImageName(image: string): Checked<ImageName> {
  if (image.includes('@')) {
    const [name, digest] = image.split('@');
    return fail(`must not include a digest ('@${digest ?? ''}'): ${BY_PUSH}; write '${name}'`);
  }
  const split = splitHost(image);
  if (!split.ok) return split;
  const { registry, repository } = split.value;
  const lastSlash = repository.lastIndexOf('/');
  const tagAt = repository.indexOf(':', lastSlash + 1);
  if (tagAt >= 0) {
    const untagged = `${registry}/${repository.slice(0, tagAt)}`.toLowerCase();
    return fail(`must not include a tag ('${repository.slice(tagAt)}'): ${BY_PUSH}; write '${untagged}'`);
  }
  const problem = repositoryProblem(registry, repository);
  return problem ? fail(problem) : { ok: true, value: { registry, repository } };
}

/** `host/repository:tag`, `host/repository@sha256:…` or both; at least one of tag or digest is required. */
export function parseImageReference(reference: string): Checked<ImageReference> {
  const [withoutDigest = '', digest, ...extra] = reference.split('@');
  if (extra.length > 0) return fail("must contain '@' at most once");
  if (digest !== undefined && !DIGEST.test(digest)) {
    return fail(`has an invalid digest '${digest}': write sha256: followed by 64 lower-case hex digits`);
  }
  const split = splitHost(withoutDigest);
  if (!split.ok) return split;
  const { registry } = split.value;
  let { repository } = split.value;
  let tag: string | undefined;
  const tagAt = repository.indexOf(':', repository.lastIndexOf('/') + 1);
  if (tagAt >= 0) {
    tag = repository.slice(tagAt + 1);
    repository = repository.slice(0, tagAt);
    if (!TAG.test(tag)) {
      return fail(`has an invalid tag '${tag}': up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'`);
    }
  }
  if (tag === undefined && digest === undefined) {
    return fail(`must name a tag or a digest, like ${reference}:v1 or ${reference}@sha256:<64 hex digits>`);
  }
  const problem = repositoryProblem(registry, repository);
  if (problem) return fail(problem);
  return {
    ok: true,
    value: { registry, repository, ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) },
  };
}

function hostNameProblem(name: string): string | null {
  if (name === 'localhost' || isIPv4(name)) return null;
  if (/^[\d.]+$/.test(name)) return `'${name}' is not a valid IPv4 address`;
  if (name.length > 253) return 'is longer than 253 characters';
  const bad = name.split('.').find((label) => !DNS_LABEL.test(label));
  if (bad === undefined) return null;
  if (bad === '') return `'${name}' has an empty label (two dots in a row, or a dot at an end)`;
  return `'${name}' is not a valid host name: '${bad}' must be 1-63 letters, digits or '-', not starting or ending with '-'`;
}

/** Docker's rule: the first component names a registry if it has a dot or a colon, or is `localhost`. */
function splitHost(image: string): Checked<ImageName> {
  const slash = image.indexOf('/');
  const first = slash < 0 ? image : image.slice(0, slash);
  const looksLikeHost = /[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase();
  // Without a slash Docker reads the whole name as a repository; a lone valid host is a forgotten repository.
  const isLoneHost = slash < 0 && looksLikeHost && registryHostProblem(first) === null;
  if (!looksLikeHost || (slash < 0 && !isLoneHost)) {
    return fail(
      `must start with a registry host (with a dot or a port, or localhost): write docker.io/${image} for Docker Hub, ` +
        'or the host of your registry, like 127.0.0.1:5000/team/web',
    );
  }
  const hostProblem = registryHostProblem(first);
  if (hostProblem) return fail(`has an invalid registry host '${first}': ${hostProblem}`);
  const repository = slash < 0 ? '' : image.slice(slash + 1);
  if (repository === '') return fail(`must name a repository after the registry host, like ${first}/team/web`);
  return { ok: true, value: { registry: first, repository } };
}

function repositoryProblem(registry: string, repository: string): string | null {
  const components = repository.split('/');
  if (components.includes('')) return `has an empty path component in '${repository}' ('//' or a '/' at an end)`;
  if (repository !== repository.toLowerCase()) return `repository must be lower case: write '${repository.toLowerCase()}'`;
  const bad = components.find((c) => !PATH_COMPONENT.test(c));
  if (bad !== undefined) {
    return `repository component '${bad}' is not valid: use lower-case letters and digits, separated by '.', '_', '__' or '-'`;
  }
  const length = registry.length + 1 + repository.length;
  if (length > MAX_NAME_LENGTH) return `is ${length} characters long: image names are at most ${MAX_NAME_LENGTH}`;
  return null;
}

function fail(message: string): { readonly ok: false; readonly message: string } {
  return { ok: false, message };
}
