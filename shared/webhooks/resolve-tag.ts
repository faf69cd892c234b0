/**
 * Docker Hub and Quay say which tag was pushed, never which digest. The digest is asked of the registry
 * at once, from the registry as the config names it (never from a URL in the webhook body), and the
 * rollout deploys exactly the digest of the manifest the registry served then: if the tag moves later,
 * the rollout does not follow it. The manifest is fetched rather than HEADed so that its digest is
 * computed from its bytes, not taken from a header.
 */
import type { AppConfig, RegistryConfig } from '../config/types';
import { isEcrHost } from '../adapters/ecr-registry/ecr-host';
import { MediaType, type OciRegistryReader } from '../adapters/oci-registry/types';
import { type ImagePush, servicesForRepository, signedDigestOfTag, tagDeploys } from './image-push';
import type { Ignored } from './image-push';
import { RegistryError, RolloutError } from '../errors';
import type { TaggedPush } from './delivery';

export interface TagResolver {
  /**
   * The digest `registry` serves for `repository:tag` now, or null when it has no such tag. Throws a
   * RegistryError when the registry cannot answer (the delivery is then refused with 502, and a sender
   * that retries will try again).
   */
  resolve(registry: string, config: RegistryConfig, repository: string, tag: string): Promise<string | null>;
}

export interface RegistryTagResolverOptions {
  /** Default: an OciRegistryClient per host (an EcrRegistryClient for ECR hosts). */
  readonly clientFor?: (host: string, config: RegistryConfig) => OciRegistryReader;
  /** Per registry call. Default 10 s. */
  readonly timeoutMs?: number;
}

const ACCEPT = [MediaType.OciIndex, MediaType.OciManifest, MediaType.DockerManifestList, MediaType.DockerManifest];
const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

export function registryTagResolver(options: RegistryTagResolverOptions = {}): TagResolver {
  // The registry clients (and ECR's SDK client) are loaded on the first tag to resolve: the API
  // function does not load them to answer anything else (docs/architecture.md, "Lambda bundles").
  const clients = new Map<string, Promise<OciRegistryReader>>();
  const create = async (host: string, config: RegistryConfig): Promise<OciRegistryReader> => {
    if (options.clientFor) return options.clientFor(host, config);
    if (isEcrHost(host)) return new (await import('../adapters/ecr-registry/ecr-registry-client')).EcrRegistryClient({ host });
    const { OciRegistryClient } = await import('../adapters/oci-registry/oci-registry-client');
    return new OciRegistryClient({ host, config, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
  };
  const clientFor = (host: string, config: RegistryConfig): Promise<OciRegistryReader> => {
    let client = clients.get(host);
    if (!client) {
      client = create(host, config);
      clients.set(host, client);
      client.catch(() => clients.delete(host));
    }
    return client;
  };
  return {
    async resolve(registry, config, repository, tag) {
      // Docker Hub's API lives on registry-1.docker.io, and its official images under library/.
      const hub = DOCKER_HUB.has(registry);
      const host = hub ? 'registry-1.docker.io' : registry;
      const name = hub && !repository.includes('/') ? `library/${repository}` : repository;
      try {
        const manifest = await (await clientFor(host, config)).getManifest(name, tag, ACCEPT);
        return manifest?.digest ?? null;
      } catch (e) {
        if (e instanceof RolloutError) throw e;
        throw new RegistryError(`could not resolve ${registry}/${repository}:${tag}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
    },
  };
}

export interface ResolvedPushes {
  readonly pushes: ImagePush[];
  readonly ignored: Ignored[];
}

/**
 * Turns tag-only pushes into digest pushes. Only tags that some configured service would deploy are
 * resolved: a delivery for an unknown repository or a refused tag costs no registry call.
 */
export async function resolveTaggedPushes(config: AppConfig, resolver: TagResolver, tagged: readonly TaggedPush[]): Promise<ResolvedPushes> {
  const result: ResolvedPushes = { pushes: [], ignored: [] };
  const seen = new Map<string, string | null>();
  for (const ref of tagged) {
    const about = { repository: ref.repository, tag: ref.tag };
    const services = servicesForRepository(config, ref.registry, ref.repository);
    if (services.length === 0) {
      result.ignored.push({ ...about, reason: `no configured service deploys ${ref.registry}/${ref.repository}` });
      continue;
    }
    // A signature tag resumes a rollout waiting for it, whatever the services' tag rules say.
    if (signedDigestOfTag(ref.tag) === null) {
      const refusals = services.map((s) => ({ service: s.name, verdict: tagDeploys(s, ref.tag) }));
      if (refusals.every((r) => !r.verdict.deploys)) {
        for (const r of refusals) if (!r.verdict.deploys) result.ignored.push({ ...about, service: r.service, reason: r.verdict.reason });
        continue;
      }
    }
    // Every matching service names the same repository of the same registry (Docker Hub aliases aside).
    const { registry, repository } = services[0]!;
    const key = `${registry}/${repository}:${ref.tag}`;
    let digest = seen.get(key);
    if (digest === undefined) {
      digest = await resolver.resolve(registry, config.registries[registry] ?? { insecure: false }, repository, ref.tag);
      seen.set(key, digest);
    }
    if (digest === null) {
      result.ignored.push({ ...about, reason: `${key} is not in the registry: the tag was deleted or never pushed there` });
      continue;
    }
    result.pushes.push({ registry, repository, tag: ref.tag, digest, source: `${ref.source} (${key} resolved to ${digest})`, tagConfirmed: true });
  }
  return result;
}
