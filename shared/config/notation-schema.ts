/**
 * `verify.notation` and `verify.awsSigner` (docs/configuration.md, "Notation and AWS Signer"): trust
 * stores are read and parsed, identities and profile ARNs checked, a Notation `trustpolicy.json`
 * resolved, all at start.
 *
 *   notation:
 *     trustStore: [certs/ci-root.pem]            CA certificates (PEM files or inline PEM), or
 *                 { ca: [...], signingAuthority: [...], tsa: [...] }
 *     trustedIdentities: ['x509.subject: C=US, ST=WA, O=Example, CN=ci.example.com']   or ['*']
 *   notation:                                     or a Notation trust policy document:
 *     trustPolicy: notation/trustpolicy.json     (or the document inline)
 *     trustStores: { 'ca:acme': [certs/acme-root.pem], 'tsa:globalsign': [certs/gs-r6.pem] }
 *   awsSigner:
 *     signingProfiles: [arn:aws:signer:us-east-1:123456789012:/signing-profiles/prod]
 *     trustStore: [certs/aws-signer-notation-root.pem]
 */
import { createHash } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { parseCertificate, type ParsedCertificate } from '../signature/certificate';
import type { AwsSignerPolicy, NotationPolicy, NotationStatement } from '../signature/notation/notation-policy';
import type { NotationTrust, NotationTrustStore } from '../signature/notation/notation-verification';
import { parseTrustedIdentity, type TrustedIdentity } from '../signature/notation/trusted-identity';
import { isInlinePem, type ReadTextFile } from './verification-keys';

export interface NotationSchemaContext {
  readonly baseDir: string;
  readonly readFile: ReadTextFile;
}

const STORE_TYPES = ['ca', 'signingAuthority', 'tsa'] as const;
type StoreType = (typeof STORE_TYPES)[number];

/** `arn:aws:signer:<region>:<account>:/signing-profiles/<name>[/<version>]`. */
const PROFILE_ARN = /^arn:aws[a-z-]*:signer:[a-z0-9-]+:\d{12}:\/signing-profiles\/[A-Za-z0-9_]{2,64}(\/[A-Za-z0-9]{10})?$/;

interface Loaded {
  readonly certs: ParsedCertificate[];
  readonly pems: string[];
}

export function notationSchemas(context: NotationSchemaContext) {
  /** One entry: a PEM file (one or more certificates) or inline PEM. */
  const certificates = z
    .array(z.string().min(1))
    .min(1, { error: 'must list at least one certificate' })
    .transform(async (entries, ctx): Promise<Loaded> => {
      const out: Loaded = { certs: [], pems: [] };
      for (const [i, entry] of entries.entries()) {
        const loaded = await loadCertificates(entry, context);
        if (typeof loaded === 'string') ctx.addIssue({ code: 'custom', path: [i], message: loaded, input: entry });
        else {
          out.certs.push(...loaded);
          out.pems.push(...loaded.map((c) => c.x509.toString()));
        }
      }
      return out;
    });

  const identities = z
    .array(z.string().min(1))
    .min(1, { error: "must list at least one identity, or '*'" })
    .transform((entries, ctx): '*' | TrustedIdentity[] => {
      if (entries.includes('*')) {
        if (entries.length > 1) ctx.addIssue({ code: 'custom', message: "'*' must be the only entry", input: entries });
        return '*';
      }
      const out: TrustedIdentity[] = [];
      for (const [i, entry] of entries.entries()) {
        const parsed = parseTrustedIdentity(entry);
        if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', path: [i], message: parsed, input: entry });
        else out.push(parsed);
      }
      return out;
    });

  const storeTypes = z.strictObject({ ca: certificates.nullish(), signingAuthority: certificates.nullish(), tsa: certificates.nullish() });
  // A list is CA certificates; a mapping names each store type. Parsed by shape, so that the problem
  // reported is the one inside the shape given (an unreadable file), not "matches neither shape".
  const trustStore = z.unknown().transform(async (value, ctx): Promise<NotationTrustStore | null> => {
    if (value == null) return null;
    const parsed = Array.isArray(value) ? await certificates.transform((ca) => ({ ca })).safeParseAsync(value) : await storeTypes.safeParseAsync(value);
    if (parsed.success) return toStore(parsed.data);
    for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message, input: value });
    return z.NEVER;
  });

  const notation = z
    .strictObject({
      trustStore: trustStore.optional(),
      trustedIdentities: identities.nullish(),
      trustPolicy: z
        .union([z.string().min(1), z.record(z.string(), z.unknown())], {
          error: (issue) => (issue.input == null ? undefined : 'must be a path to a Notation trustpolicy.json, or the document itself'),
        })
        .nullish(),
      trustStores: z.record(z.string(), certificates).nullish(),
    })
    .transform(async (entry, ctx): Promise<NotationPolicy> => {
      if (entry.trustPolicy != null) {
        for (const field of ['trustStore', 'trustedIdentities'] as const) {
          if (entry[field] != null) ctx.addIssue({ code: 'custom', path: [field], message: 'is set by the trust policy document: give one or the other', input: entry[field] });
        }
        const statements = await loadTrustPolicy(entry.trustPolicy, entry.trustStores ?? {}, context);
        if (typeof statements === 'string') {
          ctx.addIssue({ code: 'custom', path: ['trustPolicy'], message: statements, input: entry.trustPolicy });
          return z.NEVER;
        }
        return { statements, digest: digestOf(statements) };
      }
      if (entry.trustStores != null) ctx.addIssue({ code: 'custom', path: ['trustStores'], message: 'names the stores of a trustPolicy document, and there is none', input: entry.trustStores });
      if (entry.trustStore == null) ctx.addIssue({ code: 'custom', path: ['trustStore'], message: 'is required (or give trustPolicy)', input: undefined });
      if (entry.trustedIdentities == null) ctx.addIssue({ code: 'custom', path: ['trustedIdentities'], message: "is required: the signers' subjects, or ['*']", input: undefined });
      if (entry.trustStore == null || entry.trustedIdentities == null) return z.NEVER;
      const trust: NotationTrust = { trustStore: entry.trustStore, trustedIdentities: entry.trustedIdentities };
      const statements: NotationStatement[] = [{ name: 'verify.notation', registryScopes: '*', trust }];
      return { statements, digest: digestOf(statements) };
    });

  const awsSigner = z
    .strictObject({
      signingProfiles: z
        .array(
          z.string().check((ctx) => {
            if (!PROFILE_ARN.test(ctx.value)) {
              ctx.issues.push({ code: 'custom', input: ctx.value, message: 'must be a signing profile ARN (arn:aws:signer:<region>:<account>:/signing-profiles/<name>, optionally /<version>)' });
            }
          }),
        )
        .min(1, { error: 'must list at least one signing profile ARN' }),
      trustStore: certificates,
    })
    .transform(
      (entry): AwsSignerPolicy => ({
        signingProfiles: entry.signingProfiles,
        trustStore: entry.trustStore.certs,
        digest: sha256(JSON.stringify({ profiles: entry.signingProfiles, roots: entry.trustStore.pems })),
      }),
    );

  return { notation, awsSigner };
}

function toStore(store: Partial<Record<StoreType, Loaded | null>>): NotationTrustStore {
  return { ca: store.ca?.certs ?? [], signingAuthority: store.signingAuthority?.certs ?? [], tsa: store.tsa?.certs ?? [] };
}

function digestOf(statements: readonly NotationStatement[]): string {
  return sha256(
    JSON.stringify(
      statements.map((s) => ({
        name: s.name,
        scopes: s.registryScopes,
        identities: s.trust.trustedIdentities === '*' ? '*' : s.trust.trustedIdentities.map((i) => i.text),
        stores: STORE_TYPES.map((type) => s.trust.trustStore[type].map((c) => c.x509.fingerprint256)),
      })),
    ),
  );
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The certificates of a PEM file or inline PEM, or the problem. */
async function loadCertificates(entry: string, context: NotationSchemaContext): Promise<ParsedCertificate[] | string> {
  let text = entry;
  const prefix = isInlinePem(entry) ? '' : `${entry}: `;
  if (!isInlinePem(entry)) {
    try {
      text = await context.readFile(isAbsolute(entry) ? entry : resolve(context.baseDir, entry));
    } catch (error) {
      const code = error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : String(error);
      return `cannot read ${entry}: ${code}`;
    }
  }
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) return `${prefix}holds a private key: give the CA certificate only`;
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) return `${prefix}is not a PEM certificate (convert DER with: openssl x509 -inform der)`;
  const out: ParsedCertificate[] = [];
  for (const [i, block] of blocks.entries()) {
    const parsed = parseCertificate(block);
    if (!parsed.ok) return `${prefix}${parsed.reason}`;
    // As Notation's trust stores: a CA certificate, or a self-signed one (a signer that is its own root).
    const { x509, fields } = parsed.value;
    const selfSigned = x509.subject === x509.issuer && x509.verify(x509.publicKey);
    if (!fields.isCa && !selfSigned) {
      return `${prefix}certificate ${i + 1} (${x509.subject.split('\n').join(', ')}) is neither a CA certificate nor self-signed: a trust store holds roots`;
    }
    out.push(parsed.value);
  }
  return out;
}

/**
 * A Notation trust policy document (version 1.0): each statement's `trustStores` (`<type>:<name>`) must
 * be named under `trustStores`; only the `strict` verification level is accepted (the others let
 * failed checks pass, which a deploy gate must not).
 */
async function loadTrustPolicy(
  source: string | Record<string, unknown>,
  named: Readonly<Record<string, Loaded>>,
  context: NotationSchemaContext,
): Promise<NotationStatement[] | string> {
  let doc: unknown = source;
  const path = typeof source === 'string' ? source : 'the inline trust policy';
  if (typeof source === 'string') {
    let text: string;
    try {
      text = await context.readFile(isAbsolute(source) ? source : resolve(context.baseDir, source));
    } catch (error) {
      const code = error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : String(error);
      return `cannot read ${source}: ${code}`;
    }
    try {
      doc = JSON.parse(text);
    } catch {
      return `${source} is not JSON`;
    }
  }
  const parsed = trustPolicyDocument.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return `${path}: ${issue.path.join('.') || '(document)'} ${issue.message}`;
  }
  const statements: NotationStatement[] = [];
  for (const [i, statement] of parsed.data.trustPolicies.entries()) {
    const where = `${path}: trustPolicies[${i}] (${statement.name})`;
    const level = statement.signatureVerification.level;
    if (level !== 'strict') return `${where} has verification level ${level}: only strict is accepted`;
    if (statement.signatureVerification.override) return `${where} overrides verification checks: only strict is accepted`;
    const store: Record<StoreType, ParsedCertificate[]> = { ca: [], signingAuthority: [], tsa: [] };
    for (const reference of statement.trustStores) {
      const [type, name] = reference.split(':');
      if (!STORE_TYPES.includes(type as StoreType) || !name) return `${where} has trust store ${reference}, not <ca|signingAuthority|tsa>:<name>`;
      const certs = named[reference];
      if (!certs) return `${where} names trust store ${reference}, which verify.notation.trustStores does not give`;
      store[type as StoreType].push(...certs.certs);
    }
    let trustedIdentities: '*' | TrustedIdentity[] = [];
    if (statement.trustedIdentities.includes('*')) trustedIdentities = '*';
    else {
      for (const text of statement.trustedIdentities) {
        const identity = parseTrustedIdentity(text);
        if (typeof identity === 'string') return `${where} trusted identity ${JSON.stringify(text)} ${identity}`;
        trustedIdentities.push(identity);
      }
    }
    const scopes = statement.registryScopes.includes('*') ? '*' : statement.registryScopes;
    statements.push({ name: statement.name, registryScopes: scopes, trust: { trustStore: store, trustedIdentities } });
  }
  return statements;
}

const trustPolicyDocument = z.object({
  version: z.literal('1.0'),
  trustPolicies: z
    .array(
      z.object({
        name: z.string().min(1),
        registryScopes: z.array(z.string().min(1)).min(1),
        signatureVerification: z.object({ level: z.string(), override: z.record(z.string(), z.string()).optional(), verifyTimestamp: z.string().optional() }),
        trustStores: z.array(z.string()).min(1),
        trustedIdentities: z.array(z.string()).min(1),
      }),
    )
    .min(1),
});

/**
 * The policy as a self-contained `verify.notation` (the Lambda bundle has no certificate files): every
 * statement as an inline trust policy document, its stores named `<type>:<statement index>`.
 */
export function inlineNotation(policy: NotationPolicy): Record<string, unknown> {
  const trustStores: Record<string, string[]> = {};
  const trustPolicies = policy.statements.map((statement, i) => {
    const stores: string[] = [];
    for (const type of STORE_TYPES) {
      const certs = statement.trust.trustStore[type];
      if (certs.length === 0) continue;
      stores.push(`${type}:${i}`);
      trustStores[`${type}:${i}`] = certs.map((c) => c.x509.toString());
    }
    const identities = statement.trust.trustedIdentities;
    return {
      name: statement.name,
      registryScopes: statement.registryScopes === '*' ? ['*'] : statement.registryScopes,
      signatureVerification: { level: 'strict' },
      trustStores: stores,
      trustedIdentities: identities === '*' ? ['*'] : identities.map((identity) => identity.text),
    };
  });
  return { trustPolicy: { version: '1.0', trustPolicies }, trustStores };
}

/** `verify.awsSigner` with its root certificates inline. */
export function inlineAwsSigner(policy: AwsSignerPolicy): Record<string, unknown> {
  return { signingProfiles: policy.signingProfiles, trustStore: policy.trustStore.map((c) => c.x509.toString()) };
}
