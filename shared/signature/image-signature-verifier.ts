/**
 * The service's whole signature policy: cosign (keys, keyless), Notation and AWS Signer, combined as
 * `verify.require` says. With `any` (the default), one mechanism verifying the image is enough; when
 * none does, a signature that was found and refused rejects the image (as a wrongly signed image always
 * has been), and only when no mechanism found any signature does the rollout wait for one. With `all`,
 * every configured mechanism must verify it, and any rejection rejects. Each mechanism keeps its own
 * checks; this only combines verdicts (docs/configuration.md, "verify").
 */
import type { RegistryConfig } from '../config/types';
import type { SignatureVerifier, VerificationResult, VerifyImageRequest } from '../ports';
import { CosignSignatureVerifier, type CosignSignatureVerifierOptions } from './cosign-signature-verifier';
import { isRepositoryName, isSha256Digest } from './docker-reference';
import { cachedRegistryClients, type RegistryClientFor } from './registry-clients';
import { NotationSignatureVerifier, type NotationMechanism, type NotationVerifierOptions } from './notation/notation-signature-verifier';
import { RequireMode } from './notation/notation-policy';
import type { NotationReferrers } from './notation/notation-signatures';
import { VerifiedCache, type VerifiedCacheOptions } from './verified-cache';

export interface ImageSignatureVerifierOptions extends NotationVerifierOptions {
  readonly registries: Readonly<Record<string, RegistryConfig>>;
  readonly clientFor?: CosignSignatureVerifierOptions['clientFor'];
  readonly cache?: VerifiedCacheOptions | false;
}

/** An AWS Signer verdict is cached at most this long: a revocation must take effect within minutes. */
const AWS_SIGNER_CACHE_SECONDS = 300;

type Mechanism = 'cosign' | NotationMechanism;

export class ImageSignatureVerifier implements SignatureVerifier {
  private readonly cosign: CosignSignatureVerifier;
  private readonly notation: NotationSignatureVerifier;
  private readonly clientFor: RegistryClientFor;
  private readonly cache: VerifiedCache | null;
  private readonly signerCache: VerifiedCache | null;

  constructor(private readonly options: ImageSignatureVerifierOptions) {
    this.clientFor = cachedRegistryClients(options.clientFor);
    this.cosign = new CosignSignatureVerifier({ registries: options.registries, clientFor: this.clientFor, cache: options.cache });
    this.notation = new NotationSignatureVerifier(options);
    this.cache = options.cache === false ? null : new VerifiedCache(options.cache);
    this.signerCache = options.cache === false ? null : new VerifiedCache({ ...options.cache, ttlSeconds: AWS_SIGNER_CACHE_SECONDS });
  }

  async verify(request: VerifyImageRequest, now: Date): Promise<VerificationResult> {
    const policy = request.policy;
    const mechanisms: Mechanism[] = [];
    if (!policy || policy.keys.length > 0 || (policy.keyless?.length ?? 0) > 0) mechanisms.push('cosign');
    if (policy?.notation) mechanisms.push('notation');
    if (policy?.awsSigner) mechanisms.push('aws-signer');
    if (mechanisms.length === 1 && mechanisms[0] === 'cosign') return this.cosign.verify(request, now);
    if (mechanisms.length === 0) return { outcome: 'rejected', reason: 'no verification keys, identities, Notation or AWS Signer trust configured' };

    const { registry, repository, digest } = request;
    const config = Object.hasOwn(this.options.registries, registry) ? this.options.registries[registry] : undefined;
    if (!config) return { outcome: 'rejected', reason: `registry ${registry} is not configured` };
    if (!isSha256Digest(digest)) return { outcome: 'rejected', reason: `image digest ${JSON.stringify(digest)} is not sha256:<64 hex>` };
    if (!isRepositoryName(repository)) return { outcome: 'rejected', reason: `repository name ${JSON.stringify(repository)} is invalid` };

    const verdicts: [Mechanism, VerificationResult][] = [];
    // Notation and AWS Signer read one snapshot of the referrers: a signature pushed between two lookups
    // must not be missing for one mechanism and refused by the other.
    let found: Promise<NotationReferrers | null> | null = null;
    const referrers = () => (found ??= this.notation.find(this.clientFor(registry, config), request));
    for (const mechanism of mechanisms) {
      const verdict = await this.verifyWith(mechanism, request, config, now, referrers);
      verdicts.push([mechanism, verdict]);
      if (policy?.require !== RequireMode.All && verdict.outcome === 'verified') return verdict;
    }
    return combine(verdicts, policy?.require ?? RequireMode.Any);
  }

  private async verifyWith(
    mechanism: Mechanism,
    request: VerifyImageRequest,
    config: RegistryConfig,
    now: Date,
    referrers: () => Promise<NotationReferrers | null>,
  ): Promise<VerificationResult> {
    if (mechanism === 'cosign') return this.cosign.verify(request, now);
    const policy = request.policy!;
    const cache = mechanism === 'aws-signer' ? this.signerCache : this.cache;
    const key = {
      registry: request.registry,
      repository: request.repository,
      digest: request.digest,
      policy: `${mechanism}:${mechanism === 'notation' ? policy.notation!.digest : policy.awsSigner!.digest}`,
    };
    const cached = cache?.get(key, now);
    if (cached) return { outcome: 'verified', signature: cached };
    const client = this.clientFor(request.registry, config);
    const verdict = await this.notation.verify(client, request, mechanism, policy, now, await referrers());
    if (verdict.outcome === 'verified') cache?.set(key, verdict.signature, now);
    return verdict;
  }
}

const NAMES: Readonly<Record<Mechanism, string>> = { cosign: 'cosign', notation: 'Notation', 'aws-signer': 'AWS Signer' };

/** One verdict from the mechanisms' verdicts. */
export function combine(verdicts: readonly [Mechanism, VerificationResult][], mode: RequireMode): VerificationResult {
  const describe = (outcome: 'missing' | 'rejected') =>
    verdicts
      .filter(([, v]) => v.outcome === outcome)
      .map(([m, v]) => `${NAMES[m]}: ${v.outcome === 'missing' ? v.detail : v.outcome === 'rejected' ? v.reason : ''}`)
      .join('; ');
  const verified = verdicts.filter(([, v]) => v.outcome === 'verified').map(([, v]) => (v as Extract<VerificationResult, { outcome: 'verified' }>).signature);
  if (mode === RequireMode.Any) {
    if (verified[0]) return { outcome: 'verified', signature: verified[0] };
    if (verdicts.some(([, v]) => v.outcome === 'rejected')) return { outcome: 'rejected', reason: describe('rejected') };
    return { outcome: 'missing', detail: describe('missing') };
  }
  if (verdicts.some(([, v]) => v.outcome === 'rejected')) return { outcome: 'rejected', reason: `require: all, and ${describe('rejected')}` };
  if (verdicts.some(([, v]) => v.outcome === 'missing')) return { outcome: 'missing', detail: describe('missing') };
  const [first, ...others] = verified;
  return { outcome: 'verified', signature: { ...first!, alsoVerifiedBy: others.map((s) => ({ type: s.type, key: s.key })) } };
}
