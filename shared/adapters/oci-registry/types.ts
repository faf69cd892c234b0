/** Shapes and limits of the OCI distribution API as this project uses it. */

export const MediaType = {
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  OciConfig: 'application/vnd.oci.image.config.v1+json',
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

/** Manifests above this are refused unread: distribution itself caps them at 4 MiB. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** Default cap for blobs read into memory: only signature payloads are, and they are tiny. */
export const MAX_BLOB_BYTES = 1024 * 1024;
export const DEFAULT_TIMEOUT_MS = 10_000;

export interface FetchedManifest {
  /** `sha256:<hex>` of `body`, checked against the registry's `Docker-Content-Digest`. */
  readonly digest: string;
  /** The manifest's own `mediaType`, or the response's Content-Type when the manifest has none. */
  readonly mediaType: string;
  readonly body: Uint8Array;
  readonly json: unknown;
}

export interface ManifestHead {
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
}

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  /** OCI 1.1: what kind of artifact a manifest is (a referrer's type, e.g. a sigstore bundle). */
  readonly artifactType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface ImageManifest {
  readonly schemaVersion: 2;
  readonly mediaType?: string;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
  readonly annotations?: Readonly<Record<string, string>>;
}

/** What the signature verifier needs from a registry: reads only, so tests can fake it in a few lines. */
export interface OciRegistryReader {
  /** Null when the registry answers 404 (MANIFEST_UNKNOWN, NAME_UNKNOWN). */
  getManifest(repository: string, reference: string, accept: readonly string[]): Promise<FetchedManifest | null>;
  /** The blob's bytes, digest-checked; null when the registry answers 404. */
  getBlob(repository: string, digest: string, options?: { readonly maxBytes?: number }): Promise<Uint8Array | null>;
  /**
   * The manifests whose `subject` is `digest` (OCI 1.1 referrers API), filtered to `artifactType` when
   * given. Null when the registry does not implement the API: the caller falls back to the
   * `sha256-<hex>` tag schema. Readers without the method are treated as answering null.
   */
  listReferrers?(repository: string, digest: string, artifactType?: string): Promise<readonly Descriptor[] | null>;
}

export interface OciRegistryWriter {
  headManifest(repository: string, reference: string, accept: readonly string[]): Promise<ManifestHead | null>;
  /** Uploads `bytes` (monolithic POST + PUT) unless the registry has them; answers their digest. */
  putBlob(repository: string, bytes: Uint8Array): Promise<string>;
  /** Answers the manifest's digest. */
  putManifest(repository: string, reference: string, mediaType: string, body: Uint8Array): Promise<string>;
}
