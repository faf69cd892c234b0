/**
 * The parts of an X.509 certificate a signature policy reads, taken from the DER: validity, the
 * identities in the SAN, Fulcio's OIDC issuer extensions, key usage and basic constraints. node:crypto's
 * X509Certificate still does the cryptography (signature and issuer checks); this only reads fields.
 */
import { X509Certificate } from 'node:crypto';
import { forgetOldest, setNewest } from '../bounded-map';
import { children, decodeBits, decodeBoolean, decodeOid, decodeString, decodeTime, DerError, expectTag, readOnly, Tag, type Tlv } from './der';
import { fail, ok, type CheckResult } from './encoding';

export const Oid = {
  KeyUsage: '2.5.29.15',
  SubjectAltName: '2.5.29.17',
  BasicConstraints: '2.5.29.19',
  ExtendedKeyUsage: '2.5.29.37',
  CodeSigning: '1.3.6.1.5.5.7.3.3',
  /** Fulcio's first issuer extension: the issuer URL as raw bytes, not DER (deprecated, still written). */
  FulcioIssuerV1: '1.3.6.1.4.1.57264.1.1',
  /** Fulcio's issuer extension since 2022: a DER UTF8String. */
  FulcioIssuerV2: '1.3.6.1.4.1.57264.1.8',
  /** Fulcio's username SAN (an otherName holding a UTF8String). */
  FulcioUsername: '1.3.6.1.4.1.57264.1.7',
} as const;

export interface Extension {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Uint8Array;
}

export interface SubjectAltName {
  readonly type: 'email' | 'uri' | 'dns' | 'otherName';
  readonly value: string;
}

export interface CertificateFields {
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly extensions: readonly Extension[];
  readonly subjectAltNames: readonly SubjectAltName[];
  /** The OIDC issuer Fulcio recorded, or null when the certificate has none (a private CA's). */
  readonly oidcIssuer: string | null;
  /** KeyUsage bits by name, or null when the extension is absent. */
  readonly keyUsage: { readonly digitalSignature: boolean; readonly keyCertSign: boolean } | null;
  /** ExtendedKeyUsage OIDs, or null when absent (which RFC 5280 reads as "any"). */
  readonly extendedKeyUsage: readonly string[] | null;
  readonly isCa: boolean;
}

export interface ParsedCertificate {
  readonly x509: X509Certificate;
  readonly fields: CertificateFields;
}

/**
 * Certificates parsed lately, by their exact PEM or DER: a signer's chain, a timestamping authority's and
 * the trust stores' certificates come back in every signature they make, and node's X509Certificate
 * costs more to build than the rest of a check. A parsed certificate is immutable, so sharing it is safe.
 */
const parsed = new Map<string, ParsedCertificate>();
/** How many parsed certificates are kept unless told otherwise (`keepParsedCertificates`). */
export const PARSED_CERTIFICATES_KEPT = 256;
let kept = PARSED_CERTIFICATES_KEPT;

/**
 * How many parsed certificates to keep (default `PARSED_CERTIFICATES_KEPT`; 0 parses every one anew). For measuring a cold
 * keyless verification as production sees it: each keyless signature brings a leaf of its own, so its
 * parse is never found here, while a benchmark that verifies one signature over and over would find it.
 */
export function keepParsedCertificates(count: number): void {
  kept = count;
  forgetOldest(parsed, kept);
}

/** Parses PEM or DER; refuses anything either reader cannot read, with the reason. */
export function parseCertificate(input: string | Uint8Array): CheckResult<ParsedCertificate> {
  const key = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('latin1');
  const known = parsed.get(key);
  if (known) return ok(known);
  const result = parseAnew(input);
  if (result.ok) setNewest(parsed, key, result.value, kept);
  return result;
}

function parseAnew(input: string | Uint8Array): CheckResult<ParsedCertificate> {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(typeof input === 'string' ? input : Buffer.from(input));
  } catch {
    return fail('is not an X.509 certificate');
  }
  try {
    // Read lazily by node: a certificate whose key or names cannot be decoded would throw later, mid-check.
    void [x509.publicKey, x509.issuer, x509.subject];
  } catch {
    return fail('has an unreadable public key or name');
  }
  try {
    return ok({ x509, fields: readFields(x509.raw) });
  } catch (error) {
    return fail(`is a malformed certificate (${error instanceof DerError ? error.message : String(error)})`);
  }
}

function readFields(der: Uint8Array): CertificateFields {
  const certificate = children(readOnly(der, Tag.Sequence));
  const tbs = children(expectTag(certificate[0]!, Tag.Sequence));
  let i = tbs[0]?.tag === 0xa0 ? 1 : 0; // [0] EXPLICIT version
  i += 3; // serialNumber, signature, issuer
  const validity = children(expectTag(tbs[i]!, Tag.Sequence));
  if (validity.length !== 2) throw new DerError('validity is not two times');
  const extensions: Extension[] = [];
  for (const field of tbs.slice(i + 3)) {
    if (field.tag !== 0xa3) continue; // [3] EXPLICIT extensions; issuer/subject unique IDs skipped
    const [list] = children(field);
    for (const ext of children(expectTag(list!, Tag.Sequence))) extensions.push(readExtension(ext));
  }
  const seen = new Set<string>();
  for (const ext of extensions) {
    if (seen.has(ext.oid)) throw new DerError(`extension ${ext.oid} appears twice`);
    seen.add(ext.oid);
  }
  const find = (oid: string) => extensions.find((e) => e.oid === oid)?.value;
  return {
    notBefore: decodeTime(validity[0]!),
    notAfter: decodeTime(validity[1]!),
    extensions,
    subjectAltNames: readSubjectAltNames(find(Oid.SubjectAltName)),
    oidcIssuer: readIssuer(find(Oid.FulcioIssuerV1), find(Oid.FulcioIssuerV2)),
    keyUsage: readKeyUsage(find(Oid.KeyUsage)),
    extendedKeyUsage: readExtendedKeyUsage(find(Oid.ExtendedKeyUsage)),
    isCa: readIsCa(find(Oid.BasicConstraints)),
  };
}

function readExtension(tlv: Tlv): Extension {
  const parts = children(expectTag(tlv, Tag.Sequence));
  if (parts.length < 2 || parts.length > 3) throw new DerError('an extension is malformed');
  const oid = decodeOid(parts[0]!);
  const critical = parts.length === 3 ? decodeBoolean(parts[1]!) : false;
  const value = expectTag(parts[parts.length - 1]!, Tag.OctetString).value;
  return { oid, critical, value };
}

function readSubjectAltNames(value: Uint8Array | undefined): SubjectAltName[] {
  if (!value) return [];
  const names: SubjectAltName[] = [];
  for (const name of children(readOnly(value, Tag.Sequence))) {
    const text = () => Buffer.from(name.value).toString('latin1');
    if (name.tag === 0x81) names.push({ type: 'email', value: text() });
    else if (name.tag === 0x82) names.push({ type: 'dns', value: text() });
    else if (name.tag === 0x86) names.push({ type: 'uri', value: text() });
    else if (name.tag === 0xa0) {
      // otherName: type-id OID, then [0] EXPLICIT value; Fulcio writes its username SAN this way.
      const [typeId, wrapped] = children(name);
      if (typeId && wrapped && decodeOid(typeId) === Oid.FulcioUsername) {
        names.push({ type: 'otherName', value: decodeString(children(wrapped)[0]!) });
      }
    }
  }
  return names;
}

function readIssuer(v1: Uint8Array | undefined, v2: Uint8Array | undefined): string | null {
  const legacy = v1 ? new TextDecoder('utf-8', { fatal: true }).decode(v1) : null;
  const current = v2 ? decodeString(readOnly(v2, Tag.Utf8String)) : null;
  // Two extensions naming two issuers would let a matcher pick the one it likes: refuse the certificate.
  if (legacy !== null && current !== null && legacy !== current) {
    throw new DerError(`its issuer extensions disagree (${legacy} and ${current})`);
  }
  return current ?? legacy;
}

function readKeyUsage(value: Uint8Array | undefined): CertificateFields['keyUsage'] {
  if (!value) return null;
  const bits = decodeBits(readOnly(value));
  return { digitalSignature: bits[0] === true, keyCertSign: bits[5] === true };
}

function readExtendedKeyUsage(value: Uint8Array | undefined): string[] | null {
  if (!value) return null;
  return children(readOnly(value, Tag.Sequence)).map(decodeOid);
}

function readIsCa(value: Uint8Array | undefined): boolean {
  if (!value) return false;
  const [first] = children(readOnly(value, Tag.Sequence));
  return first?.tag === Tag.Boolean ? decodeBoolean(first) : false;
}

/** `O=sigstore.dev, CN=sigstore-intermediate`: node's multi-line distinguished name on one line. */
export function distinguishedName(name: string): string {
  return name.split('\n').filter(Boolean).join(', ') || '(empty)';
}

/** How a certificate's identity reads in a reason: `email:a@b.c` / `uri:https://…`. */
export function describeSubjects(names: readonly SubjectAltName[]): string {
  return names.length === 0 ? '(no subject alternative name)' : names.map((n) => `${n.type}:${n.value}`).join(', ');
}
