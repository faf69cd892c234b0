/**
 * Rekor transparency-log entries checked offline, the way cosign checks its bundles: the
 * SignedEntryTimestamp (SET) is the log's signature over canonical JSON
 * `{body, integratedTime, logID, logIndex}`, made with the key the trusted root lists for that log ID.
 * A valid SET proves the log accepted the entry at `integratedTime`; the entry's body must then be about
 * exactly what was verified: the same payload hash, the same signature, the same signing key.
 */
import { createPublicKey, X509Certificate } from 'node:crypto';
import { canonicalJson } from './canonical-json';
import { isPlainObject } from '../plain-object';
import { bytesEqual, decodeBase64, fail, isoSeconds, ok, type CheckResult } from './encoding';
import { spkiDer, verifyWith } from './public-key';
import { describeWindow, isWithin, type TransparencyLog, type TrustedRoot } from './trusted-root';

export interface TlogEntry {
  readonly logIndex: number;
  /** Hex. */
  readonly logId: string;
  /** Unix seconds. */
  readonly integratedTime: number;
  /** Base64 of the canonicalized entry, exactly as the log returned it. */
  readonly body: string;
  readonly signedEntryTimestamp: Uint8Array | null;
}

/** What the entry must record. */
export interface RekorBinding {
  /** sha256 (hex) of the bytes that were signed: the payload, the DSSE payload, or the artifact. */
  readonly payloadSha256: string;
  readonly signature: Uint8Array;
  /** SPKI DER of the key that verified the signature (the certificate's key for keyless). */
  readonly signerSpki: Uint8Array;
}

export interface VerifiedTlogEntry {
  readonly logIndex: number;
  readonly logId: string;
  readonly integratedTime: Date;
  readonly log: TransparencyLog;
}

/** Future integrated times beyond this are refused: a log does not sign entries ahead of its clock. */
const MAX_CLOCK_SKEW_SECONDS = 300;

/** cosign's `dev.sigstore.cosign/bundle` annotation: `{SignedEntryTimestamp, Payload{body,integratedTime,logIndex,logID}}`. */
export function parseCosignBundleAnnotation(text: string): CheckResult<TlogEntry> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return fail('Rekor bundle annotation is not JSON');
  }
  const payload = isPlainObject(doc) ? doc['Payload'] : undefined;
  if (!isPlainObject(doc) || !isPlainObject(payload)) return fail('Rekor bundle annotation has no Payload');
  const { body, integratedTime, logIndex, logID } = payload;
  const set = doc['SignedEntryTimestamp'];
  if (typeof body !== 'string' || !isCount(integratedTime) || !isCount(logIndex) || typeof logID !== 'string' || !/^[a-f0-9]{64}$/.test(logID)) {
    return fail('Rekor bundle annotation Payload is malformed');
  }
  const setBytes = typeof set === 'string' ? decodeBase64(set) : null;
  return ok({ logIndex, logId: logID, integratedTime, body, signedEntryTimestamp: setBytes });
}

/** Verifies the entry against the trusted root and the binding; answers when the log integrated it. */
export function verifyTlogEntry(entry: TlogEntry, binding: RekorBinding, root: TrustedRoot, now: Date): CheckResult<VerifiedTlogEntry> {
  const log = root.tlogs.find((t) => t.logId === entry.logId);
  if (!log) return fail(`Rekor entry names log ${entry.logId}, which is not in the trusted root ${root.source}`);
  const integratedTime = new Date(entry.integratedTime * 1000);
  if (!isWithin(log.validFor, integratedTime)) {
    return fail(`Rekor log ${entry.logId} key was not trusted at the entry's integrated time ${isoSeconds(integratedTime)} (trusted ${describeWindow(log.validFor)})`);
  }
  if (entry.integratedTime > now.getTime() / 1000 + MAX_CLOCK_SKEW_SECONDS) {
    return fail(`Rekor entry integrated time ${isoSeconds(integratedTime)} is in the future`);
  }
  if (!entry.signedEntryTimestamp) return fail('Rekor entry has no SignedEntryTimestamp to verify offline');
  const signed = canonicalJson({ body: entry.body, integratedTime: entry.integratedTime, logID: entry.logId, logIndex: entry.logIndex });
  if (!verifyWith(log.key, Buffer.from(signed, 'utf8'), entry.signedEntryTimestamp)) {
    return fail(`Rekor SignedEntryTimestamp does not verify with the key of log ${entry.logId} (entry ${entry.logIndex} altered?)`);
  }
  const bound = checkBody(entry.body, binding);
  if (!bound.ok) return bound;
  return ok({ logIndex: entry.logIndex, logId: entry.logId, integratedTime, log });
}

/** The logged body must record this payload, this signature and this key. */
function checkBody(body: string, binding: RekorBinding): CheckResult<null> {
  const bytes = decodeBase64(body);
  let doc: unknown;
  try {
    doc = bytes ? JSON.parse(Buffer.from(bytes).toString('utf8')) : undefined;
  } catch {
    doc = undefined;
  }
  if (!isPlainObject(doc) || !isPlainObject(doc['spec'])) return fail('Rekor entry body is not a Rekor entry');
  const spec = doc['spec'];
  const kind = `${String(doc['kind'])} ${String(doc['apiVersion'])}`;
  if (kind === 'hashedrekord 0.0.1') {
    const data = isPlainObject(spec['data']) && isPlainObject(spec['data']['hash']) ? spec['data']['hash'] : {};
    const signature = isPlainObject(spec['signature']) ? spec['signature'] : {};
    const publicKey = isPlainObject(signature['publicKey']) ? signature['publicKey']['content'] : undefined;
    return bindingMatches(binding, data['algorithm'], data['value'], [{ signature: signature['content'], verifier: publicKey }]);
  }
  if (kind === 'dsse 0.0.1') {
    const hash = isPlainObject(spec['payloadHash']) ? spec['payloadHash'] : {};
    const signatures = Array.isArray(spec['signatures']) ? spec['signatures'].filter(isPlainObject) : [];
    return bindingMatches(binding, hash['algorithm'], hash['value'], signatures.map((s) => ({ signature: s['signature'], verifier: s['verifier'] })));
  }
  return fail(`Rekor entry is of kind ${kind}, which this verifier does not check (hashedrekord 0.0.1 and dsse 0.0.1 only)`);
}

function bindingMatches(
  binding: RekorBinding,
  algorithm: unknown,
  value: unknown,
  signatures: readonly { readonly signature: unknown; readonly verifier: unknown }[],
): CheckResult<null> {
  if (algorithm !== 'sha256' || value !== binding.payloadSha256) {
    return fail(`Rekor entry records hash ${String(algorithm)}:${String(value)}, not the signed payload's sha256:${binding.payloadSha256}`);
  }
  const sameSignature = signatures.filter((s) => {
    const bytes = typeof s.signature === 'string' ? decodeBase64(s.signature) : null;
    return bytes !== null && bytesEqual(bytes, binding.signature);
  });
  if (sameSignature.length === 0) return fail('Rekor entry records another signature than the one verified');
  if (!sameSignature.some((s) => verifierSpki(s.verifier)?.equals(Buffer.from(binding.signerSpki)))) {
    return fail('Rekor entry records another public key or certificate than the one that verified the signature');
  }
  return ok(null);
}

/** The SPKI DER of a logged verifier: base64 of a PEM public key or certificate. */
function verifierSpki(value: unknown): Buffer | null {
  const pem = typeof value === 'string' ? decodeBase64(value) : null;
  if (!pem) return null;
  const text = Buffer.from(pem).toString('utf8');
  try {
    if (text.includes('-----BEGIN CERTIFICATE-----')) return spkiDer(new X509Certificate(text).publicKey);
    if (text.includes('-----BEGIN PUBLIC KEY-----')) return spkiDer(createPublicKey(text));
  } catch {
    return null;
  }
  return null;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
