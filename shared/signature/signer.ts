/**
 * Who signed, under the service's policy, whatever the format (simple signing or sigstore bundle):
 *
 * 1. the signature verifies with a configured key, or else with the key of the certificate it carries;
 * 2. its Rekor entry, if any, has a valid SET from a trusted log and records this payload, signature and
 *    key; `rekor: required` refuses a signature without one;
 * 3. for a certificate: it chains to the trusted root, was valid at the Rekor integrated time (or now,
 *    without an entry), and its identity matches a `verify.keyless` entry.
 *
 * The first failed check is the reason, worded to say exactly what failed.
 */
import type { ParsedCertificate } from './certificate';
import { checkSigningCertificate, checkValidAt, verifyChain } from './certificate-chain';
import { fail, ok, type CheckResult } from './encoding';
import { matchIdentity, type MatchedIdentity } from './keyless-identity';
import type { VerificationPolicy } from './policy';
import { classify, loadPublicKey, spkiDer, verifyWith, type PublicKey } from './public-key';
import { verifyTlogEntry, type TlogEntry, type VerifiedTlogEntry } from './rekor-entry';

export interface SignedEvidence {
  /** Exactly the bytes the signature covers (payload, DSSE PAE, or artifact). */
  readonly signedBytes: Uint8Array;
  readonly signature: Uint8Array;
  /** sha256 hex of what a Rekor entry must record: the payload (hashedrekord) or DSSE payload (dsse). */
  readonly loggedSha256: string;
  readonly certificate: ParsedCertificate | null;
  readonly tlogEntries: readonly TlogEntry[];
}

export interface EstablishedSigner {
  readonly type: 'cosign-key' | 'cosign-keyless';
  /** The configured key's id, or the certificate identity as `subject (issuer)`. */
  readonly key: string;
  /** sha256 of the signing key's SPKI DER, hex (the certificate's key for keyless). */
  readonly keyFingerprint: string;
  readonly identity: MatchedIdentity | null;
  /** The certificate authority's URI, for keyless. */
  readonly certificateAuthority: string | null;
  readonly tlog: VerifiedTlogEntry | null;
  /** When the verdict stops holding (a certificate checked against the current time); null: never. */
  readonly validUntil: Date | null;
}

export function establishSigner(evidence: SignedEvidence, policy: VerificationPolicy, now: Date): CheckResult<EstablishedSigner> {
  const byKey = signedByConfiguredKey(evidence, policy);
  if (byKey.ok) {
    const { id, key } = byKey.value;
    const tlog = checkTlog(evidence, key, policy, now);
    if (!tlog.ok) return tlog;
    return ok({ type: 'cosign-key', key: id, keyFingerprint: key.fingerprint, identity: null, certificateAuthority: null, tlog: tlog.value, validUntil: null });
  }
  const cert = evidence.certificate;
  if (!cert) {
    const suffix = policy.keyless.length > 0 ? '; it carries no certificate for the keyless identities' : '';
    return fail(`${byKey.reason}${suffix}`);
  }
  if (policy.keyless.length === 0) return fail(`${byKey.reason}; it carries a certificate, but no keyless identities are configured`);
  const certKey = classify(cert.x509.publicKey);
  if (!certKey.ok) return fail(`certificate key: ${certKey.reason}`);
  if (!verifyWith(certKey.value, evidence.signedBytes, evidence.signature)) {
    const keys = policy.keys.length > 0 ? `${byKey.reason}, ` : '';
    return fail(`${keys}signature does not verify with the key of its certificate`);
  }
  const usable = checkSigningCertificate(cert);
  if (!usable.ok) return usable;
  const tlog = checkTlog(evidence, certKey.value, policy, now);
  if (!tlog.ok) return tlog;
  const at = tlog.value?.integratedTime ?? now;
  const when = tlog.value ? 'the Rekor integrated time' : 'verification time (no Rekor entry)';
  const chain = verifyChain(cert, policy.trustedRoot, at, when);
  if (!chain.ok) return chain;
  const valid = checkValidAt(cert, at, when);
  if (!valid.ok) return valid;
  const identity = matchIdentity(cert, policy.keyless);
  if (!identity.ok) return identity;
  return ok({
    type: 'cosign-keyless',
    key: `${identity.value.subject} (${identity.value.issuer || 'no OIDC issuer'})`,
    keyFingerprint: certKey.value.fingerprint,
    identity: identity.value,
    certificateAuthority: chain.value.uri,
    tlog: tlog.value,
    validUntil: tlog.value ? null : cert.fields.notAfter,
  });
}

/** Which configured key verifies the signature; a key that cannot be used is named and skipped. */
function signedByConfiguredKey(evidence: SignedEvidence, policy: VerificationPolicy): CheckResult<{ id: string; key: PublicKey }> {
  if (policy.keys.length === 0) return fail('no verification keys configured');
  const tried: string[] = [];
  const unusable: string[] = [];
  for (const candidate of policy.keys) {
    const loaded = loadPublicKey(candidate.pem);
    if (!loaded.ok) {
      unusable.push(`${candidate.id}: ${loaded.reason}`);
      continue;
    }
    tried.push(candidate.id);
    if (verifyWith(loaded.value, evidence.signedBytes, evidence.signature)) return ok({ id: candidate.id, key: loaded.value });
  }
  const parts = [`tried ${tried.length > 0 ? tried.join(', ') : 'no usable key'}`];
  if (unusable.length > 0) parts.push(`unusable ${unusable.join(', ')}`);
  return fail(`not signed by any configured key (${parts.join('; ')})`);
}

/** The first entry that verifies; none at all is refused only under `rekor: required`. */
function checkTlog(evidence: SignedEvidence, key: PublicKey, policy: VerificationPolicy, now: Date): CheckResult<VerifiedTlogEntry | null> {
  if (evidence.tlogEntries.length === 0) {
    return policy.rekor === 'required' ? fail('no Rekor transparency log entry, and verify.rekor is required') : ok(null);
  }
  const binding = { payloadSha256: evidence.loggedSha256, signature: evidence.signature, signerSpki: spkiDer(key.key) };
  const reasons: string[] = [];
  for (const entry of evidence.tlogEntries) {
    const verified = verifyTlogEntry(entry, binding, policy.trustedRoot, now);
    if (verified.ok) return verified;
    reasons.push(verified.reason);
  }
  // An entry that is present but does not verify is tampering, not absence: refused even when optional.
  return fail(reasons.join('; '));
}
