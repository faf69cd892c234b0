/**
 * A sigstore of our own for tests: a Fulcio-like CA (root and intermediate), a Rekor log, and a trusted
 * root trusting both, plus signing in both formats, so each test can get one thing wrong on purpose.
 */
import { keylessSigner, signImageBundle, signSimpleSigning, type KeylessIdentityOptions, type RekorOptions, type Signer } from '../../../local/registry/keyless-signer';
import { createIntermediateCa, createRootCa, type TestCa } from '../../../local/registry/test-certificates';
import { TestRekorLog, trustedRootJson } from '../../../local/registry/test-rekor';
import { verifyImageBundle } from '../../../shared/signature/bundle-verification';
import type { CheckResult } from '../../../shared/signature/encoding';
import type { VerificationPolicy } from '../../../shared/signature/policy';
import { parseBundle } from '../../../shared/signature/sigstore-bundle';
import { verifySimpleSigningLayer } from '../../../shared/signature/simple-signing-signature';
import type { VerifiedSignature } from '../../../shared/signature/verified-signature';
import { identity, policy, trustedRoot } from './policy-fixtures';

export const ISSUER = 'https://token.actions.githubusercontent.com';
export const SUBJECT = 'https://github.com/acme/web/.github/workflows/release.yml@refs/heads/main';
export const REGISTRY = '127.0.0.1:5000';
export const REPOSITORY = 'team/web';
export const DIGEST = `sha256:${'5e'.repeat(32)}`;
/** When CI signed; the certificate is valid for ten minutes from then. */
export const SIGNED_AT = new Date('2026-03-01T12:00:00Z');
export const LOGGED_AT = new Date('2026-03-01T12:00:05Z');
export const NOW = new Date('2026-03-02T00:00:00Z');

export interface TestSigstore {
  readonly root: TestCa;
  readonly intermediate: TestCa;
  readonly log: TestRekorLog;
  /** Trusts `intermediate` → `root` and `log`. */
  readonly policy: VerificationPolicy;
}

export function testSigstore(): TestSigstore {
  const root = createRootCa({ commonName: 'test-fulcio-root' });
  const intermediate = createIntermediateCa(root, { commonName: 'test-fulcio-intermediate' });
  const log = new TestRekorLog();
  const json = trustedRootJson({ authorities: [{ chain: [intermediate, root] }], logs: [{ log }] });
  return {
    root,
    intermediate,
    log,
    policy: policy({ keyless: [identity(ISSUER, SUBJECT)], rekor: 'required', trustedRoot: trustedRoot(json, 'test-root') }),
  };
}

export function ciSigner(ca: TestCa, overrides: Partial<KeylessIdentityOptions> = {}): Signer {
  return keylessSigner(ca, { san: [{ uri: SUBJECT }], issuer: ISSUER, at: SIGNED_AT, ...overrides });
}

export type Format = 'simple-signing' | 'sigstore-bundle';
export const FORMATS: readonly Format[] = ['simple-signing', 'sigstore-bundle'];

export interface SignOptions {
  readonly signer: Signer;
  readonly rekor?: RekorOptions | null;
  readonly digest?: string;
  readonly repository?: string;
}

/** Signs DIGEST in `format` and verifies it under `policy`, as the verifier would after fetching it. */
export function signAndVerify(format: Format, sigstore: TestSigstore, options: SignOptions, policyOverride?: Partial<VerificationPolicy>): CheckResult<VerifiedSignature> {
  const rekor = options.rekor === null ? undefined : (options.rekor ?? { log: sigstore.log, integratedTime: LOGGED_AT });
  const effective = { ...sigstore.policy, ...policyOverride };
  const digest = options.digest ?? DIGEST;
  const reference = `${REGISTRY}/${options.repository ?? REPOSITORY}`;
  if (format === 'simple-signing') {
    const layer = signSimpleSigning({ dockerReference: reference, digest, signer: options.signer, rekor });
    return verifySimpleSigningLayer(layer, { registry: REGISTRY, repository: REPOSITORY, digest: DIGEST }, effective, NOW);
  }
  const bundle = parseBundle(Buffer.from(JSON.stringify(signImageBundle({ digest, subjectName: reference, signer: options.signer, rekor }))));
  if (!bundle.ok) return bundle;
  return verifyImageBundle(bundle.value, { digest: DIGEST, name: `${REGISTRY}/${REPOSITORY}` }, effective, NOW);
}
