/**
 * A sigstore trusted_root.json (the format of sigstore's TUF `trusted_root.json`), read into what the
 * verifier trusts: certificate authorities (Fulcio or a private CA: a chain ending in a self-signed root)
 * and transparency logs (Rekor: a key per log ID), each with the window it is trusted for. CT logs and
 * timestamp authorities are read past: this verifier checks neither SCTs nor RFC 3161 timestamps.
 */
import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { distinguishedName } from './certificate';
import { isPlainObject } from '../plain-object';
import { decodeBase64, fail, ok, sha256Hex, type CheckResult } from './encoding';
import { classify, type PublicKey } from './public-key';

export const TRUSTED_ROOT_MEDIA_TYPE = 'application/vnd.dev.sigstore.trustedroot+json';

export interface ValidFor {
  readonly start: Date | null;
  readonly end: Date | null;
}

export interface CertificateAuthority {
  readonly uri: string;
  /** `O=sigstore.dev, CN=sigstore`: the root's subject, for reasons and records. */
  readonly name: string;
  /** Issuer first, root last; each certificate was checked at load to be issued by the next. */
  readonly chain: readonly X509Certificate[];
  readonly validFor: ValidFor;
}

export interface TransparencyLog {
  readonly baseUrl: string;
  /** Hex; for Rekor, sha256 of the key's SPKI DER. */
  readonly logId: string;
  readonly key: PublicKey;
  readonly validFor: ValidFor;
}

export interface TrustedRoot {
  /** Where it came from: a path as configured, or `public-good (built in)`. */
  readonly source: string;
  /** sha256 of the file, hex: part of the policy hash, so a changed root invalidates cached verdicts. */
  readonly digest: string;
  /** The JSON text as read, so the config can be written out again (the Lambda bundle inlines it). */
  readonly text: string;
  readonly certificateAuthorities: readonly CertificateAuthority[];
  readonly tlogs: readonly TransparencyLog[];
}

/** Parses the JSON text; the reason names the first field that is wrong, by its path. */
export function parseTrustedRoot(text: string, source: string): CheckResult<TrustedRoot> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return fail('is not JSON');
  }
  if (!isPlainObject(doc)) return fail('is not a JSON object');
  const mediaType = doc['mediaType'];
  if (typeof mediaType !== 'string' || !mediaType.startsWith(TRUSTED_ROOT_MEDIA_TYPE)) {
    return fail(`mediaType is ${JSON.stringify(mediaType)}, not ${TRUSTED_ROOT_MEDIA_TYPE};version=0.1`);
  }
  try {
    const tlogs = list(doc, 'tlogs').map((entry, i) => readLog(entry, `tlogs[${i}]`));
    const certificateAuthorities = list(doc, 'certificateAuthorities').map((entry, i) => readAuthority(entry, `certificateAuthorities[${i}]`));
    if (tlogs.length === 0 && certificateAuthorities.length === 0) return fail('has neither tlogs nor certificateAuthorities');
    return ok({ source, digest: sha256Hex(text), text, certificateAuthorities, tlogs });
  } catch (error) {
    if (error instanceof RootError) return fail(error.message);
    throw error;
  }
}

/** True when `at` lies in the window (either end may be open). */
export function isWithin(window: ValidFor, at: Date): boolean {
  return (window.start === null || at >= window.start) && (window.end === null || at <= window.end);
}

export function describeWindow(window: ValidFor): string {
  return `${window.start?.toISOString() ?? '(open)'} to ${window.end?.toISOString() ?? '(open)'}`;
}

class RootError extends Error {}

function list(doc: Record<string, unknown>, field: string): unknown[] {
  const value = doc[field];
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new RootError(`${field} is not a list`);
  return value;
}

function readLog(entry: unknown, path: string): TransparencyLog {
  if (!isPlainObject(entry)) throw new RootError(`${path} is not an object`);
  const publicKey = entry['publicKey'];
  if (!isPlainObject(publicKey)) throw new RootError(`${path}.publicKey is missing`);
  const der = bytesField(publicKey, 'rawBytes', `${path}.publicKey`);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
  } catch {
    throw new RootError(`${path}.publicKey.rawBytes is not a DER public key`);
  }
  const loaded = classify(key);
  if (!loaded.ok) throw new RootError(`${path}.publicKey: ${loaded.reason}`);
  const logId = entry['logId'];
  if (!isPlainObject(logId)) throw new RootError(`${path}.logId is missing`);
  const baseUrl = typeof entry['baseUrl'] === 'string' ? entry['baseUrl'] : '(no baseUrl)';
  return {
    baseUrl,
    logId: Buffer.from(bytesField(logId, 'keyId', `${path}.logId`)).toString('hex'),
    key: loaded.value,
    validFor: readWindow(publicKey['validFor'], `${path}.publicKey.validFor`),
  };
}

function readAuthority(entry: unknown, path: string): CertificateAuthority {
  if (!isPlainObject(entry)) throw new RootError(`${path} is not an object`);
  const certChain = entry['certChain'];
  const certificates = isPlainObject(certChain) ? certChain['certificates'] : undefined;
  if (!Array.isArray(certificates) || certificates.length === 0) throw new RootError(`${path}.certChain.certificates is empty or missing`);
  const chain = certificates.map((c, i) => {
    const where = `${path}.certChain.certificates[${i}]`;
    if (!isPlainObject(c)) throw new RootError(`${where} is not an object`);
    try {
      return new X509Certificate(Buffer.from(bytesField(c, 'rawBytes', where)));
    } catch (error) {
      if (error instanceof RootError) throw error;
      throw new RootError(`${where}.rawBytes is not a DER certificate`);
    }
  });
  // A chain that does not hold together would make every keyless signature fail with a misleading reason.
  chain.forEach((cert, i) => {
    const issuer = chain[i + 1] ?? cert;
    if (!cert.ca) throw new RootError(`${path}.certChain.certificates[${i}] is not a CA certificate`);
    if (!cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) {
      const what = i === chain.length - 1 ? 'is not self-signed (the last certificate must be the root)' : 'is not issued by the next certificate';
      throw new RootError(`${path}.certChain.certificates[${i}] ${what}`);
    }
  });
  return {
    uri: typeof entry['uri'] === 'string' ? entry['uri'] : '(no uri)',
    name: distinguishedName(chain[chain.length - 1]!.subject),
    chain,
    validFor: readWindow(entry['validFor'], `${path}.validFor`),
  };
}

function bytesField(object: Record<string, unknown>, field: string, path: string): Uint8Array {
  const value = object[field];
  const bytes = typeof value === 'string' ? decodeBase64(value) : null;
  if (!bytes) throw new RootError(`${path}.${field} is not base64`);
  return bytes;
}

function readWindow(value: unknown, path: string): ValidFor {
  if (value === undefined) return { start: null, end: null };
  if (!isPlainObject(value)) throw new RootError(`${path} is not an object`);
  const time = (field: 'start' | 'end'): Date | null => {
    const text = value[field];
    if (text === undefined) return null;
    const date = typeof text === 'string' ? new Date(text) : new Date(Number.NaN);
    if (Number.isNaN(date.getTime())) throw new RootError(`${path}.${field} is not an RFC 3339 time`);
    return date;
  };
  return { start: time('start'), end: time('end') };
}
