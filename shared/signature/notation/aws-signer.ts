/**
 * AWS Signer signatures (ECR managed signing, or Notation with the AWS Signer plugin): Notation
 * envelopes of the `notary.x509.signingAuthority` scheme whose signed critical attributes name the
 * signing profile version and the signing job, read as the AWS Signer plugin reads them. The profile
 * must be one of `verify.awsSigner.signingProfiles` (a profile ARN matches each of its versions), and
 * AWS Signer must not have revoked the profile, the job or a certificate of the chain.
 */
import { createHash } from 'node:crypto';
import type { ParsedCertificate } from '../certificate';
import { fail, ok, type CheckResult } from '../encoding';
import { Header, SigningScheme, type NotationEnvelope } from './envelope';

export const SignerAttribute = {
  SigningProfileVersion: 'com.amazonaws.signer.signingProfileVersion',
  SigningJob: 'com.amazonaws.signer.signingJob',
  SigningProfileAlias: 'com.amazonaws.signer.signingProfileAlias',
} as const;

/** The plugin an AWS Signer envelope names in `io.cncf.notary.verificationPlugin`. */
export const AWS_SIGNER_PLUGIN = 'com.amazonaws.signer.notation.plugin';
/** The signing platform of container images, as GetRevocationStatus wants it. */
export const AWS_SIGNER_NOTATION_PLATFORM = 'Notation-OCI-SHA384-ECDSA';

/** Critical headers this verifier processes for an AWS Signer signature (what the plugin would). */
export const AWS_SIGNER_CRITICAL: ReadonlySet<string> = new Set([
  Header.VerificationPlugin,
  Header.VerificationPluginMinVersion,
  SignerAttribute.SigningProfileVersion,
  SignerAttribute.SigningJob,
  SignerAttribute.SigningProfileAlias,
]);

const PROFILE_VERSION_ARN = /^(arn:aws[a-z-]*:signer:[a-z0-9-]+:\d{12}:\/signing-profiles\/[A-Za-z0-9_]{2,64})\/[A-Za-z0-9]{10}$/;
const JOB_ARN = /^arn:aws[a-z-]*:signer:[a-z0-9-]+:\d{12}:\/signing-jobs\/[0-9a-f-]{36}$/;

export interface SignerClaims {
  readonly profileVersionArn: string;
  readonly jobArn: string;
  /** The configured entry that matched. */
  readonly matchedProfile: string;
}

/** The signing profile and job the envelope's signed attributes name, matched against the configured profiles. */
export function readSignerClaims(envelope: NotationEnvelope, signingProfiles: readonly string[]): CheckResult<SignerClaims> {
  if (envelope.signingScheme !== SigningScheme.SigningAuthority) {
    return fail(`an AWS Signer signature uses the ${SigningScheme.SigningAuthority} signing scheme, not ${envelope.signingScheme}`);
  }
  const attributes = envelope.extendedAttributes;
  const plugin = attributes[Header.VerificationPlugin];
  if (plugin !== undefined && plugin !== AWS_SIGNER_PLUGIN) return fail(`the signature requires verification plugin ${JSON.stringify(plugin)}, not AWS Signer's`);
  for (const name of [SignerAttribute.SigningProfileVersion, SignerAttribute.SigningJob]) {
    if (attributes[name] === undefined) return fail(`the signed attribute ${name} is missing`);
    if (!envelope.critical.includes(name)) return fail(`the signed attribute ${name} is not marked critical`);
  }
  const profileVersionArn = attributes[SignerAttribute.SigningProfileVersion]!;
  const jobArn = attributes[SignerAttribute.SigningJob]!;
  const version = PROFILE_VERSION_ARN.exec(profileVersionArn);
  if (!version) return fail(`${SignerAttribute.SigningProfileVersion} ${JSON.stringify(profileVersionArn)} is not a signing profile version ARN`);
  if (!JOB_ARN.test(jobArn)) return fail(`${SignerAttribute.SigningJob} ${JSON.stringify(jobArn)} is not a signing job ARN`);
  // As the AWS Signer plugin matches: a profile ARN any of its versions, a version ARN only itself.
  const matched = signingProfiles.find((p) => p.toLowerCase() === profileVersionArn.toLowerCase() || p.toLowerCase() === version[1]!.toLowerCase());
  if (!matched) return fail(`signing profile version ${profileVersionArn} is not one of verify.awsSigner.signingProfiles`);
  return ok({ profileVersionArn, jobArn, matchedProfile: matched });
}

/**
 * The certificate hashes GetRevocationStatus takes, as the AWS Signer plugin computes them: the SHA-384
 * of each certificate's TBSCertificate, hex, followed by its issuer's (the root by its own).
 */
export function revocationCertificateHashes(chain: readonly ParsedCertificate[]): string[] {
  const hashes = chain.map((cert) => createHash('sha384').update(tbsOf(cert.x509.raw)).digest('hex'));
  return hashes.map((hash, i) => hash + (hashes[i + 1] ?? hash));
}

/** The TBSCertificate element (tag, length and content) of a DER certificate. */
function tbsOf(der: Uint8Array): Uint8Array {
  // Certificate ::= SEQUENCE { tbsCertificate SEQUENCE, ... }: skip the outer header, read the inner one.
  let offset = 1;
  const outer = der[offset]!;
  offset += outer & 0x80 ? 1 + (outer & 0x7f) : 1;
  const start = offset;
  const first = der[offset + 1]!;
  let length = first;
  let header = 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[offset + 2 + i]!;
    header += count;
  }
  return der.subarray(start, start + header + length);
}

/** Revocation answers of AWS Signer (the port; `SignerRevocationChecker` is its AWS adapter). */
export interface SigningRevocation {
  /** The revoked entities among the job, the profile version and the certificates; empty when none is. Throws when unknown. */
  revokedEntities(input: {
    readonly profileVersionArn: string;
    readonly jobArn: string;
    readonly certificateHashes: readonly string[];
    readonly signatureTimestamp: Date;
  }): Promise<readonly string[]>;
}
