/**
 * What a service accepts as a signature (`verify:` in the config), and a stable hash of it: verified
 * digests are cached per policy, so editing keys, identities or the trusted root never reuses a verdict
 * reached under other rules.
 */
import type { VerificationKey } from '../config/types';
import { canonicalJson } from './canonical-json';
import { COSIGN_SIGN_PREDICATE_TYPE } from './dsse';
import { sha256Hex } from './encoding';
import type { KeylessIdentity } from './keyless-identity';
import { publicGoodTrustedRoot } from './public-good-trusted-root';
import type { TrustedRoot } from './trusted-root';

/** `required`: a signature counts only with a verified Rekor entry. `optional`: an entry is checked when present. */
export const RekorPolicy = { Required: 'required', Optional: 'optional' } as const;
export type RekorPolicy = (typeof RekorPolicy)[keyof typeof RekorPolicy];

export interface VerificationPolicy {
  /** cosign public keys; any one of them may sign (several for rotation). */
  readonly keys: readonly VerificationKey[];
  /** Fulcio identities; any one of them may sign. */
  readonly keyless: readonly KeylessIdentity[];
  readonly rekor: RekorPolicy;
  /** Certificate authorities for keyless signatures and the Rekor logs' keys. */
  readonly trustedRoot: TrustedRoot;
  /** in-toto predicate types a sigstore bundle may carry to count as a signature. */
  readonly predicateTypes: readonly string[];
}

export const DEFAULT_PREDICATE_TYPES: readonly string[] = [COSIGN_SIGN_PREDICATE_TYPE];

/** A policy as the config carries it (`ServiceConfig['verify']`): everything but the keys has a default. */
export interface PolicyInput {
  readonly keys: readonly VerificationKey[];
  /** Default none. */
  readonly keyless?: readonly KeylessIdentity[];
  /** Default `optional`, so that key-signed images without a Rekor entry keep verifying. */
  readonly rekor?: RekorPolicy;
  /** Default: the built-in public-good trusted root. */
  readonly trustedRoot?: TrustedRoot;
  /** Default: cosign's image-signature predicate only. */
  readonly predicateTypes?: readonly string[];
}

export function resolvePolicy(input: PolicyInput): VerificationPolicy {
  return {
    keys: input.keys,
    keyless: input.keyless ?? [],
    rekor: input.rekor ?? RekorPolicy.Optional,
    trustedRoot: input.trustedRoot ?? publicGoodTrustedRoot(),
    predicateTypes: input.predicateTypes ?? DEFAULT_PREDICATE_TYPES,
  };
}

/** The policy of a request that only names keys (the foundation's `VerifyImageRequest`). */
export function keysOnlyPolicy(keys: readonly VerificationKey[]): VerificationPolicy {
  return resolvePolicy({ keys });
}

export function policyHash(policy: VerificationPolicy): string {
  return sha256Hex(
    canonicalJson({
      keys: policy.keys.map((k) => ({ id: k.id, pem: k.pem })),
      keyless: policy.keyless.map((k) => ({
        id: k.id,
        issuer: k.issuer,
        issuerRegExp: k.issuerRegExp,
        subject: k.subject,
        subjectRegExp: k.subjectRegExp,
      })),
      rekor: policy.rekor,
      trustedRoot: policy.trustedRoot.digest,
      predicateTypes: [...policy.predicateTypes],
    }),
  );
}
