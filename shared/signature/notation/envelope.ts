/**
 * A Notary Project signature envelope, read from either encoding (JWS or COSE) into one shape: the
 * signed headers the specification defines, the extended signed attributes, the payload, the bytes the
 * signature covers and the certificate chain. Parsing checks structure only; what the signature proves
 * is decided in notation-verification.ts (docs/configuration.md, "Notation signatures").
 */

export const NotationMediaType = { Jws: 'application/jose+json', Cose: 'application/cose' } as const;
export type NotationMediaType = (typeof NotationMediaType)[keyof typeof NotationMediaType];

/** The artifact type of a Notation signature manifest (its referrer entry carries it). */
export const NOTATION_ARTIFACT_TYPE = 'application/vnd.cncf.notary.signature';
/** The only payload content type the specification defines. */
export const NOTATION_PAYLOAD_TYPE = 'application/vnd.cncf.notary.payload.v1+json';

export const SigningScheme = { X509: 'notary.x509', SigningAuthority: 'notary.x509.signingAuthority' } as const;
export type SigningScheme = (typeof SigningScheme)[keyof typeof SigningScheme];

export type SignatureAlgorithm = 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512';

/** Header names the Notary Project reserves (JWS names; COSE uses the same text labels). */
export const Header = {
  SigningScheme: 'io.cncf.notary.signingScheme',
  SigningTime: 'io.cncf.notary.signingTime',
  AuthenticSigningTime: 'io.cncf.notary.authenticSigningTime',
  Expiry: 'io.cncf.notary.expiry',
  VerificationPlugin: 'io.cncf.notary.verificationPlugin',
  VerificationPluginMinVersion: 'io.cncf.notary.verificationPluginMinVersion',
  SigningAgent: 'io.cncf.notary.signingAgent',
  TimestampSignature: 'io.cncf.notary.timestampSignature',
} as const;

export interface NotationEnvelope {
  readonly mediaType: NotationMediaType;
  readonly algorithm: SignatureAlgorithm;
  readonly signingScheme: SigningScheme;
  /** The signer's own claim (`notary.x509`): recorded, never used to extend a certificate's validity. */
  readonly signingTime: Date | null;
  /** Asserted by the signing authority (`notary.x509.signingAuthority`). */
  readonly authenticSigningTime: Date | null;
  readonly expiry: Date | null;
  /** Header names listed as critical (`crit`), as written. */
  readonly critical: readonly string[];
  /** Signed headers outside the specification's reserved set (AWS Signer's profile and job, plugin names). */
  readonly extendedAttributes: Readonly<Record<string, string>>;
  readonly payload: Uint8Array;
  /** What the signature covers: the JWS signing input, or the COSE Sig_structure. */
  readonly signedBytes: Uint8Array;
  /** The signature; ECDSA as r || s (both encodings use that form). */
  readonly signature: Uint8Array;
  /** DER certificates, the signing certificate first. */
  readonly certificateChain: readonly Uint8Array[];
  /** An RFC 3161 TimeStampToken over the signature, when the signer asked a TSA for one. */
  readonly timestampToken: Uint8Array | null;
}

export class EnvelopeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvelopeError';
  }
}
