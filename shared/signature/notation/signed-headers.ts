/**
 * The Notary Project's rules for the signed headers, the same for JWS and COSE: the content type, the
 * signing scheme with its own signing-time header, which headers must be critical, and that every
 * critical header is present. Which extended critical headers are *understood* depends on the policy
 * (an AWS Signer signature carries its own) and is decided by the verifier.
 */
import { EnvelopeError, Header, NOTATION_PAYLOAD_TYPE, SigningScheme, type NotationEnvelope } from './envelope';

export type HeaderValue = string | Date;

const RESERVED = new Set<string>([Header.SigningScheme, Header.SigningTime, Header.AuthenticSigningTime, Header.Expiry]);

export type SignedHeaders = Pick<
  NotationEnvelope,
  'signingScheme' | 'signingTime' | 'authenticSigningTime' | 'expiry' | 'critical' | 'extendedAttributes'
>;

/** `values`: every signed header but alg, crit and content type, times already decoded. */
export function readHeaders(values: Readonly<Record<string, HeaderValue>>, critical: readonly string[], contentType: string): SignedHeaders {
  if (contentType !== NOTATION_PAYLOAD_TYPE) throw new EnvelopeError(`content type ${JSON.stringify(contentType)} is not ${NOTATION_PAYLOAD_TYPE}`);
  if (critical.length === 0) throw new EnvelopeError('crit is empty');
  if (new Set(critical).size !== critical.length) throw new EnvelopeError('crit lists a header twice');
  const scheme = values[Header.SigningScheme];
  if (scheme !== SigningScheme.X509 && scheme !== SigningScheme.SigningAuthority) {
    throw new EnvelopeError(`signing scheme ${JSON.stringify(scheme ?? null)} is neither ${SigningScheme.X509} nor ${SigningScheme.SigningAuthority}`);
  }
  const time = (name: string): Date | null => {
    const value = values[name];
    if (value === undefined) return null;
    if (!(value instanceof Date)) throw new EnvelopeError(`${name} is not a time`);
    return value;
  };
  const signingTime = time(Header.SigningTime);
  const authenticSigningTime = time(Header.AuthenticSigningTime);
  const expiry = time(Header.Expiry);
  const mustBeCritical: string[] = [Header.SigningScheme];
  if (scheme === SigningScheme.X509) {
    if (!signingTime) throw new EnvelopeError(`${Header.SigningTime} is required by the ${scheme} signing scheme`);
    if (authenticSigningTime) throw new EnvelopeError(`${Header.AuthenticSigningTime} must not appear with the ${scheme} signing scheme`);
  } else {
    if (!authenticSigningTime) throw new EnvelopeError(`${Header.AuthenticSigningTime} is required by the ${scheme} signing scheme`);
    if (signingTime) throw new EnvelopeError(`${Header.SigningTime} must not appear with the ${scheme} signing scheme`);
    mustBeCritical.push(Header.AuthenticSigningTime);
  }
  if (expiry) mustBeCritical.push(Header.Expiry);
  const notCritical = mustBeCritical.find((name) => !critical.includes(name));
  if (notCritical) throw new EnvelopeError(`${notCritical} must be marked critical`);
  const absent = critical.find((name) => values[name] === undefined);
  if (absent) throw new EnvelopeError(`${absent} is marked critical but not present`);
  const extendedAttributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    if (RESERVED.has(name)) continue;
    if (typeof value !== 'string') throw new EnvelopeError(`${name} is not a string`);
    extendedAttributes[name] = value;
  }
  return { signingScheme: scheme, signingTime, authenticSigningTime, expiry, critical: [...critical], extendedAttributes };
}
