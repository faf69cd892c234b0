/**
 * Keyless identity constraints (`verify.keyless`), as cosign's `--certificate-identity[-regexp]` and
 * `--certificate-oidc-issuer[-regexp]` read them: the OIDC issuer from Fulcio's extension, the subject from
 * any SAN (email, URI, DNS name, Fulcio username). Regular expressions must match the whole value: an
 * unanchored `https://github.com/acme/` would also match `https://evil.example/?https://github.com/acme/`.
 */
import { describeSubjects, type ParsedCertificate } from './certificate';
import { fail, ok, type CheckResult } from './encoding';

/** One `verify.keyless` entry, compiled: exactly one of each exact/regexp pair is set. */
export interface KeylessIdentity {
  /** How records and reasons name it: `keyless[0]`. */
  readonly id: string;
  readonly issuer: string | null;
  /** A JavaScript regular expression, as written; it must match the whole issuer. */
  readonly issuerRegExp: string | null;
  readonly subject: string | null;
  /** A JavaScript regular expression, as written; it must match the whole subject. */
  readonly subjectRegExp: string | null;
}

export interface MatchedIdentity {
  /** The `verify.keyless` entry that matched. */
  readonly policy: string;
  readonly issuer: string;
  readonly subject: string;
}

/** Compiles a pattern as written in the config so that it must match the whole value. */
export function anchored(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`);
}

/** The first configured identity the certificate satisfies, or why none does. */
export function matchIdentity(cert: ParsedCertificate, allowed: readonly KeylessIdentity[]): CheckResult<MatchedIdentity> {
  if (allowed.length === 0) return fail('the signature has a certificate, but no keyless identities are configured');
  const { oidcIssuer, subjectAltNames } = cert.fields;
  const issuer = oidcIssuer ?? '';
  for (const identity of allowed) {
    if (!matches(issuer, identity.issuer, identity.issuerRegExp)) continue;
    const subject = subjectAltNames.find((name) => matches(name.value, identity.subject, identity.subjectRegExp));
    if (subject) return ok({ policy: identity.id, issuer, subject: subject.value });
  }
  return fail(
    `certificate identity ${describeSubjects(subjectAltNames)} issued by ${oidcIssuer ?? '(no OIDC issuer extension)'} ` +
      `matches no keyless identity (${allowed.map(describeIdentity).join('; ')})`,
  );
}

export function describeIdentity(identity: KeylessIdentity): string {
  const issuer = identity.issuer ?? `/${identity.issuerRegExp ?? ''}/`;
  const subject = identity.subject ?? `/${identity.subjectRegExp ?? ''}/`;
  return `${identity.id}: ${subject} from ${issuer}`;
}

const compiled = new Map<string, RegExp>();

function matches(value: string, exact: string | null, pattern: string | null): boolean {
  if (exact !== null) return value === exact;
  if (pattern === null) return false;
  let regExp = compiled.get(pattern);
  if (!regExp) compiled.set(pattern, (regExp = anchored(pattern)));
  return regExp.test(value);
}
