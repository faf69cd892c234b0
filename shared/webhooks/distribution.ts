/**
 * Docker distribution notifications (CNCF distribution 2.x and 3, GitLab's fork, Harbor's registry):
 * an envelope of events. Only manifest pushes matter; the rest is ignored with a reason, so the sender
 * sees why, and a malformed digest is refused by name without failing the other events of the envelope.
 */
import { z } from 'zod';
import { DIGEST_PATTERN, type ImagePush } from './image-push';
import { REPOSITORY_PATTERN, TAG_PATTERN } from './delivery';

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
  id: z.string().optional(),
  action: z.string(),
  target: z.object({
    mediaType: z.string().optional(),
    digest: z.string().optional(),
    // Loose bounds here; the grammar is checked per event, so one bad event does not sink the envelope.
    repository: z.string().min(1).max(4096),
    url: z.string().max(8192).optional(),
    tag: z.string().max(4096).optional(),
  }),
  request: z.object({ host: z.string().optional() }).optional(),
});

export const distributionEnvelopeSchema = z.object({ events: z.array(distributionEventSchema).max(1000) });
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

/** One event: a push, or why it is ignored. `at` names it in reasons (`events[2]`; empty for a lone event, as ACR sends). */
export function parseDistributionEvent(event: DistributionEvent, at: string): ImagePush | DistributionIgnored {
  const { target } = event;
  const about = { repository: target.repository, tag: target.tag ?? null, ...(target.digest ? { digest: target.digest } : {}) };
  const where = (field: string) => (at ? `${at}.${field}` : field);
  const whole = at ? `${at}: ` : '';
  if (event.action !== 'push') return { ...about, reason: `${whole}action ${event.action} is not a push` };
  if (!target.mediaType || !MANIFEST_MEDIA_TYPES.has(target.mediaType)) {
    return { ...about, reason: `${whole}${target.mediaType ?? 'an untyped'} push is a blob, not a manifest` };
  }
  if (target.repository.length > 255 || !REPOSITORY_PATTERN.test(target.repository)) {
    return { reason: `${where('target.repository')}: ${JSON.stringify(target.repository.slice(0, 80))} is not a repository name` };
  }
  if (target.tag !== undefined && !TAG_PATTERN.test(target.tag)) {
    return { repository: target.repository, reason: `${where('target.tag')}: ${JSON.stringify(target.tag.slice(0, 80))} is not a tag` };
  }
  if (!target.digest || !DIGEST_PATTERN.test(target.digest)) {
    return { ...about, reason: `${where('target.digest')}: ${JSON.stringify(target.digest ?? null)} is not sha256:<64 lower-case hex>` };
  }
  const registry = hostOf(event);
  if (!registry) return { ...about, reason: `${whole}no request.host or target.url names the registry` };
  return {
    registry,
    repository: target.repository,
    tag: target.tag ?? null,
    digest: target.digest,
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
