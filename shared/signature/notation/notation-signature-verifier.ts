/**
 * Verifies an image's Notation signatures under `verify.notation` and `verify.awsSigner`: each signature
 * manifest that refers to the image is fetched and its envelope checked (notation-verification.ts);
 * for AWS Signer, the signing profile is matched and its revocation asked of AWS Signer. Any one
 * signature that passes verifies the mechanism; otherwise the reasons of each are listed. No signature
 * at all is `missing`: the rollout waits for one, as for a late cosign signature.
 */
import type { SignatureInfo } from '../../core/rollout';
import type { OciRegistryReader } from '../../adapters/oci-registry/types';
import type { VerificationResult } from '../../ports';
import { fail, ok, type CheckResult } from '../encoding';
import { keyFingerprint } from '../cosign-simple-signing';
import { AWS_SIGNER_CRITICAL, readSignerClaims, revocationCertificateHashes, SignerAttribute, type SignerClaims, type SigningRevocation } from './aws-signer';
import { NotationMediaType } from './envelope';
import type { AwsSignerPolicy, NotationPolicy } from './notation-policy';
import { statementFor } from './notation-policy';
import { fetchEnvelope, findNotationSignatures, type NotationReferrers } from './notation-signatures';
import { parseNotationEnvelope, verifyNotationSignature, type VerifiedNotation } from './notation-verification';

export type NotationMechanism = 'notation' | 'aws-signer';

export interface NotationImage {
  readonly registry: string;
  readonly repository: string;
  readonly digest: string;
}

export interface NotationVerifierOptions {
  /** AWS Signer's revocation answers; required when a service trusts AWS Signer. */
  readonly revocation?: SigningRevocation;
  /** Signature manifests checked per image at most. Default 32. */
  readonly maxSignatures?: number;
}

export class NotationSignatureVerifier {
  private readonly maxSignatures: number;

  constructor(private readonly options: NotationVerifierOptions = {}) {
    this.maxSignatures = options.maxSignatures ?? 32;
  }

  /** The image's signature manifests: looked up once per verification, so every mechanism judges the same set. */
  find(client: OciRegistryReader, image: NotationImage): Promise<NotationReferrers | null> {
    return findNotationSignatures(client, image.repository, image.digest);
  }

  /** The verdict of one mechanism for the image. Registry and revocation failures throw (the rollout waits). */
  async verify(
    client: OciRegistryReader,
    image: NotationImage,
    mechanism: NotationMechanism,
    policy: { readonly notation?: NotationPolicy; readonly awsSigner?: AwsSignerPolicy },
    now: Date,
    found: NotationReferrers | null,
  ): Promise<VerificationResult> {
    const descriptors = found?.descriptors ?? [];
    if (descriptors.length === 0) {
      return { outcome: 'missing', detail: `no Notation signature refers to ${image.digest}${found ? ` (looked through ${found.via})` : ''}` };
    }
    const failures: string[] = [];
    let others = 0;
    for (const [i, descriptor] of descriptors.entries()) {
      if (i >= this.maxSignatures) {
        failures.push(`further signatures not checked (limit ${this.maxSignatures})`);
        break;
      }
      const envelope = await fetchEnvelope(client, image.repository, descriptor, image.digest);
      if (mechanism === 'aws-signer' && envelope.ok && !isAwsSignerEnvelope(envelope.value.mediaType, envelope.value.bytes)) {
        // Another signer's Notation signature: not AWS Signer's to judge (an AWS Signer signature may still come).
        others += 1;
        continue;
      }
      const verdict = envelope.ok
        ? mechanism === 'notation'
          ? this.checkNotation(envelope.value.mediaType, envelope.value.bytes, image, policy.notation!, now)
          : await this.checkAwsSigner(envelope.value.mediaType, envelope.value.bytes, image, policy.awsSigner!, now)
        : envelope;
      if (verdict.ok) return { outcome: 'verified', signature: toSignatureInfo(verdict.value, descriptor.digest, image, now) };
      failures.push(`Notation signature ${descriptor.digest}: ${verdict.reason}`);
    }
    if (failures.length === 0) {
      return { outcome: 'missing', detail: `no AWS Signer signature refers to ${image.digest} (${others} Notation signature(s) of other signers)` };
    }
    return { outcome: 'rejected', reason: failures.join('; ') };
  }

  private checkNotation(mediaType: string, bytes: Uint8Array, image: NotationImage, policy: NotationPolicy, now: Date): CheckResult<Verified> {
    const statement = statementFor(policy, `${image.registry}/${image.repository}`);
    if (!statement) return fail(`no statement of the trust policy covers ${image.registry}/${image.repository}`);
    const verified = verifyNotationSignature(mediaType, bytes, image.digest, statement.trust, { now });
    return verified.ok ? ok({ type: 'notation', verified: verified.value, key: `${statement.name}: ${verified.value.identity}` }) : verified;
  }

  private async checkAwsSigner(mediaType: string, bytes: Uint8Array, image: NotationImage, policy: AwsSignerPolicy, now: Date): Promise<CheckResult<Verified>> {
    const trust = { trustStore: { ca: [], signingAuthority: policy.trustStore, tsa: [] }, trustedIdentities: '*' as const };
    const verified = verifyNotationSignature(mediaType, bytes, image.digest, trust, { now, understoodCritical: AWS_SIGNER_CRITICAL, checkIdentities: false });
    if (!verified.ok) return verified;
    const claims = readSignerClaims(verified.value.envelope, policy.signingProfiles);
    if (!claims.ok) return claims;
    if (!this.options.revocation) throw new Error('AWS Signer revocation is not wired: verify.awsSigner cannot be checked');
    const revoked = await this.options.revocation.revokedEntities({
      profileVersionArn: claims.value.profileVersionArn,
      jobArn: claims.value.jobArn,
      certificateHashes: revocationCertificateHashes(verified.value.chain),
      signatureTimestamp: verified.value.signingTime,
    });
    if (revoked.length > 0) {
      const resources = revoked.filter((e) => e.startsWith('arn:'));
      const certificates = revoked.length - resources.length;
      return fail(`AWS Signer has revoked ${[...resources, ...(certificates > 0 ? [`${certificates} certificate(s) of the chain`] : [])].join(', ')}`);
    }
    return ok({ type: 'aws-signer', verified: verified.value, key: claims.value.matchedProfile, claims: claims.value });
  }
}

interface Verified {
  readonly type: NotationMechanism;
  readonly verified: VerifiedNotation;
  readonly key: string;
  readonly claims?: SignerClaims;
}

function toSignatureInfo({ type, verified, key, claims }: Verified, manifest: string, image: NotationImage, now: Date): SignatureInfo {
  return {
    type,
    key,
    keyFingerprint: keyFingerprint(verified.leaf.x509.publicKey.export({ type: 'spki', format: 'pem' }).toString()),
    signatureManifest: manifest,
    dockerReference: `${image.registry}/${image.repository}`,
    verifiedAt: now.toISOString(),
    format: verified.envelope.mediaType === NotationMediaType.Jws ? 'notation-jws' : 'notation-cose',
    certificate: { subject: verified.subject, fingerprint: verified.leafFingerprint },
    signingTime: verified.signingTime.toISOString(),
    timestampAuthority: verified.timestampAuthority,
    ...(claims ? { signingProfile: { profileVersionArn: claims.profileVersionArn, jobArn: claims.jobArn } } : {}),
  };
}

/** Whether a well-formed envelope carries AWS Signer's profile attribute (a malformed one is judged, and refused). */
function isAwsSignerEnvelope(mediaType: string, bytes: Uint8Array): boolean {
  const parsed = parseNotationEnvelope(mediaType, bytes);
  return !parsed.ok || parsed.value.extendedAttributes[SignerAttribute.SigningProfileVersion] !== undefined;
}
