/**
 * Sigstore bundles (protobuf-specs `Bundle`, JSON form), v0.1 to v0.3: what cosign v3 attaches to an
 * image through the OCI referrers API. Only read here; `bundle-verification.ts` decides what they prove.
 */
import { parseCertificate, type ParsedCertificate } from './certificate';
import { parseEnvelope, type DsseEnvelope } from './dsse';
import { isPlainObject } from '../plain-object';
import { decodeBase64, fail, ok, parseJsonBytes, type CheckResult } from './encoding';
import type { TlogEntry } from './rekor-entry';

export const BUNDLE_MEDIA_TYPE_V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';
/** The media types a bundle may declare, in its `mediaType` and as the referrer's `artifactType`. */
export const BUNDLE_MEDIA_TYPES: ReadonlySet<string> = new Set([
  BUNDLE_MEDIA_TYPE_V03,
  'application/vnd.dev.sigstore.bundle+json;version=0.3',
  'application/vnd.dev.sigstore.bundle+json;version=0.2',
  'application/vnd.dev.sigstore.bundle+json;version=0.1',
]);

export type BundleMaterial =
  | { readonly kind: 'certificate'; readonly certificate: ParsedCertificate }
  /** A key known to the verifier by other means; the hint is only a label, never trusted. */
  | { readonly kind: 'publicKey'; readonly hint: string | null };

export type BundleContent =
  | { readonly kind: 'dsse'; readonly envelope: DsseEnvelope }
  | {
      readonly kind: 'messageSignature';
      /** sha256 of the artifact, when the bundle records it. */
      readonly digest: Uint8Array | null;
      readonly signature: Uint8Array;
    };

export interface SigstoreBundle {
  readonly mediaType: string;
  readonly material: BundleMaterial;
  readonly tlogEntries: readonly TlogEntry[];
  readonly content: BundleContent;
}

export function parseBundle(bytes: Uint8Array): CheckResult<SigstoreBundle> {
  const doc = parseJsonBytes(bytes);
  if (!isPlainObject(doc)) return fail('bundle is not a JSON object');
  const mediaType = doc['mediaType'];
  if (typeof mediaType !== 'string' || !BUNDLE_MEDIA_TYPES.has(mediaType)) {
    return fail(`bundle media type ${JSON.stringify(mediaType)} is not a sigstore bundle v0.1-v0.3`);
  }
  const vm = doc['verificationMaterial'];
  if (!isPlainObject(vm)) return fail('bundle has no verificationMaterial');
  const material = readMaterial(vm);
  if (!material.ok) return material;
  const entries: TlogEntry[] = [];
  for (const [i, raw] of (Array.isArray(vm['tlogEntries']) ? vm['tlogEntries'] : []).entries()) {
    const entry = readTlogEntry(raw);
    if (!entry.ok) return fail(`bundle tlogEntries[${i}]: ${entry.reason}`);
    entries.push(entry.value);
  }
  const content = readContent(doc);
  if (!content.ok) return content;
  return ok({ mediaType, material: material.value, tlogEntries: entries, content: content.value });
}

function readMaterial(vm: Record<string, unknown>): CheckResult<BundleMaterial> {
  // v0.3 has `certificate`; v0.1 and v0.2 carry `x509CertificateChain`, leaf first.
  const chain = isPlainObject(vm['x509CertificateChain']) ? vm['x509CertificateChain']['certificates'] : undefined;
  const leaf = isPlainObject(vm['certificate']) ? vm['certificate'] : Array.isArray(chain) && isPlainObject(chain[0]) ? chain[0] : null;
  if (leaf) {
    const der = typeof leaf['rawBytes'] === 'string' ? decodeBase64(leaf['rawBytes']) : null;
    if (!der) return fail('bundle certificate is not base64');
    const certificate = parseCertificate(der);
    if (!certificate.ok) return fail(`bundle certificate ${certificate.reason}`);
    return ok({ kind: 'certificate', certificate: certificate.value });
  }
  if (isPlainObject(vm['publicKey'])) {
    const hint = vm['publicKey']['hint'];
    return ok({ kind: 'publicKey', hint: typeof hint === 'string' ? hint : null });
  }
  return fail('bundle verificationMaterial has neither a certificate nor a public key');
}

function readTlogEntry(raw: unknown): CheckResult<TlogEntry> {
  if (!isPlainObject(raw)) return fail('not an object');
  // proto3 JSON writes 64-bit integers as strings.
  const logIndex = count(raw['logIndex']);
  const integratedTime = count(raw['integratedTime']);
  const keyId = isPlainObject(raw['logId']) && typeof raw['logId']['keyId'] === 'string' ? decodeBase64(raw['logId']['keyId']) : null;
  const body = raw['canonicalizedBody'];
  if (logIndex === null || integratedTime === null || !keyId || typeof body !== 'string') return fail('malformed transparency log entry');
  const promise = isPlainObject(raw['inclusionPromise']) ? raw['inclusionPromise']['signedEntryTimestamp'] : undefined;
  return ok({
    logIndex,
    integratedTime,
    logId: Buffer.from(keyId).toString('hex'),
    body,
    signedEntryTimestamp: typeof promise === 'string' ? decodeBase64(promise) : null,
  });
}

function readContent(doc: Record<string, unknown>): CheckResult<BundleContent> {
  if (doc['dsseEnvelope'] !== undefined) {
    const envelope = parseEnvelope(doc['dsseEnvelope']);
    return envelope.ok ? ok({ kind: 'dsse', envelope: envelope.value }) : fail(`bundle ${envelope.reason}`);
  }
  const message = doc['messageSignature'];
  if (isPlainObject(message)) {
    const signature = typeof message['signature'] === 'string' ? decodeBase64(message['signature']) : null;
    if (!signature) return fail('bundle messageSignature.signature is not base64');
    const md = isPlainObject(message['messageDigest']) ? message['messageDigest'] : null;
    const digest = md && md['algorithm'] === 'SHA2_256' && typeof md['digest'] === 'string' ? decodeBase64(md['digest']) : null;
    return ok({ kind: 'messageSignature', digest, signature });
  }
  return fail('bundle has neither a dsseEnvelope nor a messageSignature');
}

function count(value: unknown): number | null {
  const n = typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : typeof value === 'number' ? value : Number.NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}
