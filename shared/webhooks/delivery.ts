/**
 * What every webhook parser answers, and the checks they share. A parser refuses a malformed delivery
 * as a whole (400, naming the field) but one bad event inside a good delivery only as an `ignored` entry
 * with its reason, so that the other events still deploy and the sender sees why.
 */
import type { ImagePush } from './image-push';
import { DIGEST_PATTERN } from './image-push';
import type { Ignored } from './image-push';
import { registryHostProblem } from '../config/image-name';
import { DELIVERY_ID_PATTERN, LIMITS, TAG_PATTERN, quote } from '../http/limits';

export { TAG_PATTERN, quote };

/** A push that names a tag but no digest (Docker Hub, Quay): resolved from the configured registry. */
export interface TaggedPush {
  readonly registry: string;
  readonly repository: string;
  readonly tag: string;
  readonly source: string;
}

export interface ParsedDelivery {
  readonly pushes: ImagePush[];
  readonly tagged: TaggedPush[];
  readonly ignored: Ignored[];
}

export const emptyDelivery = (): ParsedDelivery => ({ pushes: [], tagged: [], ignored: [] });

/** The OCI distribution spec's grammar for repository names and tags. */
export const REPOSITORY_PATTERN = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;

export function repositoryProblem(at: string, repository: string): string | null {
  return repository.length <= LIMITS.repository && REPOSITORY_PATTERN.test(repository) ? null : `${at}: ${quote(repository)} is not a repository name`;
}

export function tagProblem(at: string, tag: string): string | null {
  return TAG_PATTERN.test(tag) ? null : `${at}: ${quote(tag)} is not a tag`;
}

export function digestProblem(at: string, digest: string | null | undefined): string | null {
  return digest && DIGEST_PATTERN.test(digest) ? null : `${at}: ${quote(digest)} is not sha256:<64 lower-case hex>`;
}

export function hostProblem(at: string, host: string): string | null {
  return host.length <= LIMITS.host && registryHostProblem(host) === null ? null : `${at}: ${quote(host)} is not a registry host[:port]`;
}

/** A value named in a reason: as is when it is a plain word (`pull`, `DELETE`), else quoted and cut short. */
export function word(value: string): string {
  return /^[A-Za-z0-9_.-]{1,40}$/.test(value) ? value : quote(value);
}

/** A sender's delivery or event id, which the rollout's first event quotes: see LIMITS.deliveryId. */
export function deliveryIdProblem(at: string, id: string | null | undefined): string | null {
  return id === null || id === undefined || DELIVERY_ID_PATTERN.test(id)
    ? null
    : `${at}: ${quote(id)} is not a delivery id (up to ${LIMITS.deliveryId} letters, digits, '.', '_', ':' and '-')`;
}

/**
 * What an ignored entry says about its event: only the fields that are what they claim to be, so that
 * an answer echoes nothing oversized and no control character back to the sender.
 */
export function aboutEvent(fields: { readonly repository?: string | null; readonly tag?: string | null; readonly digest?: string | null }): {
  repository?: string;
  tag?: string | null;
  digest?: string;
} {
  const { repository, tag, digest } = fields;
  return {
    ...(repository && repositoryProblem('', repository) === null ? { repository } : {}),
    ...(tag === null ? { tag: null } : tag && TAG_PATTERN.test(tag) ? { tag } : {}),
    ...(digest && DIGEST_PATTERN.test(digest) ? { digest } : {}),
  };
}

/**
 * Splits `host/repository[:tag][@digest]` as senders print image references (Harbor's `resource_url`,
 * GitHub's `package_url`, Quay's `docker_url`). Only for matching against the config: nothing is ever
 * fetched from it.
 */
export function splitReference(reference: string): { readonly host: string; readonly repository: string } | null {
  const m = /^((?:\[[^\]\s]+\]|[^/\s:@[\]]+)(?::\d+)?)\/([^/:@\s][^:@\s]*)(?::[^/@\s]*)?(?:@\S*)?$/.exec(reference);
  return m ? { host: m[1]!.toLowerCase(), repository: m[2]! } : null;
}
