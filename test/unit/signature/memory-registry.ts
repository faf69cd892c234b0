/**
 * An in-memory registry behind the verifier's reader port: manifests by tag and digest, blobs, and the
 * referrers API computed from `subject` fields (or not offered at all, like distribution 2.8).
 */
import { createHash } from 'node:crypto';
import { vi } from 'vitest';
import { MediaType, type Descriptor, type FetchedManifest, type OciRegistryReader } from '../../../shared/adapters/oci-registry/types';
import { BUNDLE_MEDIA_TYPE_V03 } from '../../../shared/signature/sigstore-bundle';

export const sha256 = (bytes: Uint8Array): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

export class MemoryRegistry {
  private readonly manifests = new Map<string, FetchedManifest>();
  private readonly blobs = new Map<string, Uint8Array>();
  /** How the verifier reads it; spies, so tests can count requests. */
  readonly reader: OciRegistryReader & { listReferrers: NonNullable<OciRegistryReader['listReferrers']> };

  constructor(options: { readonly referrersApi: boolean }) {
    this.reader = {
      getManifest: vi.fn(async (repository: string, reference: string) => this.manifests.get(`${repository}@${reference}`) ?? null),
      getBlob: vi.fn(async (_repository: string, digest: string) => this.blobs.get(digest) ?? null),
      listReferrers: vi.fn(async (repository: string, digest: string) => (options.referrersApi ? this.referrersOf(repository, digest) : null)),
    };
  }

  blob(bytes: Uint8Array): string {
    const digest = sha256(bytes);
    this.blobs.set(digest, bytes);
    return digest;
  }

  /** Stores a manifest under its digest and, when given, a tag; answers its digest. */
  manifest(repository: string, json: Record<string, unknown>, tag?: string): string {
    const body = Buffer.from(JSON.stringify(json));
    const fetched = { digest: sha256(body), mediaType: String(json['mediaType']), body, json };
    this.manifests.set(`${repository}@${fetched.digest}`, fetched);
    if (tag) this.manifests.set(`${repository}@${tag}`, fetched);
    return fetched.digest;
  }

  /** A `.sig` manifest holding these simple-signing layers. */
  signatures(repository: string, digest: string, layers: readonly { payload: Uint8Array; annotations: Record<string, string> }[]): string {
    return this.manifest(
      repository,
      {
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        config: { mediaType: MediaType.OciConfig, size: 2, digest: this.blob(Buffer.from('{}')) },
        layers: layers.map((l) => ({ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', size: l.payload.length, digest: this.blob(l.payload), annotations: l.annotations })),
      },
      `${digest.replace(':', '-')}.sig`,
    );
  }

  /** A bundle referrer of `digest`; with `tag`, also listed in the `sha256-<hex>` index (the fallback). */
  bundle(repository: string, digest: string, bundle: unknown, options: { tag?: boolean; subject?: string; artifactType?: string } = {}): string {
    const bytes = Buffer.from(JSON.stringify(bundle));
    const artifactType = options.artifactType ?? BUNDLE_MEDIA_TYPE_V03;
    const referrer = this.manifest(repository, {
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      artifactType,
      config: { mediaType: 'application/vnd.oci.empty.v1+json', size: 2, digest: this.blob(Buffer.from('{}')) },
      layers: [{ mediaType: BUNDLE_MEDIA_TYPE_V03, size: bytes.length, digest: this.blob(bytes) }],
      subject: { mediaType: MediaType.OciManifest, digest: options.subject ?? digest, size: 100 },
    });
    if (options.tag) {
      const tag = digest.replace(':', '-');
      const existing = this.manifests.get(`${repository}@${tag}`);
      const manifests = existing ? ((existing.json as { manifests: Descriptor[] }).manifests ?? []) : [];
      const entry = { mediaType: MediaType.OciManifest, digest: referrer, size: 1, artifactType };
      this.manifest(repository, { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [...manifests, entry] }, tag);
    }
    return referrer;
  }

  private referrersOf(repository: string, digest: string): Descriptor[] {
    const found = new Map<string, Descriptor>();
    for (const [key, m] of this.manifests) {
      const json = m.json as { subject?: { digest?: string }; artifactType?: string };
      if (key.startsWith(`${repository}@`) && json.subject?.digest === digest) {
        found.set(m.digest, { mediaType: m.mediaType, digest: m.digest, size: m.body.length, ...(json.artifactType ? { artifactType: json.artifactType } : {}) });
      }
    }
    return [...found.values()];
  }
}
