/**
 * Docker distribution notifications (CNCF distribution 2.x and 3, GitLab's fork, Harbor's registry):
 * an envelope of events. Only manifest pushes matter; the rest is ignored with a reason, so the sender
 * sees why, and a malformed digest is refused by name without failing the other events of the envelope.
 */
import * as z from 'zod/mini';
import type { ImagePush } from './image-push';
import { aboutEvent, word, deliveryIdProblem, digestProblem, hostProblem, quote, repositoryProblem, tagProblem } from './delivery';

export const DISTRIBUTION_MEDIA_TYPES = [
  'application/vnd.docker.distribution.events.v1+json',
  'application/vnd.docker.distribution.events.v2+json',
  'application/json',
] as const;

const MANIFEST_MEDIA_TYPES = new Set([
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
]);


export const distributionEventSchema = z.object({
  id: z.optional(z.string()),
  action: z.string(),
  target: z.object({
    mediaType: z.optional(z.string()),
    digest: z.optional(z.string()),
    // No bounds here (the 1 MB body limit bounds the envelope): the grammar and the lengths are checked
    // per event, so that one bad event is ignored with its reason and does not sink the envelope.
    repository: z.string(),
    url: z.optional(z.string()),
    tag: z.optional(z.string()),
  }),
  request: z.optional(z.object({ host: z.optional(z.string()) })),
});

export const distributionEnvelopeSchema = z.object({ events: z.array(distributionEventSchema).check(z.maxLength(1000)) });
export type DistributionEvent = z.infer<typeof distributionEventSchema>;

export type DistributionIgnored = { readonly reason: string; readonly repository?: string; readonly tag?: string | null; readonly digest?: string };

export interface ParsedNotification {
  readonly pushes: ImagePush[];
  readonly ignored: DistributionIgnored[];
}

function hostOf(event: DistributionEvent): string | null {
  if (event.request?.host) return event.request.host;
  try {
    return event.target.url ? new URL(event.target.url).host : null;
  } catch {
    return null;
  }
}

/** An ignored event, with what it says about itself (made only for an event that is ignored). */
function ignoredEvent(target: DistributionEvent['target'], reason: string): DistributionIgnored {
  return { ...aboutEvent({ repository: target.repository, tag: target.tag ?? null, digest: target.digest ?? null }), reason };
}

/** One event: a push, or why it is ignored. `at` names it in reasons (`events[2]`; empty for a lone event, as ACR sends). */
export function parseDistributionEvent(event: DistributionEvent, at: string): ImagePush | DistributionIgnored {
  const { target } = event;
  const where = (field: string) => (at ? `${at}.${field}` : field);
  const whole = at ? `${at}: ` : '';
  if (event.action !== 'push') return ignoredEvent(target, `${whole}action ${word(event.action)} is not a push`);
  if (!target.mediaType || !MANIFEST_MEDIA_TYPES.has(target.mediaType)) {
    return ignoredEvent(target, `${whole}${target.mediaType ? quote(target.mediaType) : 'an untyped'} push is a blob, not a manifest`);
  }
  const problem =
    repositoryProblem(where('target.repository'), target.repository) ??
    (target.tag === undefined ? null : tagProblem(where('target.tag'), target.tag)) ??
    digestProblem(where('target.digest'), target.digest) ??
    deliveryIdProblem(where('id'), event.id);
  if (problem) return ignoredEvent(target, problem);
  const registry = hostOf(event);
  if (!registry) return ignoredEvent(target, `${whole}no request.host or target.url names the registry`);
  const badHost = hostProblem(event.request?.host ? where('request.host') : where('target.url'), registry);
  if (badHost) return ignoredEvent(target, badHost);
  return {
    registry,
    repository: target.repository,
    tag: target.tag ?? null,
    digest: target.digest!,
    source: `distribution notification${event.id ? ` ${event.id}` : ''}`,
  };
}

export function parseDistributionEnvelope(envelope: z.infer<typeof distributionEnvelopeSchema>): ParsedNotification {
  const result: ParsedNotification = { pushes: [], ignored: [] };
  envelope.events.forEach((event, i) => {
    const parsed = parseDistributionEvent(event, `events[${i}]`);
    if ('digest' in parsed && 'source' in parsed) result.pushes.push(parsed);
    else result.ignored.push(parsed);
  });
  return result;
}
