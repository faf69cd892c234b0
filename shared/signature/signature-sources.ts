/**
 * Where an image's signatures are, in the two layouts `cosign verify` reads:
 *
 * - cosign's classic tag, `sha256-<hex>.sig`: an image manifest with one simple-signing layer each;
 * - cosign v3: sigstore bundles in referrer manifests (`subject` = the image), listed by the OCI
 *   referrers API, or by the `sha256-<hex>` index tag on registries without it.
 *
 * Only lookups live here; what the bytes prove is decided by the verification modules.
 */
import { descriptorsOfIndex, referrersTag } from '../adapters/oci-registry/referrers';
import { MAX_BLOB_BYTES, MediaType, type Descriptor, type OciRegistryReader } from '../adapters/oci-registry/types';
import { isSha256Digest } from './docker-reference';
import { isPlainObject } from '../plain-object';
import { fail, ok, type CheckResult } from './encoding';
import { BUNDLE_MEDIA_TYPE_V03, BUNDLE_MEDIA_TYPES, parseBundle, type SigstoreBundle } from './sigstore-bundle';

export const SIGNATURE_MANIFEST_TYPES = [MediaType.OciManifest, MediaType.DockerManifest] as const;

/** The tag cosign stores an image's simple-signing signatures under. */
export function signatureTag(digest: string): string {
  return `${digest.replace(':', '-')}.sig`;
}

export interface BundleReferrers {
  /** How they were found, for messages: the API, or the fallback tag. */
  readonly via: string;
  readonly descriptors: readonly Descriptor[];
}

/** Bundle referrers of the image; null when neither the API nor the fallback tag knows any referrer. */
export async function findBundleReferrers(client: OciRegistryReader, repository: string, digest: string): Promise<BundleReferrers | null> {
  const listed = client.listReferrers ? await client.listReferrers(repository, digest, BUNDLE_MEDIA_TYPE_V03) : null;
  if (listed !== null) {
    // Registries may ignore the artifactType filter (it is optional in the spec): filter here too.
    return { via: 'the referrers API', descriptors: listed.filter(isBundleReferrer) };
  }
  const tag = referrersTag(digest);
  const index = await client.getManifest(repository, tag, [MediaType.OciIndex]);
  if (!index) return null;
  if (index.mediaType !== MediaType.OciIndex) return { via: `tag ${tag}`, descriptors: [] };
  return { via: `tag ${tag}`, descriptors: descriptorsOfIndex(index.json, `referrers index ${repository}:${tag}`).filter(isBundleReferrer) };
}

export function isBundleReferrer(descriptor: Descriptor): boolean {
  return descriptor.mediaType === MediaType.OciManifest && BUNDLE_MEDIA_TYPES.has(descriptor.artifactType ?? '');
}

/**
 * Reads the bundle a referrer manifest carries. The manifest must name the image as its subject: a
 * fallback tag is mutable, and a bundle listed for one image must not be borrowed from another.
 */
export async function fetchBundle(
  client: OciRegistryReader,
  repository: string,
  referrer: Descriptor,
  imageDigest: string,
): Promise<CheckResult<SigstoreBundle>> {
  const manifest = await client.getManifest(repository, referrer.digest, [MediaType.OciManifest]);
  if (!manifest) return fail('referrer manifest is missing');
  const json = manifest.json;
  if (!isPlainObject(json) || json['schemaVersion'] !== 2 || !Array.isArray(json['layers'])) return fail('referrer manifest is malformed');
  const subject = isPlainObject(json['subject']) ? json['subject']['digest'] : undefined;
  if (subject !== imageDigest) return fail(`referrer manifest has subject ${String(subject)}, not ${imageDigest}`);
  const layer = (json['layers'] as unknown[]).find((l) => isPlainObject(l) && BUNDLE_MEDIA_TYPES.has(String(l['mediaType'])));
  if (!isPlainObject(layer)) return fail('referrer manifest has no sigstore bundle layer');
  const { digest, size } = layer;
  if (typeof digest !== 'string' || !isSha256Digest(digest)) return fail(`bundle layer digest ${JSON.stringify(digest)} is malformed`);
  if (typeof size !== 'number' || size > MAX_BLOB_BYTES) return fail(`bundle is ${String(size)} bytes, more than ${MAX_BLOB_BYTES}`);
  const bytes = await client.getBlob(repository, digest, { maxBytes: MAX_BLOB_BYTES });
  if (!bytes) return fail(`bundle blob ${digest} is missing`);
  const bundle = parseBundle(bytes);
  return bundle.ok ? ok(bundle.value) : bundle;
}
