/**
 * Verifies an image the way `cosign verify` accepts it, under the service's policy: a simple-signing
 * signature in the `sha256-<hex>.sig` manifest (cosign 1-2), or a sigstore bundle attached as an OCI
 * referrer (cosign 3). Any one signature that passes every check verifies the image; otherwise the
 * verdict lists each signature's reason. Verified digests are cached per (registry, repository, digest,
 * policy).
 */
import type { RegistryConfig } from '../config/types';
import type { SignatureVerifier, VerificationResult, VerifyImageRequest } from '../ports';
import { MAX_BLOB_BYTES, type Descriptor, type OciRegistryReader } from '../adapters/oci-registry/types';
import { cachedRegistryClients, type RegistryClientFor } from './registry-clients';
import { verifyImageBundle } from './bundle-verification';
import { SIMPLE_SIGNING_MEDIA_TYPE } from './cosign-simple-signing';
import { isRepositoryName, isSha256Digest } from './docker-reference';
import { fail, type CheckResult } from './encoding';
import { policyHash, resolvePolicy, type PolicyInput, type VerificationPolicy } from './policy';
import { fetchBundle, findBundleReferrers, SIGNATURE_MANIFEST_TYPES, signatureTag } from './signature-sources';
import { verifySimpleSigningLayer } from './simple-signing-signature';
import { VerifiedCache, type VerifiedCacheOptions } from './verified-cache';
import { toSignatureInfo, type VerifiedSignature } from './verified-signature';

export { signatureTag } from './signature-sources';

export interface CosignSignatureVerifierOptions {
  /** The registries images may come from; any other is refused before any request is made. */
  readonly registries: Readonly<Record<string, RegistryConfig>>;
  /** Default: an EcrRegistryClient for `*.dkr.ecr.*.amazonaws.com`, an OciRegistryClient otherwise, one per host. */
  readonly clientFor?: (host: string, config: RegistryConfig) => OciRegistryReader;
  /** Signatures (of both formats) checked per image at most, so a crowded image cannot fan out requests. Default 32. */
  readonly maxSignatures?: number;
  /** The verified-digest cache; `false` turns it off. */
  readonly cache?: VerifiedCacheOptions | false;
}

/**
 * The port's request, plus the service's whole policy (`ServiceConfig['verify']` as is); without it, only
 * `keys` apply, with Rekor optional.
 */
export type VerifyPolicyRequest = VerifyImageRequest & { readonly policy?: PolicyInput };

interface Tally {
  checked: number;
  readonly failures: string[];
}

export class CosignSignatureVerifier implements SignatureVerifier {
  private readonly clientFor: RegistryClientFor;
  private readonly maxSignatures: number;
  private readonly cache: VerifiedCache | null;

  constructor(private readonly options: CosignSignatureVerifierOptions) {
    this.clientFor = cachedRegistryClients(options.clientFor);
    this.maxSignatures = options.maxSignatures ?? 32;
    this.cache = options.cache === false ? null : new VerifiedCache(options.cache);
  }

  async verify(request: VerifyPolicyRequest, now: Date): Promise<VerificationResult> {
    const { registry, repository, digest } = request;
    const config = Object.hasOwn(this.options.registries, registry) ? this.options.registries[registry] : undefined;
    if (!config) return rejected(`registry ${registry} is not configured`);
    if (!isSha256Digest(digest)) return rejected(`image digest ${JSON.stringify(digest)} is not sha256:<64 hex>`);
    if (!isRepositoryName(repository)) return rejected(`repository name ${JSON.stringify(repository)} is invalid`);
    const policy = resolvePolicy(request.policy ?? { keys: request.keys });
    if (policy.keys.length === 0 && policy.keyless.length === 0) {
      return rejected(request.policy ? 'no verification keys or keyless identities configured' : 'no verification keys configured');
    }
    const cacheKey = { registry, repository, digest, policy: policyHash(policy) };
    const cached = this.cache?.get(cacheKey, now);
    if (cached) return { outcome: 'verified', signature: cached };

    const client = this.clientFor(registry, config);
    const tally: Tally = { checked: 0, failures: [] };
    const tag = signatureTag(digest);
    const manifest = await client.getManifest(repository, tag, SIGNATURE_MANIFEST_TYPES);
    if (manifest) {
      const layers = this.simpleSigningLayers(manifest.mediaType, manifest.json, manifest.digest, tally);
      for (const [index, layer] of layers) {
        if (!this.withinBudget(tally)) break;
        const verdict = await this.checkLayer(client, request, policy, layer, now);
        if (verdict.ok) return this.verified(cacheKey, verdict.value, manifest.digest, now);
        tally.failures.push(`signature ${index + 1}: ${verdict.reason}`);
      }
    }
    // With the budget spent on `.sig` layers, bundles are not even listed (and the reason says so).
    const referrers = this.hasBudget(tally) ? await findBundleReferrers(client, repository, digest) : null;
    for (const referrer of referrers?.descriptors ?? []) {
      if (!this.withinBudget(tally)) break;
      const verdict = await this.checkBundle(client, request, policy, referrer, now);
      if (verdict.ok) return this.verified(cacheKey, verdict.value, referrer.digest, now);
      tally.failures.push(`bundle ${referrer.digest}: ${verdict.reason}`);
    }
    if (!manifest && (referrers?.descriptors.length ?? 0) === 0) {
      return { outcome: 'missing', detail: `no signature at ${registry}/${repository}:${tag}, and no sigstore bundle refers to ${digest}` };
    }
    return rejected(`no signature verifies: ${tally.failures.join('; ')}`);
  }

  /** The `.sig` manifest's simple-signing layers with their positions; a bad manifest is a failure, not an error. */
  private simpleSigningLayers(mediaType: string, json: unknown, manifestDigest: string, tally: Tally): [number, Descriptor][] {
    const where = `signature manifest ${manifestDigest}`;
    if (!(SIGNATURE_MANIFEST_TYPES as readonly string[]).includes(mediaType)) {
      tally.failures.push(`${where} has media type ${mediaType || '(none)'}, not an image manifest`);
      return [];
    }
    const layers = layersOf(json);
    if (!layers) {
      tally.failures.push(`${where} is malformed`);
      return [];
    }
    const signing = [...layers.entries()].filter(([, layer]) => layer.mediaType === SIMPLE_SIGNING_MEDIA_TYPE);
    if (signing.length === 0) tally.failures.push(`${where} has no ${SIMPLE_SIGNING_MEDIA_TYPE} layer`);
    return signing;
  }

  /** Takes one signature from the budget, or notes that the rest go unchecked. */
  private withinBudget(tally: Tally): boolean {
    if (!this.hasBudget(tally)) return false;
    tally.checked += 1;
    return true;
  }

  private hasBudget(tally: Tally): boolean {
    if (tally.checked < this.maxSignatures) return true;
    const note = `further signatures not checked (limit ${this.maxSignatures})`;
    if (!tally.failures.includes(note)) tally.failures.push(note);
    return false;
  }

  private async checkLayer(
    client: OciRegistryReader,
    request: VerifyImageRequest,
    policy: VerificationPolicy,
    layer: Descriptor,
    now: Date,
  ): Promise<CheckResult<VerifiedSignature>> {
    const annotations = layer.annotations ?? {};
    if (typeof annotations['dev.cosignproject.cosign/signature'] !== 'string') return fail('no dev.cosignproject.cosign/signature annotation');
    if (!isSha256Digest(layer.digest)) return fail(`payload digest ${JSON.stringify(layer.digest)} is malformed`);
    if (layer.size > MAX_BLOB_BYTES) return fail(`payload is ${layer.size} bytes, more than ${MAX_BLOB_BYTES}`);
    const payload = await client.getBlob(request.repository, layer.digest, { maxBytes: MAX_BLOB_BYTES });
    if (!payload) return fail(`payload blob ${layer.digest} is missing`);
    const expected = { registry: request.registry, repository: request.repository, digest: request.digest };
    return verifySimpleSigningLayer({ payload, annotations }, expected, policy, now);
  }

  private async checkBundle(
    client: OciRegistryReader,
    request: VerifyImageRequest,
    policy: VerificationPolicy,
    referrer: Descriptor,
    now: Date,
  ): Promise<CheckResult<VerifiedSignature>> {
    const bundle = await fetchBundle(client, request.repository, referrer, request.digest);
    if (!bundle.ok) return bundle;
    return verifyImageBundle(bundle.value, { digest: request.digest, name: `${request.registry}/${request.repository}` }, policy, now);
  }

  private verified(cacheKey: Parameters<VerifiedCache['set']>[0], verified: VerifiedSignature, manifest: string, now: Date): VerificationResult {
    const signature = toSignatureInfo(verified, manifest, now);
    this.cache?.set(cacheKey, signature, now, verified.signer.validUntil);
    return { outcome: 'verified', signature };
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
