/**
 * The Notary Project's certificate requirements for a signature's `x5c` chain, checked as Notation
 * checks them: each certificate issued by the next, the last self-signed (a single self-signed leaf is
 * allowed), CA certificates marked CA with keyCertSign, and a leaf that may only sign code: basic
 * constraints not CA, key usage present, critical and digitalSignature only, extended key usage (when
 * present) with code signing and none of the usages the specification excludes. Unknown critical
 * extensions refuse the certificate (RFC 5280 §4.2).
 */
import { Oid, type ParsedCertificate } from '../certificate';
import { children, decodeBits, expectTag, readOnly, Tag } from '../der';
import { fail, isoSeconds, ok, type CheckResult } from '../encoding';

const KeyUsageBit = ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly'] as const;

const EXCLUDED_EKU: Readonly<Record<string, string>> = {
  '2.5.29.37.0': 'anyExtendedKeyUsage',
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
};

const UNDERSTOOD_CRITICAL: ReadonlySet<string> = new Set([
  Oid.KeyUsage,
  Oid.BasicConstraints,
  Oid.ExtendedKeyUsage,
  Oid.SubjectAltName,
  '2.5.29.30', // name constraints: only CAs carry it, and only trust-store CAs can end a chain
]);

export function name(cert: ParsedCertificate): string {
  return cert.x509.subject.split('\n').filter(Boolean).join(', ');
}

/** Structure and usages, whatever the time. `chain[0]` is the signing certificate. */
export function checkCodeSigningChain(chain: readonly ParsedCertificate[]): CheckResult<null> {
  if (chain.length === 0) return fail('the certificate chain is empty');
  for (const [i, cert] of chain.entries()) {
    const unknown = cert.fields.extensions.find((e) => e.critical && !UNDERSTOOD_CRITICAL.has(e.oid));
    if (unknown) return fail(`certificate "${name(cert)}" has a critical extension ${unknown.oid} this verifier does not understand`);
    const last = i === chain.length - 1;
    const selfSigned = issuedBy(cert, cert);
    if (last && !selfSigned) return fail(`the chain does not end in a self-signed root: "${name(cert)}" is not self-signed`);
    if (!last) {
      if (selfSigned) return fail(`${i === 0 ? 'leaf' : 'intermediate'} certificate "${name(cert)}" is self-signed, but not the last of the chain`);
      if (!issuedBy(cert, chain[i + 1]!)) return fail(`certificate "${name(cert)}" is not issued by "${name(chain[i + 1]!)}"`);
    }
    const usage = i === 0 ? checkLeaf(cert) : checkCa(cert, i - 1);
    if (!usage.ok) return usage;
  }
  return ok(null);
}

/** Every certificate of the chain is valid at `at`; `when` says where that time comes from. */
export function checkChainValidAt(chain: readonly ParsedCertificate[], at: Date, when: string): CheckResult<null> {
  for (const cert of chain) {
    const { notBefore, notAfter } = cert.fields;
    if (at < notBefore) return fail(`certificate "${name(cert)}" is not valid yet at ${when} ${isoSeconds(at)}: it is valid from ${isoSeconds(notBefore)}`);
    if (at > notAfter) return fail(`certificate "${name(cert)}" has expired at ${when} ${isoSeconds(at)}: it was valid until ${isoSeconds(notAfter)}`);
  }
  return ok(null);
}

function checkLeaf(cert: ParsedCertificate): CheckResult<null> {
  const who = `signing certificate "${name(cert)}"`;
  if (cert.fields.isCa) return fail(`${who} is a CA certificate (basic constraints), not a code-signing certificate`);
  const usage = keyUsage(cert);
  if (!usage.ok) return fail(`${who}: ${usage.reason}`);
  if (!usage.value.has('digitalSignature')) return fail(`${who}: key usage does not allow digitalSignature`);
  const others = [...usage.value].filter((bit) => bit !== 'digitalSignature' && bit !== 'nonRepudiation');
  if (others.length > 0) return fail(`${who}: key usage must be digitalSignature only, but also has ${others.join(', ')}`);
  const eku = cert.fields.extendedKeyUsage;
  if (eku) {
    const excluded = eku.find((oid) => EXCLUDED_EKU[oid]);
    if (excluded) return fail(`${who}: extended key usage has ${EXCLUDED_EKU[excluded]}, which a code-signing certificate must not have`);
    if (!eku.includes(Oid.CodeSigning)) return fail(`${who}: extended key usage (${eku.join(', ')}) does not include codeSigning`);
  }
  return ok(null);
}

/** `below`: how many CA certificates sit between this one and the leaf (its path length must allow them). */
function checkCa(cert: ParsedCertificate, below: number): CheckResult<null> {
  const who = `CA certificate "${name(cert)}"`;
  const constraints = cert.fields.extensions.find((e) => e.oid === Oid.BasicConstraints);
  if (!constraints || !cert.fields.isCa) return fail(`${who}: basic constraints must be present and mark it a CA`);
  const [, pathLen] = children(readOnly(constraints.value, Tag.Sequence));
  if (pathLen) {
    const allowed = Number(`0x${Buffer.from(expectTag(pathLen, Tag.Integer).value).toString('hex') || '0'}`);
    if (allowed < below) return fail(`${who}: its path length constraint ${allowed} does not allow the ${below} CA certificate(s) below it`);
  }
  const usage = keyUsage(cert);
  if (!usage.ok) return fail(`${who}: ${usage.reason}`);
  if (!usage.value.has('keyCertSign')) return fail(`${who}: key usage does not allow keyCertSign`);
  return ok(null);
}

/** The set key usage bits; the extension must be present and critical, as the specification requires. */
function keyUsage(cert: ParsedCertificate): CheckResult<Set<string>> {
  const extension = cert.fields.extensions.find((e) => e.oid === Oid.KeyUsage);
  if (!extension) return fail('key usage extension is missing');
  if (!extension.critical) return fail('key usage extension is not marked critical');
  const bits = decodeBits(readOnly(extension.value));
  return ok(new Set(KeyUsageBit.filter((_, i) => bits[i] === true)));
}

function issuedBy(cert: ParsedCertificate, issuer: ParsedCertificate): boolean {
  try {
    return Buffer.from(issuerName(cert.x509.raw)).equals(Buffer.from(subjectName(issuer.x509.raw))) && cert.x509.verify(issuer.x509.publicKey);
  } catch {
    return false;
  }
}

function tbsParts(der: Uint8Array) {
  const tbs = children(children(readOnly(der, Tag.Sequence))[0]!);
  return tbs.slice(tbs[0]?.tag === 0xa0 ? 1 : 0);
}

/** Raw DER of the issuer and subject names: compared byte for byte, as Go's x509 does. */
function issuerName(der: Uint8Array): Uint8Array {
  return encoded(tbsParts(der)[2]!);
}

function subjectName(der: Uint8Array): Uint8Array {
  return encoded(tbsParts(der)[4]!);
}

function encoded(tlv: { tag: number; value: Uint8Array }): Uint8Array {
  // Tag and content are enough to compare two names: equal contents under equal tags have equal lengths.
  return Buffer.concat([Uint8Array.of(tlv.tag), tlv.value]);
}
