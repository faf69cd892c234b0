/**
 * One cosign simple-signing signature (a layer of the `sha256-<hex>.sig` manifest) under the full policy:
 * the payload, a key or a keyless certificate (`dev.sigstore.cosign/certificate`), the Rekor bundle
 * (`dev.sigstore.cosign/bundle`), then the digest and repository the payload vouches for.
 */
import { parseCertificate } from './certificate';
import { checkSimpleSigningClaims, COSIGN_SIGNATURE_ANNOTATION, parseSimpleSigningPayload, type SimpleSigningExpectation } from './cosign-simple-signing';
import { decodeBase64, fail, ok, sha256Hex, type CheckResult } from './encoding';
import type { VerificationPolicy } from './policy';
import { parseCosignBundleAnnotation } from './rekor-entry';
import { establishSigner } from './signer';
import type { VerifiedSignature } from './verified-signature';

export const COSIGN_CERTIFICATE_ANNOTATION = 'dev.sigstore.cosign/certificate';
export const COSIGN_CHAIN_ANNOTATION = 'dev.sigstore.cosign/chain';
export const COSIGN_BUNDLE_ANNOTATION = 'dev.sigstore.cosign/bundle';

export interface SimpleSigningLayer {
  /** The payload blob, byte for byte. */
  readonly payload: Uint8Array;
  /** The layer descriptor's annotations. */
  readonly annotations: Readonly<Record<string, string>>;
}

export function verifySimpleSigningLayer(
  layer: SimpleSigningLayer,
  expected: SimpleSigningExpectation,
  policy: VerificationPolicy,
  now: Date,
): CheckResult<VerifiedSignature> {
  const encoded = layer.annotations[COSIGN_SIGNATURE_ANNOTATION];
  if (typeof encoded !== 'string') return fail(`no ${COSIGN_SIGNATURE_ANNOTATION} annotation`);
  const parsed = parseSimpleSigningPayload(layer.payload);
  if (!parsed.ok) return parsed;
  const signature = decodeBase64(encoded);
  if (!signature) return fail('signature is not valid base64');

  const pem = layer.annotations[COSIGN_CERTIFICATE_ANNOTATION];
  let certificate = null;
  if (pem !== undefined && pem.trim() !== '') {
    const cert = parseCertificate(pem);
    if (!cert.ok) return fail(`${COSIGN_CERTIFICATE_ANNOTATION} annotation ${cert.reason}`);
    certificate = cert.value;
  }
  const bundle = layer.annotations[COSIGN_BUNDLE_ANNOTATION];
  const entry = bundle === undefined ? null : parseCosignBundleAnnotation(bundle);
  if (entry && !entry.ok) return entry;

  const signer = establishSigner(
    {
      signedBytes: layer.payload,
      signature,
      loggedSha256: sha256Hex(layer.payload),
      certificate,
      tlogEntries: entry ? [entry.value] : [],
    },
    policy,
    now,
  );
  if (!signer.ok) return signer;
  const claims = checkSimpleSigningClaims(parsed.value, expected);
  if (!claims.ok) return claims;
  return ok({ signer: signer.value, format: 'simple-signing', dockerReference: parsed.value.dockerReference });
}
