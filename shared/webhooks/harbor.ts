/**
 * Harbor's own webhook, in its Default format (`type: PUSH_ARTIFACT`, payload in `event_data`) or as a
 * CloudEvents 1.0 structured event (`type: harbor.artifact.pushed`, payload in `data`). On a push by
 * digest (replication, `docker push repo@sha256:…`) Harbor puts the digest in `tag` as well: that is an
 * untagged push. The registry host is only in `resource_url`, which is read as a name, never fetched.
 */
import * as z from 'zod/mini';
import { type ParsedDelivery, aboutEvent, deliveryIdProblem, digestProblem, emptyDelivery, hostProblem, quote, repositoryProblem, splitReference, tagProblem } from './delivery';

export const HARBOR_MEDIA_TYPES = ['application/json', 'application/cloudevents+json'] as const;
const PUSH_TYPES = new Set(['PUSH_ARTIFACT', 'harbor.artifact.pushed']);

// No length bounds in the shapes: the 1 MB body limit bounds the delivery, and each field is checked per
// event (delivery.ts, LIMITS), so that one bad event is ignored with its reason and the others go on.

const payloadSchema = z.looseObject({
  resources: z.array(z.looseObject({ digest: z.nullish(z.string()), tag: z.nullish(z.string()), resource_url: z.nullish(z.string()) })).check(z.maxLength(1000)),
  repository: z.looseObject({ repo_full_name: z.nullish(z.string()), name: z.nullish(z.string()), namespace: z.nullish(z.string()) }),
});

const defaultSchema = z.looseObject({ type: z.string(), operator: z.nullish(z.string()), event_data: payloadSchema });
const cloudEventSchema = z.looseObject({ specversion: z.string(), id: z.nullish(z.string()), type: z.string(), data: payloadSchema });

/** Either format (for documentation); parse with `harborSchemaFor`, whose errors name one format's fields. */
export const harborEventSchema = z.union([cloudEventSchema, defaultSchema]);

/** The format is told by `specversion`, which only CloudEvents have. */
export function harborSchemaFor(body: unknown): typeof cloudEventSchema | typeof defaultSchema {
  return typeof body === 'object' && body !== null && 'specversion' in body ? cloudEventSchema : defaultSchema;
}

type CloudEvent = z.infer<typeof cloudEventSchema>;
type DefaultEvent = z.infer<typeof defaultSchema>;
export type HarborEvent = CloudEvent | DefaultEvent;

// Both shapes are loose (index signatures), so `in` does not narrow them: this does.
const isCloudEvent = (event: HarborEvent): event is CloudEvent => typeof event.specversion === 'string';

export function parseHarborEvent(event: HarborEvent): ParsedDelivery {
  const result = emptyDelivery();
  const cloud = isCloudEvent(event);
  const payload = isCloudEvent(event) ? event.data : (event as DefaultEvent).event_data;
  const key = cloud ? 'data' : 'event_data';
  const repo = payload.repository;
  const repository = repo.repo_full_name ?? [repo.namespace, repo.name].filter(Boolean).join('/');
  if (!PUSH_TYPES.has(event.type)) return (result.ignored.push({ ...aboutEvent({ repository }), reason: `type ${quote(event.type)} is not an artifact push` }), result);
  const id = isCloudEvent(event) ? event.id : null;
  const bad = repositoryProblem(`${key}.repository.repo_full_name`, repository) ?? deliveryIdProblem('id', id);
  if (bad) return (result.ignored.push({ ...aboutEvent({ repository }), reason: bad }), result);

  payload.resources.forEach((resource, i) => {
    const at = `${key}.resources[${i}]`;
    const digest = resource.digest;
    // A digest push names the digest as its "tag".
    const tag = !resource.tag || resource.tag === digest || resource.tag.startsWith('sha256:') ? null : resource.tag;
    const about = aboutEvent({ repository, tag, digest: digest ?? null });
    const printed = resource.resource_url ? splitReference(resource.resource_url) : null;
    const problem =
      digestProblem(`${at}.digest`, digest) ??
      (tag === null ? null : tagProblem(`${at}.tag`, tag)) ??
      (printed ? hostProblem(`${at}.resource_url`, printed.host) : `${at}.resource_url: ${quote(resource.resource_url)} does not name the registry`);
    if (problem) return result.ignored.push({ ...about, reason: problem });
    if (printed!.repository !== repository) {
      return result.ignored.push({ ...about, reason: `${at}.resource_url: ${quote(resource.resource_url)} is not in repository ${repository}` });
    }
    result.pushes.push({ registry: printed!.host, repository, tag, digest: digest!, source: `Harbor ${event.type}${id ? ` ${id}` : ''}` });
  });
  return result;
}
