/**
 * Docker distribution notifications (CNCF distribution 2.x and 3, GitLab's fork, Harbor's registry):
 * an envelope of events. Only manifest pushes matter; the rest is ignored with a reason, so the sender
 * sees why, and a malformed digest is refused by name without failing the other events of the envelope.
 */
import { z } from 'zod';
import { DIGEST_PATTERN, type ImagePush } from '../app/image-push';

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

/** The OCI distribution spec's grammar for repository names and tags. */
const REPOSITORY_PATTERN = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG_PATTERN = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

const eventSchema = z.object({
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

export const distributionEnvelopeSchema = z.object({ events: z.array(eventSchema).max(1000) });

export type DistributionIgnored = { readonly reason: string; readonly repository?: string; readonly tag?: string | null; readonly digest?: string };

export interface ParsedNotification {
  readonly pushes: ImagePush[];
  readonly ignored: DistributionIgnored[];
}

function hostOf(event: z.infer<typeof eventSchema>): string | null {
  if (event.request?.host) return event.request.host;
  try {
    return event.target.url ? new URL(event.target.url).host : null;
  } catch {
    return null;
  }
}

export function parseDistributionEnvelope(envelope: z.infer<typeof distributionEnvelopeSchema>): ParsedNotification {
  const result: ParsedNotification = { pushes: [], ignored: [] };
  envelope.events.forEach((event, i) => {
    const { target } = event;
    const about = { repository: target.repository, tag: target.tag ?? null, ...(target.digest ? { digest: target.digest } : {}) };
    if (event.action !== 'push') return result.ignored.push({ ...about, reason: `events[${i}]: action ${event.action} is not a push` });
    if (!target.mediaType || !MANIFEST_MEDIA_TYPES.has(target.mediaType)) {
      return result.ignored.push({ ...about, reason: `events[${i}]: ${target.mediaType ?? 'an untyped'} push is a blob, not a manifest` });
    }
    if (target.repository.length > 255 || !REPOSITORY_PATTERN.test(target.repository)) {
      return result.ignored.push({ reason: `events[${i}].target.repository: ${JSON.stringify(target.repository.slice(0, 80))} is not a repository name` });
    }
    if (target.tag !== undefined && !TAG_PATTERN.test(target.tag)) {
      return result.ignored.push({ repository: target.repository, reason: `events[${i}].target.tag: ${JSON.stringify(target.tag.slice(0, 80))} is not a tag` });
    }
    if (!target.digest || !DIGEST_PATTERN.test(target.digest)) {
      return result.ignored.push({ ...about, reason: `events[${i}].target.digest: ${JSON.stringify(target.digest ?? null)} is not sha256:<64 lower-case hex>` });
    }
    const registry = hostOf(event);
    if (!registry) return result.ignored.push({ ...about, reason: `events[${i}]: no request.host or target.url names the registry` });
    result.pushes.push({
      registry,
      repository: target.repository,
      tag: target.tag ?? null,
      digest: target.digest,
      source: `distribution notification${event.id ? ` ${event.id}` : ''}`,
    });
  });
  return result;
}
