/**
 * OCI 1.1 referrers, as the referrers API answers them and as the `sha256-<hex>` fallback tag holds
 * them: an image index whose `manifests` are descriptors of the manifests that name the image as
 * `subject`. Malformed entries are dropped (each referrer is verified on its own anyway); a document
 * that is not an index is an error.
 */
import { RegistryError } from '../../errors';
import { isDigest } from './http-body';
import type { Descriptor } from './types';

/** The tag the OCI distribution spec's referrers tag schema uses for `sha256:<hex>`. */
export function referrersTag(digest: string): string {
  return digest.replace(':', '-');
}

export function descriptorsOfIndex(json: unknown, what: string): Descriptor[] {
  if (typeof json !== 'object' || json === null) throw new RegistryError(`${what} is not a JSON object`);
  const { schemaVersion, manifests } = json as { schemaVersion?: unknown; manifests?: unknown };
  if (schemaVersion !== 2 || !Array.isArray(manifests)) throw new RegistryError(`${what} is not an image index`);
  const out: Descriptor[] = [];
  for (const entry of manifests as unknown[]) {
    const descriptor = asDescriptor(entry);
    if (descriptor) out.push(descriptor);
  }
  return out;
}

export function asDescriptor(entry: unknown): Descriptor | null {
  if (typeof entry !== 'object' || entry === null) return null;
  const { mediaType, digest, size, artifactType, annotations } = entry as Record<string, unknown>;
  if (typeof mediaType !== 'string' || typeof digest !== 'string' || !isDigest(digest) || typeof size !== 'number') return null;
  const strings =
    typeof annotations === 'object' && annotations !== null && Object.values(annotations).every((v) => typeof v === 'string')
      ? (annotations as Record<string, string>)
      : undefined;
  return {
    mediaType,
    digest,
    size,
    ...(typeof artifactType === 'string' ? { artifactType } : {}),
    ...(strings ? { annotations: strings } : {}),
  };
}

/** The `rel="next"` target of a Link header (RFC 8288), which the referrers API pages with. */
export function nextLink(header: string | null): string | null {
  if (!header) return null;
  for (const part of header.split(',')) {
    const match = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (match && /(?:^|;)\s*rel="?next"?\s*(?:;|$)/.test(match[2]!)) return match[1]!;
  }
  return null;
}
