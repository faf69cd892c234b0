/**
 * Verifies an image against cosign key signatures stored the way `cosign sign --key` stores them: an image
 * manifest tagged `sha256-<hex>.sig` in the image's repository, one simple-signing layer per signature,
 * the base64 signature in the layer's `dev.cosignproject.cosign/signature` annotation.
 */
import type { RegistryConfig } from '../config/types';
import type { SignatureVerifier, VerificationResult, VerifyImageRequest } from '../ports';
import { OciRegistryClient } from '../adapters/oci-registry/oci-registry-client';
import { MAX_BLOB_BYTES, MediaType, type Descriptor, type OciRegistryReader } from '../adapters/oci-registry/types';
import {
  COSIGN_SIGNATURE_ANNOTATION,
  SIMPLE_SIGNING_MEDIA_TYPE,
  verifySimpleSigning,
  type SimpleSigningVerdict,
} from './cosign-simple-signing';
import { isRepositoryName, isSha256Digest } from './docker-reference';

export interface CosignSignatureVerifierOptions {
  /** The registries images may come from; any other is refused before any request is made. */
  readonly registries: Readonly<Record<string, RegistryConfig>>;
  /** Default: one OciRegistryClient per host, kept so its token cache is reused. */
  readonly clientFor?: (host: string, config: RegistryConfig) => OciRegistryReader;
  /** Signatures checked per image at most, so a crowded `.sig` manifest cannot fan out requests. Default 32. */
  readonly maxSignatures?: number;
}

const SIGNATURE_MANIFEST_TYPES = [MediaType.OciManifest, MediaType.DockerManifest] as const;

/** The tag cosign stores an image's signatures under. */
export function signatureTag(digest: string): string {
  return `${digest.replace(':', '-')}.sig`;
}

export class CosignSignatureVerifier implements SignatureVerifier {
  private readonly clients = new Map<string, OciRegistryReader>();
  private readonly maxSignatures: number;

  constructor(private readonly options: CosignSignatureVerifierOptions) {
    this.maxSignatures = options.maxSignatures ?? 32;
  }

  async verify(request: VerifyImageRequest, now: Date): Promise<VerificationResult> {
    const { registry, repository, digest, keys } = request;
    const config = Object.hasOwn(this.options.registries, registry) ? this.options.registries[registry] : undefined;
    if (!config) return rejected(`registry ${registry} is not configured`);
    if (!isSha256Digest(digest)) return rejected(`image digest ${JSON.stringify(digest)} is not sha256:<64 hex>`);
    if (!isRepositoryName(repository)) return rejected(`repository name ${JSON.stringify(repository)} is invalid`);
    if (keys.length === 0) return rejected('no verification keys configured');

    const client = this.clientFor(registry, config);
    const tag = signatureTag(digest);
    const manifest = await client.getManifest(repository, tag, SIGNATURE_MANIFEST_TYPES);
    if (!manifest) return { outcome: 'missing', detail: `no signature at ${registry}/${repository}:${tag}` };
    const where = `signature manifest ${manifest.digest}`;
    if (!(SIGNATURE_MANIFEST_TYPES as readonly string[]).includes(manifest.mediaType)) {
      return rejected(`${where} has media type ${manifest.mediaType || '(none)'}, not an image manifest`);
    }
    const layers = layersOf(manifest.json);
    if (!layers) return rejected(`${where} is malformed`);

    const failures: string[] = [];
    let checked = 0;
    for (const [index, layer] of layers.entries()) {
      if (layer.mediaType !== SIMPLE_SIGNING_MEDIA_TYPE) continue;
      if (checked === this.maxSignatures) {
        failures.push(`further signatures not checked (limit ${this.maxSignatures})`);
        break;
      }
      checked += 1;
      const verdict = await this.checkLayer(client, request, layer);
      if (verdict.ok) {
        return {
          outcome: 'verified',
          signature: {
            type: 'cosign-key',
            key: verdict.key,
            keyFingerprint: verdict.keyFingerprint,
            signatureManifest: manifest.digest,
            dockerReference: verdict.dockerReference,
            verifiedAt: now.toISOString(),
          },
        };
      }
      failures.push(`signature ${index + 1}: ${verdict.reason}`);
    }
    if (checked === 0) return rejected(`${where} has no ${SIMPLE_SIGNING_MEDIA_TYPE} layer`);
    return rejected(`no signature verifies: ${failures.join('; ')}`);
  }

  private async checkLayer(client: OciRegistryReader, request: VerifyImageRequest, layer: Descriptor): Promise<SimpleSigningVerdict> {
    const signature = layer.annotations?.[COSIGN_SIGNATURE_ANNOTATION];
    if (typeof signature !== 'string') return { ok: false, reason: `no ${COSIGN_SIGNATURE_ANNOTATION} annotation` };
    if (!isSha256Digest(layer.digest)) return { ok: false, reason: `payload digest ${JSON.stringify(layer.digest)} is malformed` };
    if (layer.size > MAX_BLOB_BYTES) return { ok: false, reason: `payload is ${layer.size} bytes, more than ${MAX_BLOB_BYTES}` };
    const payload = await client.getBlob(request.repository, layer.digest, { maxBytes: MAX_BLOB_BYTES });
    if (!payload) return { ok: false, reason: `payload blob ${layer.digest} is missing` };
    return verifySimpleSigning({
      payload,
      signature,
      keys: request.keys,
      expected: { registry: request.registry, repository: request.repository, digest: request.digest },
    });
  }

  private clientFor(host: string, config: RegistryConfig): OciRegistryReader {
    let client = this.clients.get(host);
    if (!client) {
      client = this.options.clientFor ? this.options.clientFor(host, config) : new OciRegistryClient({ host, config });
      this.clients.set(host, client);
    }
    return client;
  }
}

function rejected(reason: string): VerificationResult {
  return { outcome: 'rejected', reason };
}

/** The manifest's layers, or null when they are not a list of well-formed descriptors. */
function layersOf(json: unknown): readonly Descriptor[] | null {
  if (typeof json !== 'object' || json === null) return null;
  const { schemaVersion, layers } = json as { schemaVersion?: unknown; layers?: unknown };
  if (schemaVersion !== 2 || !Array.isArray(layers)) return null;
  const descriptors: Descriptor[] = [];
  for (const layer of layers as unknown[]) {
    if (typeof layer !== 'object' || layer === null) return null;
    const { mediaType, digest, size, annotations } = layer as Record<string, unknown>;
    if (typeof mediaType !== 'string' || typeof digest !== 'string' || typeof size !== 'number') return null;
    if (annotations !== undefined && (typeof annotations !== 'object' || annotations === null)) return null;
    descriptors.push({ mediaType, digest, size, annotations: annotations as Record<string, string> | undefined });
  }
  return descriptors;
}
