export {
  CosignSignatureVerifier,
  signatureTag,
  type CosignSignatureVerifierOptions,
  type VerifyPolicyRequest,
} from './cosign-signature-verifier';
export {
  COSIGN_SIGNATURE_ANNOTATION,
  COSIGN_SIGNATURE_TYPE,
  SIMPLE_SIGNING_MEDIA_TYPE,
  checkSimpleSigningClaims,
  keyFingerprint,
  parseSimpleSigningPayload,
  verifyPayloadSignature,
  verifySimpleSigning,
  type CheckResult,
  type KeyMatch,
  type SimpleSigningExpectation,
  type SimpleSigningInput,
  type SimpleSigningPayload,
  type SimpleSigningVerdict,
} from './cosign-simple-signing';
export {
  canonicalName,
  isRepositoryName,
  isSha256Digest,
  normalizeRepository,
  parseDockerReference,
  type RepositoryName,
} from './docker-reference';
export { verifyArtifactBundle, verifyImageBundle, type ImageExpectation } from './bundle-verification';
export { COSIGN_SIGN_PREDICATE_TYPE, IN_TOTO_PAYLOAD_TYPE, pae } from './dsse';
export { anchored, describeIdentity, matchIdentity, type KeylessIdentity, type MatchedIdentity } from './keyless-identity';
export { DEFAULT_PREDICATE_TYPES, keysOnlyPolicy, policyHash, RekorPolicy, resolvePolicy, type PolicyInput, type VerificationPolicy } from './policy';
export { PUBLIC_GOOD_TRUSTED_ROOT_JSON, publicGoodTrustedRoot } from './public-good-trusted-root';
export { parseTrustedRoot, type CertificateAuthority, type TransparencyLog, type TrustedRoot } from './trusted-root';
export { BUNDLE_MEDIA_TYPE_V03, BUNDLE_MEDIA_TYPES, parseBundle, type SigstoreBundle } from './sigstore-bundle';
export { COSIGN_BUNDLE_ANNOTATION, COSIGN_CERTIFICATE_ANNOTATION, verifySimpleSigningLayer } from './simple-signing-signature';
export { VerifiedCache, type VerifiedCacheOptions } from './verified-cache';
