/**
 * Attaches a sigstore bundle to an image the way cosign v3 does: a referrer manifest (artifactType the
 * bundle media type, `subject` the image, an empty config, the bundle as its one layer). On a registry
 * without the referrers API (Debian's distribution 2.8) it also maintains the OCI referrers tag schema's
 * `sha256-<hex>` index, as cosign does there.
 */
import { digestOf } from '../../shared/adapters/oci-registry/http-body';
import { OciRegistryClient } from '../../shared/adapters/oci-registry/oci-registry-client';
import { referrersTag } from '../../shared/adapters/oci-registry/referrers';
import { MediaType, type Descriptor } from '../../shared/adapters/oci-registry/types';
import { COSIGN_SIGN_PREDICATE_TYPE } from '../../shared/signature/dsse';
import { BUNDLE_MEDIA_TYPE_V03 } from '../../shared/signature/sigstore-bundle';

export const EMPTY_CONFIG_MEDIA_TYPE = 'application/vnd.oci.empty.v1+json';

export interface PushBundleOptions {
  readonly host: string;
  readonly repository: string;
  /** The signed image's manifest digest. */
  readonly digest: string;
  /** The bundle document (as `signImageBundle` makes it), or its exact bytes. */
  readonly bundle: Record<string, unknown> | Uint8Array;
  /** `tag`: also update the `sha256-<hex>` referrers index (registries without the API). Default `tag`. */
  readonly referrers?: 'tag' | 'api';
  /** Subject digest written into the referrer manifest; default `digest` (tests forge another). */
  readonly subjectDigest?: string;
  readonly predicateType?: string;
  readonly insecure?: boolean;
}

export interface PushedBundle {
  /** Digest of the referrer manifest. */
  readonly manifestDigest: string;
  readonly bundleDigest: string;
}

export async function pushBundleReferrer(options: PushBundleOptions): Promise<PushedBundle> {
  const client = new OciRegistryClient({ host: options.host, config: { insecure: options.insecure ?? true } });
  const { repository, digest } = options;
  const subject = await client.headManifest(repository, digest, [MediaType.OciManifest, MediaType.DockerManifest]);
  if (!subject) throw new Error(`image ${repository}@${digest} is not in the registry`);
  const bundleBytes = options.bundle instanceof Uint8Array ? options.bundle : Buffer.from(JSON.stringify(options.bundle));
  const emptyConfig = Buffer.from('{}');
  const [configDigest, bundleDigest] = [await client.putBlob(repository, emptyConfig), await client.putBlob(repository, bundleBytes)];
  const annotations = { 'dev.sigstore.bundle.content': 'dsse-envelope', 'dev.sigstore.bundle.predicateType': options.predicateType ?? COSIGN_SIGN_PREDICATE_TYPE };
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    artifactType: BUNDLE_MEDIA_TYPE_V03,
    config: { mediaType: EMPTY_CONFIG_MEDIA_TYPE, digest: configDigest, size: emptyConfig.length },
    layers: [{ mediaType: BUNDLE_MEDIA_TYPE_V03, digest: bundleDigest, size: bundleBytes.length }],
    subject: { mediaType: subject.mediaType || MediaType.OciManifest, digest: options.subjectDigest ?? digest, size: subject.size },
    annotations,
  };
  const body = Buffer.from(JSON.stringify(manifest));
  // Pushed by digest, as cosign pushes referrers: no tag to move.
  const manifestDigest = await client.putManifest(repository, digestOf(body), MediaType.OciManifest, body);
  if ((options.referrers ?? 'tag') === 'tag') {
    await addToReferrersIndex(client, repository, digest, {
      mediaType: MediaType.OciManifest,
      digest: manifestDigest,
      size: body.length,
      artifactType: BUNDLE_MEDIA_TYPE_V03,
      annotations,
    });
  }
  return { manifestDigest, bundleDigest };
}

/** Adds a descriptor to the `sha256-<hex>` index, creating it when absent (OCI distribution spec §referrers tag schema). */
async function addToReferrersIndex(client: OciRegistryClient, repository: string, digest: string, descriptor: Descriptor): Promise<void> {
  const tag = referrersTag(digest);
  const existing = await client.getManifest(repository, tag, [MediaType.OciIndex]);
  const manifests = existing ? (((existing.json as { manifests?: Descriptor[] }).manifests ?? []) as Descriptor[]) : [];
  if (manifests.some((m) => m.digest === descriptor.digest)) return;
  const index = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [...manifests, descriptor] };
  await client.putManifest(repository, tag, MediaType.OciIndex, Buffer.from(JSON.stringify(index)));
}
