/**
 * What a service trusts of Notation and AWS Signer signatures (`verify.notation`, `verify.awsSigner`),
 * loaded: certificates parsed, identities parsed, a trust policy document resolved to statements. A
 * digest of each names it in the verified-digest cache, so that editing a trust store never reuses a
 * verdict reached under another one.
 */
import type { ParsedCertificate } from '../certificate';
import type { NotationTrust } from './notation-verification';

/** One trust policy statement: the images it covers and what it trusts for them. */
export interface NotationStatement {
  readonly name: string;
  /** `*`, or repositories as `registry/repository`. */
  readonly registryScopes: '*' | readonly string[];
  readonly trust: NotationTrust;
}

export interface NotationPolicy {
  /** Inline settings are one statement for every image; a trust policy document may have several. */
  readonly statements: readonly NotationStatement[];
  /** sha256 over the certificates, identities and scopes, hex. */
  readonly digest: string;
}

export interface AwsSignerPolicy {
  /** Signing profile ARNs (any version) or profile version ARNs whose signatures deploy. */
  readonly signingProfiles: readonly string[];
  /** The AWS Signer root certificates (Notation's `signingAuthority` type). */
  readonly trustStore: readonly ParsedCertificate[];
  readonly digest: string;
}

/** `any`: one satisfied mechanism verifies the image; `all`: every configured mechanism must. */
export const RequireMode = { Any: 'any', All: 'all' } as const;
export type RequireMode = (typeof RequireMode)[keyof typeof RequireMode];

/** The statement that covers `registry/repository`: an exact scope first, then `*`, as Notation picks. */
export function statementFor(policy: NotationPolicy, image: string): NotationStatement | null {
  return (
    policy.statements.find((s) => s.registryScopes !== '*' && s.registryScopes.includes(image)) ??
    policy.statements.find((s) => s.registryScopes === '*') ??
    null
  );
}
