/**
 * Tag policies beyond the `tags:` regex: a semver range (`tagPolicy.semver`) and "only newer than
 * stable" (`tagPolicy.newerThanStable`). The range needs nothing but the tag, so `tagDeploys` applies it
 * wherever a push comes from. Newer-than-stable needs the stable image's version, which ECS does not
 * know: a rollout pins its image by digest. `findStableTag` looks for it, in this order:
 *
 * 1. the tag in ECS's stable image reference, when the task definition names one (`repo:1.4.0`, or a
 *    starting image set up outside the orchestrator);
 * 2. the tag of the newest SUCCEEDED rollout of the service that deployed the stable digest (the store
 *    keeps `image.tag` of each rollout; only the 20 newest are read);
 * 3. otherwise the stable version is unknown, and the check is skipped: the push deploys and the note
 *    says so in the rollout's first event. Refusing instead would block the first rollout of every
 *    service that ECS started from an untagged image, and the signature check still applies.
 *
 * "Newer" is strictly greater in semver order: a rebuilt 1.4.0 is not newer than 1.4.0, so a tag pushed
 * again with a new digest does not deploy under this policy (it does without it).
 */
import type { ServiceConfig } from '../config/types';
import { parseImageReference } from '../config/image-name';
import type { Rollout } from '../core/rollout';
import { RolloutStatus } from '../core/status';
import type { ListRolloutsQuery, RolloutPage } from '../ports';
import { compareVersions, parseVersion } from '../config/semver';

export type PolicyVerdict = { readonly deploys: true; readonly note?: string } | { readonly deploys: false; readonly reason: string };

/** `tagPolicy.semver` alone: what `tagDeploys` adds after the regex. */
export function semverVerdict(service: ServiceConfig, tag: string | null): PolicyVerdict {
  const range = service.tagPolicy?.semver;
  if (!range) return { deploys: true };
  if (tag === null) return { deploys: false, reason: `push by digest without a tag; service ${service.name} deploys only versions in ${range.source}` };
  const version = parseVersion(tag);
  if (!version) return { deploys: false, reason: `tag ${tag} is not a semantic version (MAJOR.MINOR.PATCH); service ${service.name} deploys only versions in ${range.source}` };
  return range.test(version) ? { deploys: true } : { deploys: false, reason: `tag ${tag} is not in the semver range ${range.source}` };
}

export interface StableTag {
  readonly digest: string | null;
  readonly tag: string | null;
  /** Where the tag was found, or why it is unknown: goes into reasons and notes. */
  readonly how: string;
}

/** What finding the stable tag reads: the orchestrator's `describeService` and `list` fit. */
export interface StableReader {
  describeService(name: string): Promise<{ readonly stable: string | null; readonly stableImage: string | null }>;
  list(query: ListRolloutsQuery): Promise<RolloutPage>;
}

const LOOK_BACK = 20;

export async function findStableTag(reader: StableReader, service: string): Promise<StableTag> {
  const view = await reader.describeService(service);
  const digest = view.stable;
  const reference = view.stableImage ? parseImageReference(view.stableImage) : null;
  if (reference?.ok && reference.value.tag) return { digest, tag: reference.value.tag, how: `ECS runs ${view.stableImage}` };
  if (!digest) return { digest, tag: null, how: `ECS reports no stable image digest for ${service}` };
  const page = await reader.list({ service, status: RolloutStatus.Succeeded, limit: LOOK_BACK });
  const deployed: Rollout | undefined = page.items.find((r) => r.image.digest === digest);
  if (!deployed) return { digest, tag: null, how: `none of the last ${LOOK_BACK} succeeded rollouts of ${service} deployed the stable ${digest}` };
  if (!deployed.image.tag) return { digest, tag: null, how: `rollout ${deployed.id} deployed the stable ${digest} without a tag` };
  return { digest, tag: deployed.image.tag, how: `rollout ${deployed.id} deployed it` };
}

/** `tagPolicy.newerThanStable` for one service, given what `findStableTag` found. */
export function newerThanStableVerdict(service: ServiceConfig, tag: string | null, stable: StableTag): PolicyVerdict {
  if (!service.tagPolicy?.newerThanStable) return { deploys: true };
  const wants = `service ${service.name} deploys only versions newer than stable`;
  if (tag === null) return { deploys: false, reason: `push by digest without a tag; ${wants}` };
  const version = parseVersion(tag);
  if (!version) return { deploys: false, reason: `tag ${tag} is not a semantic version (MAJOR.MINOR.PATCH); ${wants}` };
  if (stable.tag === null) return { deploys: true, note: `newer-than-stable not checked for ${service.name}: the stable version is unknown (${stable.how})` };
  const current = parseVersion(stable.tag);
  if (!current) return { deploys: true, note: `newer-than-stable not checked for ${service.name}: the stable tag ${stable.tag} is not a semantic version (${stable.how})` };
  if (compareVersions(version, current) > 0) return { deploys: true };
  return { deploys: false, reason: `tag ${tag} is not newer than the stable ${stable.tag} of ${service.name} (${stable.how})` };
}
