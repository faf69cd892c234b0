/**
 * Where an image's Notation signatures are: referrer manifests of artifact type
 * `application/vnd.cncf.notary.signature` whose one layer is the envelope, listed by the OCI referrers
 * API (ECR: ListImageReferrers), or by the `sha256-<hex>` index tag on registries without it (Debian's
 * docker-registry). Only lookups live here; notation-verification.ts decides what the bytes prove.
 */
import { descriptorsOfIndex, referrersTag } from '../../adapters/oci-registry/referrers';
import { MAX_BLOB_BYTES, MediaType, type Descriptor, type OciRegistryReader } from '../../adapters/oci-registry/types';
import { isSha256Digest } from '../docker-reference';
import { isPlainObject } from '../../plain-object';
import { fail, ok, type CheckResult } from '../encoding';
import { NOTATION_ARTIFACT_TYPE, NotationMediaType } from './envelope';

export interface NotationReferrers {
  /** How they were found, for messages: the API, or the fallback tag. */
  readonly via: string;
  readonly descriptors: readonly Descriptor[];
}

export interface FetchedEnvelope {
  readonly mediaType: string;
  readonly bytes: Uint8Array;
}

/** The image's Notation signature manifests; null when neither the API nor the fallback tag knows any referrer. */
export async function findNotationSignatures(client: OciRegistryReader, repository: string, digest: string): Promise<NotationReferrers | null> {
  const listed = client.listReferrers ? await client.listReferrers(repository, digest, NOTATION_ARTIFACT_TYPE) : null;
  if (listed !== null) return { via: 'the referrers API', descriptors: listed.filter(isNotationReferrer) };
  const tag = referrersTag(digest);
  const index = await client.getManifest(repository, tag, [MediaType.OciIndex]);
  if (!index) return null;
  if (index.mediaType !== MediaType.OciIndex) return { via: `tag ${tag}`, descriptors: [] };
  return { via: `tag ${tag}`, descriptors: descriptorsOfIndex(index.json, `referrers index ${repository}:${tag}`).filter(isNotationReferrer) };
}

export function isNotationReferrer(descriptor: Descriptor): boolean {
  return descriptor.mediaType === MediaType.OciManifest && descriptor.artifactType === NOTATION_ARTIFACT_TYPE;
}

/**
 * The envelope a signature manifest carries. The manifest must name the image as its subject (a
 * fallback tag is mutable: a signature listed for one image must not be borrowed from another) and have
 * exactly one layer, a JWS or COSE envelope.
 */
export async function fetchEnvelope(client: OciRegistryReader, repository: string, referrer: Descriptor, imageDigest: string): Promise<CheckResult<FetchedEnvelope>> {
  const manifest = await client.getManifest(repository, referrer.digest, [MediaType.OciManifest]);
  if (!manifest) return fail('signature manifest is missing');
  const json = manifest.json;
  if (!isPlainObject(json) || json['schemaVersion'] !== 2 || !Array.isArray(json['layers'])) return fail('signature manifest is malformed');
  if (json['artifactType'] !== NOTATION_ARTIFACT_TYPE) return fail(`signature manifest has artifact type ${JSON.stringify(json['artifactType'])}`);
  const subject = isPlainObject(json['subject']) ? json['subject']['digest'] : undefined;
  if (subject !== imageDigest) return fail(`signature manifest has subject ${String(subject)}, not ${imageDigest}`);
  const layers = json['layers'] as unknown[];
  if (layers.length !== 1 || !isPlainObject(layers[0])) return fail(`signature manifest has ${layers.length} layers, not one envelope`);
  const { mediaType, digest, size } = layers[0];
  if (mediaType !== NotationMediaType.Jws && mediaType !== NotationMediaType.Cose) return fail(`envelope media type ${JSON.stringify(mediaType)} is neither JWS nor COSE`);
  if (typeof digest !== 'string' || !isSha256Digest(digest)) return fail(`envelope digest ${JSON.stringify(digest)} is malformed`);
  if (typeof size !== 'number' || size > MAX_BLOB_BYTES) return fail(`envelope is ${String(size)} bytes, more than ${MAX_BLOB_BYTES}`);
  const bytes = await client.getBlob(repository, digest, { maxBytes: MAX_BLOB_BYTES });
  if (!bytes) return fail(`envelope blob ${digest} is missing`);
  return ok({ mediaType, bytes });
}
