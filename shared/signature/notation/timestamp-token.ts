/**
 * An RFC 3161 timestamp countersignature, as a Notary Project envelope carries it: a CMS SignedData
 * (RFC 5652) whose content is a TSTInfo. It proves when the signature existed when the token's
 * message imprint is the hash of the envelope's signature, the signed attributes bind the TSTInfo, the
 * TSA's certificate signs them, may stamp time (EKU timeStamping) and chains, inside the token, to a
 * certificate of the `tsa` trust store, every certificate valid at the stamped time (widened by the
 * stated accuracy on both sides).
 */
import { createHash, verify as verifySignature } from 'node:crypto';
import { parseCertificate, type ParsedCertificate } from '../certificate';
import { children, decodeOid, DerError, expectTag, readOnly, Tag, type Tlv } from '../der';
import { bytesEqual, fail, ok, type CheckResult } from '../encoding';
import { checkChainValidAt, name } from './code-signing-chain';

const Oids = {
  SignedData: '1.2.840.113549.1.7.2',
  TstInfo: '1.2.840.113549.1.9.16.1.4',
  ContentType: '1.2.840.113549.1.9.3',
  MessageDigest: '1.2.840.113549.1.9.4',
  TimeStamping: '1.3.6.1.5.5.7.3.8',
} as const;

const DIGESTS: Readonly<Record<string, string>> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};
/** Signature algorithms a TSA signs with: RSA PKCS#1 v1.5 (plain or with a hash) and ECDSA. */
const SIGNATURES = new Set([
  '1.2.840.113549.1.1.1',
  '1.2.840.113549.1.1.11',
  '1.2.840.113549.1.1.12',
  '1.2.840.113549.1.1.13',
  '1.2.840.10045.4.3.2',
  '1.2.840.10045.4.3.3',
  '1.2.840.10045.4.3.4',
]);

export interface VerifiedTimestamp {
  readonly time: Date;
  /** The TSA certificate's subject. */
  readonly authority: string;
}

export function verifyTimestampToken(
  token: Uint8Array,
  signature: Uint8Array,
  trusted: readonly ParsedCertificate[],
  now: Date,
): CheckResult<VerifiedTimestamp> {
  try {
    return verify(token, signature, trusted, now);
  } catch (error) {
    if (error instanceof DerError) return fail(`the token is malformed (${error.message})`);
    throw error;
  }
}

function verify(token: Uint8Array, signature: Uint8Array, trusted: readonly ParsedCertificate[], now: Date): CheckResult<VerifiedTimestamp> {
  const [contentType, wrapped] = children(readOnly(token, Tag.Sequence));
  if (!contentType || decodeOid(contentType) !== Oids.SignedData || wrapped?.tag !== 0xa0) return fail('the token is not a CMS SignedData');
  const signedData = children(expectTag(children(wrapped)[0]!, Tag.Sequence));
  // RFC 5652 §5.1: version 3 whenever the content is not id-data, as a TSTInfo never is.
  if (!bytesEqual(expectTag(signedData[0]!, Tag.Integer).value, Uint8Array.of(3))) return fail('the SignedData version is not 3');
  const encap = children(expectTag(signedData[2]!, Tag.Sequence));
  if (decodeOid(encap[0]!) !== Oids.TstInfo || encap[1]?.tag !== 0xa0) return fail('the token does not hold a TSTInfo');
  const tstInfoBytes = expectTag(children(encap[1])[0]!, Tag.OctetString).value;
  const certificatesField = signedData.find((f) => f.tag === 0xa0);
  const signerInfos = children(expectTag(signedData[signedData.length - 1]!, Tag.Set));
  if (signerInfos.length !== 1) return fail(`the token has ${signerInfos.length} signers, not one`);

  const certificates: ParsedCertificate[] = [];
  for (const der of certificatesField ? children(certificatesField) : []) {
    const cert = parseCertificate(encodedTlv(der));
    if (!cert.ok) return fail(`a certificate in the token ${cert.reason}`);
    certificates.push(cert.value);
  }

  const info = children(expectTag(signerInfos[0]!, Tag.Sequence));
  const digestName = DIGESTS[decodeOid(children(info[2]!)[0]!)];
  if (!digestName) return fail('the token uses a digest algorithm other than SHA-256/384/512');
  const signedAttrs = info[3];
  if (signedAttrs?.tag !== 0xa0) return fail('the token has no signed attributes');
  const signatureAlgorithm = decodeOid(children(info[4]!)[0]!);
  if (!SIGNATURES.has(signatureAlgorithm)) return fail(`the token is signed with ${signatureAlgorithm}, which this verifier does not support`);
  const tokenSignature = expectTag(info[5]!, Tag.OctetString).value;

  let typeOk = false;
  let digest: Uint8Array | null = null;
  for (const attribute of children(signedAttrs)) {
    const [type, values] = children(attribute);
    const oid = decodeOid(type!);
    const [value, extra] = children(values!);
    if (extra) return fail(`signed attribute ${oid} has several values`);
    if (oid === Oids.ContentType) typeOk = decodeOid(value!) === Oids.TstInfo;
    if (oid === Oids.MessageDigest) digest = expectTag(value!, Tag.OctetString).value;
  }
  if (!typeOk) return fail('the signed content type is not a TSTInfo');
  if (!digest || !bytesEqual(digest, createHash(digestName).update(tstInfoBytes).digest())) return fail('the signed attributes do not match the TSTInfo');
  // The signature covers the signed attributes re-tagged as a SET (RFC 5652 §5.4).
  const signedBytes = Buffer.concat([Uint8Array.of(Tag.Set), encodedTlv(signedAttrs).subarray(1)]);
  const signer = certificates.find((c) => {
    try {
      return verifySignature(digestName, signedBytes, c.x509.publicKey, tokenSignature);
    } catch {
      return false;
    }
  });
  if (!signer) return fail('no certificate in the token made its signature');
  if (!signer.fields.extendedKeyUsage?.includes(Oids.TimeStamping)) return fail(`TSA certificate "${name(signer)}" may not stamp time (no timeStamping usage)`);

  const tst = children(readOnly(tstInfoBytes, Tag.Sequence));
  const imprint = children(expectTag(tst[2]!, Tag.Sequence));
  const imprintHash = DIGESTS[decodeOid(children(imprint[0]!)[0]!)];
  if (!imprintHash) return fail('the message imprint uses a hash other than SHA-256/384/512');
  if (!bytesEqual(expectTag(imprint[1]!, Tag.OctetString).value, createHash(imprintHash).update(signature).digest())) {
    return fail('it stamps another signature (message imprint mismatch)');
  }
  const time = generalizedTime(tst[4]!);
  const accuracy = tst[5]?.tag === Tag.Sequence ? accuracySeconds(tst[5]) : 0;
  if (time.getTime() - accuracy * 1000 > now.getTime()) return fail(`it stamps a time in the future (${time.toISOString()})`);

  const chain = chainTo(signer, certificates, trusted);
  if (!chain) return fail(`TSA certificate "${name(signer)}" does not chain to a certificate of the tsa trust store`);
  for (const at of [new Date(time.getTime() - accuracy * 1000), new Date(time.getTime() + accuracy * 1000)]) {
    const valid = checkChainValidAt(chain, at, 'the stamped time');
    if (!valid.ok) return valid;
  }
  return ok({ time, authority: name(signer) });
}

/** The path from the signer to a trusted certificate, through the token's certificates. */
function chainTo(signer: ParsedCertificate, pool: readonly ParsedCertificate[], trusted: readonly ParsedCertificate[]): ParsedCertificate[] | null {
  const path = [signer];
  for (let current = signer; path.length <= 8; ) {
    if (trusted.some((t) => t.x509.raw.equals(current.x509.raw))) return path;
    const anchor = trusted.find((t) => issued(current, t));
    if (anchor) return [...path, anchor];
    const next = pool.find((c) => c !== current && !path.includes(c) && issued(current, c));
    if (!next) return null;
    path.push(next);
    current = next;
  }
  return null;
}

function issued(cert: ParsedCertificate, issuer: ParsedCertificate): boolean {
  try {
    return cert.x509.checkIssued(issuer.x509) && cert.x509.verify(issuer.x509.publicKey) && issuer.fields.isCa;
  } catch {
    return false;
  }
}

/** GeneralizedTime as RFC 3161 writes it: `YYYYMMDDhhmmss[.f]Z`. */
function generalizedTime(tlv: Tlv): Date {
  expectTag(tlv, Tag.GeneralizedTime);
  const text = Buffer.from(tlv.value).toString('latin1');
  const m = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(?:\.(\d*[1-9]))?Z$/.exec(text);
  if (!m) throw new DerError(`malformed genTime ${JSON.stringify(text)}`);
  const millis = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, millis));
}

/** Accuracy ::= SEQUENCE { seconds INTEGER OPTIONAL, millis [0] OPTIONAL, micros [1] OPTIONAL }, rounded up to seconds. */
function accuracySeconds(tlv: Tlv): number {
  let seconds = 0;
  for (const part of children(tlv)) {
    const value = Number(`0x${Buffer.from(part.value).toString('hex') || '0'}`);
    if (part.tag === Tag.Integer) seconds += value;
    else if (part.tag === 0x80) seconds += value / 1000;
    else if (part.tag === 0x81) seconds += value / 1_000_000;
  }
  return Math.ceil(seconds);
}

/** The whole element (tag, length, value) again as bytes. */
function encodedTlv(tlv: Tlv): Uint8Array {
  const n = tlv.value.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return Buffer.concat([Uint8Array.of(tlv.tag, ...length), tlv.value]);
}
