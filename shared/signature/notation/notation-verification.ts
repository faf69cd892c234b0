/**
 * Verifies one Notary Project signature envelope against a trust policy, in the order the specification
 * gives: integrity (the envelope parses, every critical header is understood, the signature verifies
 * with the leaf's key under an algorithm that matches it), authenticity (the chain is a code-signing
 * chain and one of its certificates is in the trust store of the signing scheme's type), the trusted
 * identities, the signature's expiry, then validity: every certificate valid now, unless an RFC 3161
 * timestamp from a trusted TSA proves when the signature existed. The envelope's own signing time is the
 * signer's claim and never moves that instant. Last, the payload must name the pushed digest.
 */
import { constants, createHash, verify as verifySignature, type KeyObject } from 'node:crypto';
import { parseCertificate, type ParsedCertificate } from '../certificate';
import { isPlainObject } from '../../plain-object';
import { fail, isoSeconds, ok, parseJsonBytes, type CheckResult } from '../encoding';
import { checkChainValidAt, checkCodeSigningChain, name } from './code-signing-chain';
import { parseCoseEnvelope } from './cose-envelope';
import { EnvelopeError, Header, NotationMediaType, SigningScheme, type NotationEnvelope, type SignatureAlgorithm } from './envelope';
import { parseJwsEnvelope } from './jws-envelope';
import { verifyTimestampToken } from './timestamp-token';
import { describeSubject, matchesIdentity, subjectAttributes, type TrustedIdentity } from './trusted-identity';

/** Notation's trust store types, each a list of certificates. */
export interface NotationTrustStore {
  readonly ca: readonly ParsedCertificate[];
  readonly signingAuthority: readonly ParsedCertificate[];
  readonly tsa: readonly ParsedCertificate[];
}

export interface NotationTrust {
  readonly trustStore: NotationTrustStore;
  /** `'*'`: any signer the trust store vouches for. */
  readonly trustedIdentities: '*' | readonly TrustedIdentity[];
}

export interface NotationCheckOptions {
  readonly now: Date;
  /**
   * Extended critical headers the caller processes itself (AWS Signer's profile, job and plugin names).
   * Any other critical header refuses the signature.
   */
  readonly understoodCritical?: ReadonlySet<string>;
  /** Whether the signing scheme's trusted identities are checked here (AWS Signer matches profiles instead). */
  readonly checkIdentities?: boolean;
}

export interface VerifiedNotation {
  readonly envelope: NotationEnvelope;
  readonly leaf: ParsedCertificate;
  readonly chain: readonly ParsedCertificate[];
  /** sha256 of the leaf certificate's DER, hex. */
  readonly leafFingerprint: string;
  readonly subject: string;
  /** The trusted identity that matched, or `*`. */
  readonly identity: string;
  /** The signing time the envelope states (authentic for a signing authority, claimed otherwise). */
  readonly signingTime: Date;
  /** The TSA certificate's subject, when a trusted timestamp proved the signing time. */
  readonly timestampAuthority: string | null;
  /** When the chain was checked valid: now, or the timestamp's time. */
  readonly validAt: Date;
  /** The leaf's (and thus the signature's) last valid instant, for caching a verdict. */
  readonly validUntil: Date;
}

const KNOWN_CRITICAL = new Set<string>([Header.SigningScheme, Header.SigningTime, Header.AuthenticSigningTime, Header.Expiry]);
const HASHES: Readonly<Record<SignatureAlgorithm, { hash: string; bytes: number }>> = {
  PS256: { hash: 'sha256', bytes: 32 },
  PS384: { hash: 'sha384', bytes: 48 },
  PS512: { hash: 'sha512', bytes: 64 },
  ES256: { hash: 'sha256', bytes: 32 },
  ES384: { hash: 'sha384', bytes: 48 },
  ES512: { hash: 'sha512', bytes: 64 },
};

export function parseNotationEnvelope(mediaType: string, bytes: Uint8Array): CheckResult<NotationEnvelope> {
  try {
    if (mediaType === NotationMediaType.Jws) return ok(parseJwsEnvelope(bytes));
    if (mediaType === NotationMediaType.Cose) return ok(parseCoseEnvelope(bytes));
  } catch (error) {
    if (error instanceof EnvelopeError) return fail(`malformed envelope: ${error.message}`);
    throw error;
  }
  return fail(`envelope media type ${JSON.stringify(mediaType)} is neither ${NotationMediaType.Jws} nor ${NotationMediaType.Cose}`);
}

export function verifyNotationSignature(
  mediaType: string,
  bytes: Uint8Array,
  expectedDigest: string,
  trust: NotationTrust,
  options: NotationCheckOptions,
): CheckResult<VerifiedNotation> {
  const parsed = parseNotationEnvelope(mediaType, bytes);
  if (!parsed.ok) return parsed;
  const envelope = parsed.value;
  const unknown = envelope.critical.find((h) => !KNOWN_CRITICAL.has(h) && !options.understoodCritical?.has(h));
  if (unknown) {
    const plugin = envelope.extendedAttributes[Header.VerificationPlugin];
    return fail(
      unknown === Header.VerificationPlugin || unknown === Header.VerificationPluginMinVersion
        ? `the signature requires verification plugin ${JSON.stringify(plugin)}, which this verifier does not run (critical header ${unknown})`
        : `unknown critical header ${JSON.stringify(unknown)}`,
    );
  }

  const chain: ParsedCertificate[] = [];
  for (const [i, der] of envelope.certificateChain.entries()) {
    const cert = parseCertificate(der);
    if (!cert.ok) return fail(`certificate ${i} of the chain ${cert.reason}`);
    chain.push(cert.value);
  }
  const leaf = chain[0]!;
  const integrity = checkIntegrity(envelope, leaf.x509.publicKey);
  if (!integrity.ok) return integrity;

  const structure = checkCodeSigningChain(chain);
  if (!structure.ok) return structure;
  const storeType = envelope.signingScheme === SigningScheme.SigningAuthority ? 'signingAuthority' : 'ca';
  const store = trust.trustStore[storeType];
  if (!chain.some((cert) => store.some((trusted) => trusted.x509.raw.equals(cert.x509.raw)))) {
    return fail(
      `the certificate chain (${chain.map(name).map((n) => `"${n}"`).join(' <- ')}) does not lead to a certificate of the ${storeType} trust store`,
    );
  }

  let subject: Map<string, string>;
  try {
    subject = subjectAttributes(leaf.x509.raw);
  } catch (error) {
    return fail(`signing certificate subject is unreadable: ${error instanceof Error ? error.message : String(error)}`);
  }
  let identity = '*';
  if (options.checkIdentities !== false && trust.trustedIdentities !== '*') {
    const matched = trust.trustedIdentities.find((candidate) => matchesIdentity(subject, candidate));
    if (!matched) return fail(`signer "${describeSubject(subject)}" is not one of the trusted identities`);
    identity = matched.text;
  }

  const { now } = options;
  if (envelope.expiry && now > envelope.expiry) return fail(`the signature expired at ${isoSeconds(envelope.expiry)}`);

  let validAt = now;
  let when = 'now,';
  let timestampAuthority: string | null = null;
  if (envelope.timestampToken && trust.trustStore.tsa.length > 0) {
    const stamp = verifyTimestampToken(envelope.timestampToken, envelope.signature, trust.trustStore.tsa, now);
    if (!stamp.ok) return fail(`timestamp countersignature: ${stamp.reason}`);
    validAt = stamp.value.time;
    when = 'the trusted timestamp';
    timestampAuthority = stamp.value.authority;
  }
  const valid = checkChainValidAt(chain, validAt, when);
  if (!valid.ok) return valid;

  const target = targetDigest(envelope.payload);
  if (!target.ok) return target;
  if (target.value !== expectedDigest) return fail(`the signed payload is for ${target.value}, not ${expectedDigest}`);

  const signingTime = (envelope.authenticSigningTime ?? envelope.signingTime)!;
  return ok({
    envelope,
    leaf,
    chain,
    leafFingerprint: createHash('sha256').update(leaf.x509.raw).digest('hex'),
    subject: describeSubject(subject),
    identity,
    signingTime,
    timestampAuthority,
    validAt,
    validUntil: chain.reduce((min, c) => (c.fields.notAfter < min ? c.fields.notAfter : min), envelope.expiry ?? leaf.fields.notAfter),
  });
}

/** The algorithm must be the one the leaf's key calls for (Notary Project key specs), and the signature must verify. */
function checkIntegrity(envelope: NotationEnvelope, key: KeyObject): CheckResult<null> {
  const expected = algorithmFor(key);
  if (!expected) return fail(`the signing certificate's key (${key.asymmetricKeyType}) is not one the Notary Project allows`);
  if (expected !== envelope.algorithm) return fail(`the envelope says ${envelope.algorithm}, but the signing certificate's key calls for ${expected}`);
  const { hash, bytes } = HASHES[envelope.algorithm];
  let valid = false;
  try {
    valid = envelope.algorithm.startsWith('PS')
      ? verifySignature(hash, envelope.signedBytes, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: bytes }, envelope.signature)
      : verifySignature(hash, envelope.signedBytes, { key, dsaEncoding: 'ieee-p1363' }, envelope.signature);
  } catch {
    valid = false;
  }
  return valid ? ok(null) : fail(`the ${envelope.algorithm} signature does not verify with the signing certificate's key`);
}

function algorithmFor(key: KeyObject): SignatureAlgorithm | null {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa') {
    return ({ 2048: 'PS256', 3072: 'PS384', 4096: 'PS512' } as const)[details?.modulusLength as 2048] ?? null;
  }
  if (key.asymmetricKeyType === 'ec') {
    return ({ prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' } as const)[details?.namedCurve as 'prime256v1'] ?? null;
  }
  return null;
}

/** `targetArtifact.digest` of the payload. */
function targetDigest(payload: Uint8Array): CheckResult<string> {
  const json = parseJsonBytes(payload);
  if (!isPlainObject(json) || !isPlainObject(json['targetArtifact'])) return fail('the signed payload has no targetArtifact');
  const { digest, mediaType, size } = json['targetArtifact'];
  if (typeof digest !== 'string' || typeof mediaType !== 'string' || typeof size !== 'number') {
    return fail('the signed payload\'s targetArtifact is not a descriptor (mediaType, digest, size)');
  }
  return ok(digest);
}
