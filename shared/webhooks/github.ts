/**
 * GitHub Packages webhooks for container images (GHCR): the `package` event, and the older
 * `registry_package` one with the same content under another key. Quirks of the published samples:
 * `ecosystem`/`package_type` are `CONTAINER` or `docker` in any case; `container_metadata.tag.name` is
 * `""` for an untagged version; the octokit samples carry 40-hex "digests" (refused by name); owners
 * may be mixed case while GHCR names are lower case.
 */
import * as z from 'zod/mini';
import type { Ignored } from './image-push';
import { type ParsedDelivery, digestProblem, emptyDelivery, hostProblem, quote, repositoryProblem, splitReference, tagProblem } from './delivery';

/** GitHub's own event names (`X-GitHub-Event`) that carry a package. */
export const GITHUB_PACKAGE_EVENTS = ['package', 'registry_package'] as const;

// No length bounds in the shapes: the 1 MB body limit bounds the delivery, and each field is checked per
// event (delivery.ts, LIMITS), so that one bad event is ignored with its reason and the others go on.

const packageSchema = z.looseObject({
  name: z.string().check(z.minLength(1)),
  namespace: z.nullish(z.string()),
  ecosystem: z.nullish(z.string()),
  package_type: z.nullish(z.string()),
  package_version: z.nullish(
    z.looseObject({
      name: z.nullish(z.string()),
      package_url: z.nullish(z.string()),
      container_metadata: z.nullish(z.looseObject({ tag: z.nullish(z.looseObject({ name: z.nullish(z.string()), digest: z.nullish(z.string()) })) })),
    }),
  ),
});

export const githubPackageEventSchema = z.looseObject({ action: z.string(), package: z.optional(packageSchema), registry_package: z.optional(packageSchema) }).check(
  z.superRefine((event, ctx) => {
    if (!event.package && !event.registry_package) {
      ctx.addIssue({ code: 'custom', path: ['package'], message: 'is required: a package or registry_package event has one of package and registry_package', input: undefined });
    }
  }),
);

export type GithubPackageEvent = z.infer<typeof githubPackageEventSchema>;

const CONTAINER_TYPES = new Set(['container', 'docker']);

export function parseGithubPackageEvent(event: GithubPackageEvent, delivery: string | null): ParsedDelivery {
  const result = emptyDelivery();
  const key = event.package ? 'package' : 'registry_package';
  const pkg = (event.package ?? event.registry_package)!;
  const ignore = (reason: string, extra: Partial<Ignored> = {}) => (result.ignored.push({ reason, ...extra }), result);

  if (event.action !== 'published') return ignore(`action ${quote(event.action)} is not a publish`);
  const types = [pkg.package_type, pkg.ecosystem].filter((t): t is string => typeof t === 'string');
  if (!types.some((t) => CONTAINER_TYPES.has(t.toLowerCase()))) return ignore(`${key}.package_type ${quote(types[0] ?? null)} is not a container image`);

  const version = pkg.package_version;
  // package_url is the image reference GitHub prints (`ghcr.io/owner/name:tag`); names are matched lower case.
  const printed = version?.package_url ? splitReference(version.package_url) : null;
  const registry = printed?.host ?? 'ghcr.io';
  const repository = (printed?.repository ?? [pkg.namespace, pkg.name].filter(Boolean).join('/')).toLowerCase();
  const at = `${key}.package_version`;
  const problem = hostProblem(`${at}.package_url`, registry) ?? repositoryProblem(`${key}.name`, repository);
  if (problem) return ignore(problem);

  const tagName = version?.container_metadata?.tag?.name ?? '';
  const tag = tagName === '' ? null : tagName;
  if (tag !== null) {
    const bad = tagProblem(`${at}.container_metadata.tag.name`, tag);
    if (bad) return ignore(bad, { repository });
  }
  // The tag's digest when GitHub gives one; a version's name is its manifest (or index) digest otherwise.
  const tagDigest = version?.container_metadata?.tag?.digest;
  const [digest, field] = tagDigest ? [tagDigest, `${at}.container_metadata.tag.digest`] : [version?.name, `${at}.name`];
  const bad = digestProblem(field, digest);
  if (bad) return ignore(bad, { repository, tag });

  result.pushes.push({ registry, repository, tag, digest: digest!, source: `GitHub ${key} event${delivery ? ` ${delivery}` : ''}` });
  return result;
}
