export { CosignSignatureVerifier, signatureTag, type CosignSignatureVerifierOptions } from './cosign-signature-verifier';
export {
  COSIGN_SIGNATURE_ANNOTATION,
  COSIGN_SIGNATURE_TYPE,
  SIMPLE_SIGNING_MEDIA_TYPE,
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
