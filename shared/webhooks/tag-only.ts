/**
 * Senders that name a tag and never a digest: Docker Hub and Quay. Their pushes become `TaggedPush`es,
 * which resolve-tag.ts turns into digests from the configured registry. Fields that hold URLs
 * (Docker Hub's legacy `callback_url`, `repo_url`; Quay's `homepage`) are never followed.
 */
import * as z from 'zod/mini';
import { type ParsedDelivery, emptyDelivery, hostProblem, quote, repositoryProblem, splitReference, tagProblem } from './delivery';

// No length bounds in the shapes: the 1 MB body limit bounds the delivery, and each field is checked per
// event (delivery.ts, LIMITS), so that one bad event is ignored with its reason and the others go on.

// ---- Docker Hub ------------------------------------------------------------------------------------

export const dockerHubPushSchema = z.looseObject({
  push_data: z.looseObject({ tag: z.string() }),
  repository: z.looseObject({ repo_name: z.string().check(z.minLength(1)) }),
});

export type DockerHubPush = z.infer<typeof dockerHubPushSchema>;

export function parseDockerHubPush(body: DockerHubPush): ParsedDelivery {
  const result = emptyDelivery();
  const repository = body.repository.repo_name;
  const tag = body.push_data.tag;
  const problem = repositoryProblem('repository.repo_name', repository) ?? tagProblem('push_data.tag', tag);
  if (problem) result.ignored.push({ reason: problem });
  else result.tagged.push({ registry: 'docker.io', repository, tag, source: 'Docker Hub push' });
  return result;
}

// ---- Quay ------------------------------------------------------------------------------------------

export const quayPushSchema = z.looseObject({
  repository: z.string().check(z.minLength(1)),
  docker_url: z.nullish(z.string()),
  updated_tags: z.array(z.string()).check(z.maxLength(100)),
});

export type QuayPush = z.infer<typeof quayPushSchema>;

export function parseQuayPush(body: QuayPush): ParsedDelivery {
  const result = emptyDelivery();
  // `docker_url` (`quay.io/ns/repo`) names the registry of a self-hosted Quay; `name` is unreliable
  // in the published sample, so `repository` is what names the repository.
  const printed = body.docker_url ? splitReference(body.docker_url) : null;
  const registry = printed?.host ?? 'quay.io';
  const repository = body.repository;
  const problem = hostProblem('docker_url', registry) ?? repositoryProblem('repository', repository);
  if (problem) return (result.ignored.push({ reason: problem }), result);
  if (printed && printed.repository !== repository) {
    return (result.ignored.push({ repository, reason: `docker_url ${quote(body.docker_url)} does not name repository ${quote(repository)}` }), result);
  }
  if (body.updated_tags.length === 0) result.ignored.push({ repository, reason: 'updated_tags is empty: no tag was pushed' });
  [...new Set(body.updated_tags)].forEach((tag, i) => {
    const bad = tagProblem(`updated_tags[${i}]`, tag);
    if (bad) result.ignored.push({ repository, reason: bad });
    else result.tagged.push({ registry, repository, tag, source: 'Quay repo_push' });
  });
  return result;
}
