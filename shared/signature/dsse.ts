/**
 * DSSE envelopes and the in-toto statements cosign v3 signs inside them. The signature covers the
 * pre-authentication encoding (PAE) of the payload type and the payload bytes, never the JSON around
 * them; everything is read from the decoded payload bytes exactly as signed.
 */
import { isPlainObject } from '../plain-object';
import { decodeBase64, fail, ok, parseJsonBytes, type CheckResult } from './encoding';

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const STATEMENT_TYPES: ReadonlySet<string> = new Set(['https://in-toto.io/Statement/v0.1', 'https://in-toto.io/Statement/v1']);
/** The predicate type of `cosign sign` in cosign v3: an image signature, not some other attestation. */
export const COSIGN_SIGN_PREDICATE_TYPE = 'https://sigstore.dev/cosign/sign/v1';

export interface DsseEnvelope {
  readonly payloadType: string;
  /** The decoded payload: the bytes that were signed (inside the PAE). */
  readonly payload: Uint8Array;
  readonly signatures: readonly Uint8Array[];
}

export interface InTotoSubject {
  readonly name: string;
  readonly digest: Readonly<Record<string, string>>;
}

export interface InTotoStatement {
  readonly type: string;
  readonly predicateType: string;
  readonly subjects: readonly InTotoSubject[];
}

/** `DSSEv1 SP len(type) SP type SP len(body) SP body`, lengths as ASCII decimal byte counts. */
export function pae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.byteLength} `, 'utf8'),
    type,
    Buffer.from(` ${payload.byteLength} `, 'utf8'),
    payload,
  ]);
}

export function parseEnvelope(value: unknown): CheckResult<DsseEnvelope> {
  if (!isPlainObject(value)) return fail('DSSE envelope is not an object');
  const { payloadType, payload, signatures } = value;
  if (typeof payloadType !== 'string') return fail('DSSE envelope has no payloadType');
  const bytes = typeof payload === 'string' ? decodeBase64(payload) : null;
  if (!bytes) return fail('DSSE envelope payload is not base64');
  if (!Array.isArray(signatures) || signatures.length === 0) return fail('DSSE envelope has no signatures');
  const decoded: Uint8Array[] = [];
  for (const signature of signatures) {
    const sig = isPlainObject(signature) && typeof signature['sig'] === 'string' ? decodeBase64(signature['sig']) : null;
    if (!sig) return fail('DSSE envelope signature is not base64');
    decoded.push(sig);
  }
  return ok({ payloadType, payload: bytes, signatures: decoded });
}

/** Reads the envelope's payload as an in-toto statement; the payload type must say it is one. */
export function parseStatement(envelope: DsseEnvelope): CheckResult<InTotoStatement> {
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    return fail(`DSSE payload type is ${JSON.stringify(envelope.payloadType)}, not ${IN_TOTO_PAYLOAD_TYPE}`);
  }
  const doc = parseJsonBytes(envelope.payload);
  if (!isPlainObject(doc)) return fail('in-toto statement is not a JSON object');
  const type = doc['_type'];
  if (typeof type !== 'string' || !STATEMENT_TYPES.has(type)) return fail(`in-toto statement _type is ${JSON.stringify(type)}`);
  const predicateType = doc['predicateType'];
  if (typeof predicateType !== 'string') return fail('in-toto statement has no predicateType');
  const subject = doc['subject'];
  if (!Array.isArray(subject)) return fail('in-toto statement has no subject list');
  const subjects: InTotoSubject[] = [];
  for (const entry of subject) {
    if (!isPlainObject(entry) || !isPlainObject(entry['digest'])) return fail('in-toto statement has a malformed subject');
    const digest: Record<string, string> = {};
    for (const [algorithm, hex] of Object.entries(entry['digest'])) {
      if (typeof hex !== 'string') return fail('in-toto statement has a malformed subject digest');
      digest[algorithm] = hex;
    }
    subjects.push({ name: typeof entry['name'] === 'string' ? entry['name'] : '', digest });
  }
  return ok({ type, predicateType, subjects });
}

/** The subject that names the image digest (`sha256:<hex>`), or why none does. */
export function subjectFor(statement: InTotoStatement, imageDigest: string): CheckResult<InTotoSubject> {
  const hex = imageDigest.slice('sha256:'.length);
  const found = statement.subjects.find((s) => s.digest['sha256']?.toLowerCase() === hex);
  if (found) return ok(found);
  const named = statement.subjects.map((s) => Object.entries(s.digest).map(([a, h]) => `${a}:${h}`).join('/')).join(', ');
  return fail(`in-toto statement subject ${named || '(none)'} is not ${imageDigest}`);
}
