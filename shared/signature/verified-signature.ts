/** One signature that passed every check, and how the rollout records it. */
import type { SignatureInfo } from '../core/rollout';
import type { EstablishedSigner } from './signer';

export interface VerifiedSignature {
  readonly signer: EstablishedSigner;
  readonly format: 'simple-signing' | 'sigstore-bundle';
  /** The repository the signature names (payload docker-reference, or in-toto subject name). */
  readonly dockerReference: string;
  readonly bundleMediaType?: string;
}

export function toSignatureInfo(verified: VerifiedSignature, signatureManifest: string | null, now: Date): SignatureInfo {
  const { signer } = verified;
  return {
    type: signer.type,
    key: signer.key,
    keyFingerprint: signer.keyFingerprint,
    signatureManifest,
    dockerReference: verified.dockerReference,
    verifiedAt: now.toISOString(),
    format: verified.format,
    ...(verified.bundleMediaType ? { bundleMediaType: verified.bundleMediaType } : {}),
    ...(signer.identity ? { identity: { policy: signer.identity.policy, issuer: signer.identity.issuer, subject: signer.identity.subject } } : {}),
    rekorLogIndex: signer.tlog?.logIndex ?? null,
    rekorIntegratedTime: signer.tlog ? signer.tlog.integratedTime.toISOString() : null,
  };
}
