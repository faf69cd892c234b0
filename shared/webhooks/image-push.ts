import type { AppConfig, ServiceConfig } from '../config/types';
import type { Rollout } from '../core/rollout';
import { semverVerdict } from './tag-policy';

/** A manifest pushed to a registry, as any webhook source reports it after parsing. */
export interface ImagePush {
  /** Registry host the sender says it is; used only to match configured services, never to fetch from. */
  readonly registry: string;
  readonly repository: string;
  readonly tag: string | null;
  readonly digest: string;
  /** Which delivery this came from, for the rollout's first event (`distribution notification 5f2…`). */
  readonly source: string;
  /**
   * True when the tag comes from the registry itself: a tag-only push resolved by asking the registry,
   * or ECR's own event through EventBridge. Any other sender's tag is only its claim: a decision that
   * rests on the tag (the `tags:` filter, `tagPolicy`) first confirms it with the registry.
   */
  readonly tagConfirmed?: boolean;
}

/** What ingesting pushes answers: the rollouts started or resumed, and the events ignored with why. */
export interface Accepted {
  readonly rolloutId: string;
  readonly service: string;
  readonly status: Rollout['status'];
}
export interface Ignored {
  readonly reason: string;
  readonly service?: string;
  readonly repository?: string;
  readonly tag?: string | null;
  readonly digest?: string;
  readonly rolloutId?: string;
}
export interface IngestResult {
  readonly accepted: Accepted[];
  readonly ignored: Ignored[];
}

export const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;
/**
 * cosign's own artifacts, never deployed: `sha256-<hex>.sig|.att|.sbom`, and more loosely any `*.sig`,
 * `*.att`, `*.sbom` or `sha256-*` tag (the OCI 1.1 referrers fallback tags an index `sha256-<hex>`).
 */
export const COSIGN_TAG_PATTERN = /^sha256-.*$|\.(sig|att|sbom)$/;
/**
 * cosign's `.sig` tag, and the OCI referrers index tag `sha256-<hex>`, which Notation (and cosign v3)
 * rewrite with each signature pushed to a registry without the referrers API.
 */
const SIGNATURE_TAG_PATTERN = /^sha256-([0-9a-f]{64})(?:\.sig)?$/;

/** The image digest a signature tag (cosign's, or the referrers index) is for, or null when the tag is not one. */
export function signedDigestOfTag(tag: string | null): string | null {
  const m = tag ? SIGNATURE_TAG_PATTERN.exec(tag) : null;
  return m ? `sha256:${m[1]}` : null;
}

const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** A registry host as pushes and services name it alike: lower case, Docker Hub's names as one. */
function registryKey(host: string): string {
  const lower = host.toLowerCase();
  return DOCKER_HUB.has(lower) ? 'docker.io' : lower;
}

/** Each config's services by (registry, repository), built at the first push: a webhook's match is one look-up. */
const servicesByImage = new WeakMap<AppConfig['services'], Map<string, ServiceConfig[]>>();
const imageKey = (registry: string, repository: string) => `${registryKey(registry)}/${repository}`;

/** Services whose image is the pushed repository, whatever the tag (in the config's order). */
export function servicesForRepository(config: AppConfig, registry: string, repository: string): ServiceConfig[] {
  let index = servicesByImage.get(config.services);
  if (!index) {
    index = new Map();
    for (const s of Object.values(config.services)) {
      const key = imageKey(s.registry, s.repository);
      index.set(key, [...(index.get(key) ?? []), s]);
    }
    servicesByImage.set(config.services, index);
  }
  return [...(index.get(imageKey(registry, repository)) ?? [])];
}

export type TagVerdict = { readonly deploys: true } | { readonly deploys: false; readonly reason: string };

export function tagDeploys(service: ServiceConfig, tag: string | null): TagVerdict {
  if (tag !== null && COSIGN_TAG_PATTERN.test(tag)) return { deploys: false, reason: `tag ${tag} is a cosign artifact` };
  if (service.tags) {
    if (tag === null) return { deploys: false, reason: `push by digest without a tag; service ${service.name} deploys only tags matching ${service.tags.source}` };
    if (!service.tags.test(tag)) return { deploys: false, reason: `tag ${tag} does not match ${service.tags.source}` };
  }
  // The semver range needs only the tag; newer-than-stable needs the stable version (tag-policy.ts).
  const semver = semverVerdict(service, tag);
  return semver.deploys ? { deploys: true } : semver;
}

export function deliveryKey(service: string, digest: string): string {
  return `${service}#${digest}`;
}
