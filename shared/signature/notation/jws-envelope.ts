/**
 * The Notary Project's JWS envelope (`application/jose+json`): the flattened JSON serialization of RFC
 * 7515 with `payload`, `protected`, `header` and `signature`, nothing else. The protected header holds
 * `alg`, `crit`, `cty` and the Notary headers; of the unprotected one only `x5c`, the signing agent and
 * the timestamp countersignature are read.
 */
import { isPlainObject } from '../../plain-object';
import { decodeBase64 } from '../encoding';
import { EnvelopeError, Header, NotationMediaType, type NotationEnvelope, type SignatureAlgorithm } from './envelope';
import { readHeaders, type HeaderValue } from './signed-headers';

const ALGORITHMS: readonly SignatureAlgorithm[] = ['PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'];
/** Headers RFC 7515 defines, which `crit` must never list. */
const JWS_STANDARD = new Set(['alg', 'jku', 'jwk', 'kid', 'x5u', 'x5c', 'x5t', 'x5t#S256', 'typ', 'cty', 'crit']);

export function parseJwsEnvelope(bytes: Uint8Array): NotationEnvelope {
  const json = parseJson(bytes, 'envelope');
  if (!isPlainObject(json)) throw new EnvelopeError('JWS envelope is not a JSON object');
  const keys = Object.keys(json).sort().join(',');
  if (keys !== 'header,payload,protected,signature') {
    throw new EnvelopeError(`JWS envelope must have exactly payload, protected, header and signature (it has ${keys || 'nothing'})`);
  }
  const { payload, protected: protectedText, header, signature } = json;
  if (typeof payload !== 'string' || typeof protectedText !== 'string' || typeof signature !== 'string') {
    throw new EnvelopeError('JWS payload, protected and signature must be base64url strings');
  }
  const protectedHeader = parseJson(base64Url(protectedText, 'protected header'), 'protected header');
  if (!isPlainObject(protectedHeader)) throw new EnvelopeError('JWS protected header is not a JSON object');
  const { alg, crit, cty, ...rest } = protectedHeader;
  if (typeof alg !== 'string' || !(ALGORITHMS as readonly string[]).includes(alg)) {
    throw new EnvelopeError(`JWS alg ${JSON.stringify(alg)} is not one of ${ALGORITHMS.join(', ')}`);
  }
  if (!Array.isArray(crit) || crit.some((c) => typeof c !== 'string')) throw new EnvelopeError('JWS crit must be a list of header names');
  const standard = (crit as string[]).find((c) => JWS_STANDARD.has(c));
  if (standard) throw new EnvelopeError(`JWS crit lists ${standard}, a header the JWS specification itself defines`);
  const values: Record<string, HeaderValue> = {};
  for (const [name, value] of Object.entries(rest)) {
    if (typeof value === 'string') values[name] = isTimeHeader(name) ? rfc3339(value, name) : value;
    else values[name] = JSON.stringify(value);
  }
  const headers = readHeaders(values, crit as string[], typeof cty === 'string' ? cty : JSON.stringify(cty));

  if (!isPlainObject(header)) throw new EnvelopeError('JWS unprotected header is not a JSON object');
  // Other unprotected entries are read by no one (they are not signed): Notation's own reader skips them too.
  const { x5c } = header;
  if (!Array.isArray(x5c) || x5c.length === 0) throw new EnvelopeError('JWS x5c must list the certificate chain');
  const certificateChain = x5c.map((entry, i) => {
    const der = typeof entry === 'string' ? decodeBase64(entry) : null;
    if (!der) throw new EnvelopeError(`JWS x5c[${i}] is not base64 DER`);
    return der;
  });
  const timestamp = header[Header.TimestampSignature];
  let timestampToken: Uint8Array | null = null;
  if (timestamp !== undefined) {
    timestampToken = typeof timestamp === 'string' ? decodeBase64(timestamp) : null;
    if (!timestampToken) throw new EnvelopeError(`JWS ${Header.TimestampSignature} is not base64`);
  }
  const signingAgent = header[Header.SigningAgent];
  if (signingAgent !== undefined && typeof signingAgent !== 'string') throw new EnvelopeError(`JWS ${Header.SigningAgent} is not a string`);

  return {
    mediaType: NotationMediaType.Jws,
    algorithm: alg as SignatureAlgorithm,
    ...headers,
    payload: base64Url(payload, 'payload'),
    signedBytes: new TextEncoder().encode(`${protectedText}.${payload}`),
    signature: base64Url(signature, 'signature'),
    certificateChain,
    timestampToken,
  };
}

function isTimeHeader(name: string): boolean {
  return name === Header.SigningTime || name === Header.AuthenticSigningTime || name === Header.Expiry;
}

/** RFC 3339 date-time, as the specification writes JWS times. */
function rfc3339(text: string, name: string): Date {
  const match = /^(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(\.\d+)?([Zz]|[+-]\d\d:\d\d)$/.exec(text);
  const date = match ? new Date(text) : null;
  if (!date || Number.isNaN(date.getTime())) throw new EnvelopeError(`JWS ${name} ${JSON.stringify(text)} is not an RFC 3339 time`);
  return date;
}

/** Strict base64url without padding, as JWS writes it. */
function base64Url(text: string, what: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) throw new EnvelopeError(`JWS ${what} is not base64url`);
  const bytes = Buffer.from(text, 'base64url');
  // Non-canonical trailing bits would give two texts for one value.
  if (bytes.toString('base64url') !== text) throw new EnvelopeError(`JWS ${what} is not canonical base64url`);
  return bytes;
}

function parseJson(bytes: Uint8Array, what: string): unknown {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return JSON.parse(text, (key, value: unknown) => {
      if (key === '__proto__') throw new EnvelopeError(`JWS ${what} has a __proto__ key`);
      return value;
    });
  } catch (error) {
    if (error instanceof EnvelopeError) throw error;
    throw new EnvelopeError(`JWS ${what} is not UTF-8 JSON`);
  }
}
