/**
 * Checks a signing certificate against the trusted root, offline, at one instant: the time the signature
 * provably existed (Rekor's integrated time), or now when there is no such proof. Every certificate
 * authority and its chain must have been valid then, as sigstore-go and cosign check it.
 *
 * Intermediates come only from the trusted root, never from the signature (cosign's `chain` annotation
 * is ignored): what is trusted is exactly what the operator configured.
 */
import type { X509Certificate } from 'node:crypto';
import { describeSubjects, distinguishedName, Oid, type ParsedCertificate } from './certificate';
import { fail, isoSeconds, ok, type CheckResult } from './encoding';
import { describeWindow, isWithin, type CertificateAuthority, type TrustedRoot } from './trusted-root';

/** Extensions this verifier understands; an unknown critical one must refuse the certificate (RFC 5280 §4.2). */
const UNDERSTOOD_CRITICAL: ReadonlySet<string> = new Set([Oid.KeyUsage, Oid.SubjectAltName, Oid.BasicConstraints, Oid.ExtendedKeyUsage]);

/** Usage checks that hold whatever the time: a leaf that may sign code, and nothing we cannot read. */
export function checkSigningCertificate(cert: ParsedCertificate): CheckResult<null> {
  const { fields } = cert;
  if (fields.isCa) return fail('certificate is a CA certificate, not a signing certificate');
  if (fields.keyUsage && !fields.keyUsage.digitalSignature) return fail('certificate key usage does not allow digital signatures');
  if (fields.extendedKeyUsage && !fields.extendedKeyUsage.includes(Oid.CodeSigning)) {
    return fail(`certificate extended key usage (${fields.extendedKeyUsage.join(', ')}) does not include code signing`);
  }
  const unknown = fields.extensions.find((e) => e.critical && !UNDERSTOOD_CRITICAL.has(e.oid));
  if (unknown) return fail(`certificate has a critical extension ${unknown.oid} this verifier does not understand`);
  return ok(null);
}

/** The leaf's own validity at `at`; `when` says where the time came from, for the reason. */
export function checkValidAt(cert: ParsedCertificate, at: Date, when: string): CheckResult<null> {
  const { notBefore, notAfter } = cert.fields;
  if (at < notBefore || at > notAfter) {
    return fail(
      `certificate (${describeSubjects(cert.fields.subjectAltNames)}) was not valid at ${when} ${isoSeconds(at)}: ` +
        `it is valid from ${isoSeconds(notBefore)} to ${isoSeconds(notAfter)}`,
    );
  }
  return ok(null);
}

/** The certificate authority of the trusted root that issued `cert` and was trusted at `at`. */
export function verifyChain(cert: ParsedCertificate, root: TrustedRoot, at: Date, when: string): CheckResult<CertificateAuthority> {
  const issuedBy: string[] = [];
  for (const authority of root.certificateAuthorities) {
    const position = authority.chain.findIndex((ca) => issued(cert.x509, ca));
    if (position < 0) continue;
    if (!isWithin(authority.validFor, at)) {
      issuedBy.push(`${authority.uri} (${authority.name}), trusted from ${describeWindow(authority.validFor)}`);
      continue;
    }
    const expired = authority.chain.slice(position).find((ca) => at < new Date(ca.validFrom) || at > new Date(ca.validTo));
    if (expired) {
      issuedBy.push(`${authority.uri}, whose certificate ${distinguishedName(expired.subject)} is valid from ${expired.validFrom} to ${expired.validTo}`);
      continue;
    }
    return ok(authority);
  }
  if (issuedBy.length > 0) {
    return fail(`certificate chains to ${issuedBy.join('; ')}, which was not trusted at ${when} ${isoSeconds(at)}`);
  }
  return fail(
    `certificate is not issued by any certificate authority in the trusted root ${root.source} ` +
      `(its issuer is ${distinguishedName(cert.x509.issuer)})`,
  );
}

function issued(leaf: X509Certificate, ca: X509Certificate): boolean {
  try {
    // checkIssued compares names and key identifiers; verify checks the signature itself.
    return leaf.checkIssued(ca) && leaf.verify(ca.publicKey);
  } catch {
    return false;
  }
}
