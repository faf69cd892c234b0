/**
 * The Notary Project's COSE envelope (`application/cose`): a tagged COSE_Sign1 (RFC 9052, tag 18) whose
 * protected header holds alg (1), crit (2), content type (3) and the Notary headers under their text
 * labels, times as CBOR tag 1 (epoch seconds); the unprotected header holds x5chain (33), the signing
 * agent and the timestamp countersignature. The signature covers the Sig_structure
 * `["Signature1", protected, h'', payload]`.
 */
import { CborError, CborTag, decodeCbor, encodeCbor, type CborMap, type CborValue } from './cbor';
import { EnvelopeError, Header, NotationMediaType, type NotationEnvelope, type SignatureAlgorithm } from './envelope';
import { readHeaders, type HeaderValue } from './signed-headers';

const COSE_SIGN1_TAG = 18;
const Label = { Alg: 1, Crit: 2, ContentType: 3, X5Chain: 33 } as const;
const ALGORITHMS: ReadonlyMap<number, SignatureAlgorithm> = new Map([
  [-37, 'PS256'],
  [-38, 'PS384'],
  [-39, 'PS512'],
  [-7, 'ES256'],
  [-35, 'ES384'],
  [-36, 'ES512'],
]);

export function parseCoseEnvelope(bytes: Uint8Array): NotationEnvelope {
  let message: CborValue;
  let protectedMap: CborValue;
  try {
    message = decodeCbor(bytes);
    if (!(message instanceof CborTag) || message.tag !== COSE_SIGN1_TAG) throw new EnvelopeError('COSE envelope is not a tagged COSE_Sign1');
    message = message.value;
    if (!Array.isArray(message) || message.length !== 4) throw new EnvelopeError('COSE_Sign1 is not an array of four items');
    if (!(message[0] instanceof Uint8Array)) throw new EnvelopeError('COSE protected header is not a byte string');
    protectedMap = decodeCbor(message[0]);
  } catch (error) {
    if (error instanceof CborError) throw new EnvelopeError(`COSE envelope is not strict CBOR: ${error.message}`);
    throw error;
  }
  const [protectedBytes, unprotected, payload, signature] = message as [Uint8Array, CborValue, CborValue, CborValue];
  if (!(protectedMap instanceof Map)) throw new EnvelopeError('COSE protected header is not a map');
  if (!(unprotected instanceof Map)) throw new EnvelopeError('COSE unprotected header is not a map');
  if (!(payload instanceof Uint8Array)) throw new EnvelopeError('COSE payload is not attached as a byte string');
  if (!(signature instanceof Uint8Array)) throw new EnvelopeError('COSE signature is not a byte string');

  const algorithm = typeof protectedMap.get(Label.Alg) === 'number' ? ALGORITHMS.get(protectedMap.get(Label.Alg) as number) : undefined;
  if (!algorithm) throw new EnvelopeError(`COSE alg ${String(protectedMap.get(Label.Alg))} is not one of PS256/384/512, ES256/384/512`);
  const crit = protectedMap.get(Label.Crit);
  if (!Array.isArray(crit) || crit.some((c) => typeof c !== 'string')) {
    throw new EnvelopeError('COSE crit must list the critical headers by their text labels');
  }
  const contentType = protectedMap.get(Label.ContentType);
  const values: Record<string, HeaderValue> = {};
  for (const [label, value] of protectedMap) {
    if (label === Label.Alg || label === Label.Crit || label === Label.ContentType) continue;
    if (typeof label !== 'string') throw new EnvelopeError(`COSE protected header has label ${label}, which the Notary Project does not define`);
    values[label] = headerValue(label, value);
  }
  const headers = readHeaders(values, crit as string[], typeof contentType === 'string' ? contentType : String(contentType));

  const chain = unprotected.get(Label.X5Chain);
  const certificateChain = chain instanceof Uint8Array ? [chain] : Array.isArray(chain) ? chain : null;
  if (!certificateChain || certificateChain.length === 0 || certificateChain.some((c) => !(c instanceof Uint8Array))) {
    throw new EnvelopeError('COSE x5chain must hold the certificate chain as byte strings');
  }
  const timestamp = unprotected.get(Header.TimestampSignature);
  if (timestamp !== undefined && !(timestamp instanceof Uint8Array)) throw new EnvelopeError(`COSE ${Header.TimestampSignature} is not a byte string`);
  const agent = unprotected.get(Header.SigningAgent);
  if (agent !== undefined && typeof agent !== 'string') throw new EnvelopeError(`COSE ${Header.SigningAgent} is not text`);

  return {
    mediaType: NotationMediaType.Cose,
    algorithm,
    ...headers,
    payload,
    signedBytes: encodeCbor(['Signature1', protectedBytes, new Uint8Array(0), payload]),
    signature,
    certificateChain: certificateChain as Uint8Array[],
    timestampToken: (timestamp as Uint8Array | undefined) ?? null,
  };
}

function headerValue(label: string, value: CborValue): HeaderValue {
  if (label === Header.SigningTime || label === Header.AuthenticSigningTime || label === Header.Expiry) {
    if (!(value instanceof CborTag) || value.tag !== 1 || typeof value.value !== 'number') {
      throw new EnvelopeError(`COSE ${label} is not a tag 1 epoch time in whole seconds`);
    }
    return new Date(value.value * 1000);
  }
  if (typeof value === 'string') return value;
  return describe(value);
}

/** Non-text extended attributes are kept readable, not interpreted. */
function describe(value: CborValue): string {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (value instanceof CborTag) return `${value.tag}(${describe(value.value)})`;
  if (value instanceof Map) return JSON.stringify(Object.fromEntries([...(value as CborMap)].map(([k, v]) => [k, describe(v)])));
  if (Array.isArray(value)) return JSON.stringify(value.map(describe));
  return String(value);
}
