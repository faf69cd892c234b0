/**
 * cosign's "simple signing" signatures, checked without I/O: the payload is the exact bytes that were
 * signed, so every check runs on those bytes and never on a re-serialised copy.
 */
import type { VerificationKey } from '../config/types';
import { canonicalName, isSha256Digest, normalizeRepository, parseDockerReference } from './docker-reference';
import { isPlainObject } from '../plain-object';
import { decodeBase64, unknownKeys, type CheckResult } from './encoding';
import { loadPublicKey, verifyWith } from './public-key';

export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const COSIGN_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';

export interface SimpleSigningPayload {
  readonly dockerReference: string;
  readonly dockerManifestDigest: string;
  readonly optional: Readonly<Record<string, unknown>> | null;
}

export type { CheckResult } from './encoding';

export interface KeyMatch {
  /** The `VerificationKey.id` that verified the signature. */
  readonly key: string;
  /** sha256 of the key's SPKI DER, hex. */
  readonly keyFingerprint: string;
}

export interface SimpleSigningExpectation {
  /** The configured registry host the image was pushed to. */
  readonly registry: string;
  readonly repository: string;
  /** `sha256:<hex>` of the image manifest being deployed. */
  readonly digest: string;
}

export interface SimpleSigningInput {
  /** The payload blob, byte for byte as stored. */
  readonly payload: Uint8Array;
  /** The `dev.cosignproject.cosign/signature` annotation: base64, possibly with line breaks. */
  readonly signature: string;
  readonly keys: readonly VerificationKey[];
  readonly expected: SimpleSigningExpectation;
}

export type SimpleSigningVerdict =
  | (KeyMatch & { readonly ok: true; readonly dockerReference: string; readonly payload: SimpleSigningPayload })
  | { readonly ok: false; readonly reason: string };

/**
 * Runs every check on one signature: payload shape, signature by a configured key, then the digest and
 * repository it vouches for. The first failure is the reason.
 */
export function verifySimpleSigning(input: SimpleSigningInput): SimpleSigningVerdict {
  const parsed = parseSimpleSigningPayload(input.payload);
  if (!parsed.ok) return parsed;
  const signed = verifyPayloadSignature(input.payload, input.signature, input.keys);
  if (!signed.ok) return signed;
  const payload = parsed.value;
  const claims = checkSimpleSigningClaims(payload, input.expected);
  if (!claims.ok) return claims;
  return { ok: true, ...signed.value, dockerReference: payload.dockerReference, payload };
}

/** The digest and repository a payload vouches for, against the image being deployed. */
export function checkSimpleSigningClaims(payload: SimpleSigningPayload, expected: SimpleSigningExpectation): CheckResult<null> {
  if (payload.dockerManifestDigest !== expected.digest) {
    return { ok: false, reason: `payload signs ${payload.dockerManifestDigest}, not ${expected.digest}` };
  }
  const named = parseDockerReference(payload.dockerReference);
  if (named === null) {
    return { ok: false, reason: `payload docker-reference ${JSON.stringify(payload.dockerReference)} is not a valid reference` };
  }
  const wanted = canonicalName(normalizeRepository(expected.registry, expected.repository));
  if (canonicalName(named) !== wanted) {
    return { ok: false, reason: `payload names repository ${payload.dockerReference}, not ${wanted}` };
  }
  // A reference pinned to another digest contradicts the payload itself: refuse rather than guess.
  if (named.digest !== null && named.digest !== expected.digest) {
    return { ok: false, reason: `payload docker-reference ${payload.dockerReference} pins another digest` };
  }
  return { ok: true, value: null };
}

/**
 * Parses the payload as cosign and containers/image write it. Unknown fields inside `critical` are
 * refused: "critical" means a verifier that does not understand a field must not accept.
 */
export function parseSimpleSigningPayload(bytes: Uint8Array): CheckResult<SimpleSigningPayload> {
  const fail = (detail: string): CheckResult<SimpleSigningPayload> => ({
    ok: false,
    reason: `payload is not a cosign simple-signing payload: ${detail}`,
  });
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return fail('not UTF-8 JSON');
  }
  if (!isPlainObject(doc)) return fail('not a JSON object');
  const critical = doc['critical'];
  if (!isPlainObject(critical)) return fail('critical is missing or not an object');
  const extra = unknownKeys(critical, ['identity', 'image', 'type']);
  if (extra) return fail(`unknown critical field ${extra}`);
  if (critical['type'] !== COSIGN_SIGNATURE_TYPE) {
    return fail(`critical.type is ${JSON.stringify(critical['type'])}, not ${JSON.stringify(COSIGN_SIGNATURE_TYPE)}`);
  }
  const identity = critical['identity'];
  if (!isPlainObject(identity) || unknownKeys(identity, ['docker-reference'])) return fail('critical.identity is malformed');
  const reference = identity['docker-reference'];
  if (typeof reference !== 'string' || reference === '') return fail('critical.identity.docker-reference is not a string');
  const image = critical['image'];
  if (!isPlainObject(image) || unknownKeys(image, ['docker-manifest-digest'])) return fail('critical.image is malformed');
  const digest = image['docker-manifest-digest'];
  if (typeof digest !== 'string' || !isSha256Digest(digest)) {
    return fail('critical.image.docker-manifest-digest is not a sha256 digest');
  }
  const optional = doc['optional'];
  if (optional !== undefined && optional !== null && !isPlainObject(optional)) return fail('optional is not an object');
  return { ok: true, value: { dockerReference: reference, dockerManifestDigest: digest, optional: optional ?? null } };
}

/**
 * Verifies a base64 signature over `payload` against each key in turn. A key that cannot be used is
 * named in the reason and does not stop the others from being tried.
 */
export function verifyPayloadSignature(
  payload: Uint8Array,
  signature: string,
  keys: readonly VerificationKey[],
): CheckResult<KeyMatch> {
  if (keys.length === 0) return { ok: false, reason: 'no verification keys configured' };
  const bytes = decodeBase64(signature);
  if (bytes === null) return { ok: false, reason: 'signature is not valid base64' };
  const tried: string[] = [];
  const unusable: string[] = [];
  for (const candidate of keys) {
    const loaded = loadPublicKey(candidate.pem);
    if (!loaded.ok) {
      unusable.push(`${candidate.id}: ${loaded.reason}`);
      continue;
    }
    tried.push(candidate.id);
    if (verifyWith(loaded.value, payload, bytes)) {
      return { ok: true, value: { key: candidate.id, keyFingerprint: loaded.value.fingerprint } };
    }
  }
  const parts = [`tried ${tried.length > 0 ? tried.join(', ') : 'no usable key'}`];
  if (unusable.length > 0) parts.push(`unusable ${unusable.join(', ')}`);
  return { ok: false, reason: `not signed by any configured key (${parts.join('; ')})` };
}

/** sha256 of the SPKI DER of a PEM public key, hex: the same value whatever the file is called. */
export function keyFingerprint(pem: string): string {
  const loaded = loadPublicKey(pem);
  if (!loaded.ok) throw new Error(loaded.reason);
  return loaded.value.fingerprint;
}
