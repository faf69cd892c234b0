/**
 * What a sigstore bundle proves under the policy. For an image (cosign v3): a DSSE envelope over an
 * in-toto statement whose subject digest is the image digest, of an accepted predicate type, signed by a
 * configured key or keyless identity. For a plain artifact (`cosign sign-blob`, used by the conformance
 * fixtures): a message signature over exactly the artifact's bytes.
 */
import { createHash } from 'node:crypto';
import { pae, parseStatement, subjectFor } from './dsse';
import { bytesEqual, fail, ok, sha256Hex, type CheckResult } from './encoding';
import type { VerificationPolicy } from './policy';
import { establishSigner, type EstablishedSigner } from './signer';
import type { SigstoreBundle } from './sigstore-bundle';
import type { VerifiedSignature } from './verified-signature';

export interface ImageExpectation {
  /** `sha256:<hex>` of the image manifest being deployed. */
  readonly digest: string;
  /** `registry/repository`, recorded when the statement's subject has no name. */
  readonly name: string;
}

export function verifyImageBundle(
  bundle: SigstoreBundle,
  expected: ImageExpectation,
  policy: VerificationPolicy,
  now: Date,
): CheckResult<VerifiedSignature> {
  if (bundle.content.kind !== 'dsse') {
    return fail('bundle holds a message signature, not a DSSE in-toto statement, so it names no image digest');
  }
  const { envelope } = bundle.content;
  if (envelope.signatures.length !== 1) return fail(`DSSE envelope has ${envelope.signatures.length} signatures; a sigstore bundle has exactly one`);
  const statement = parseStatement(envelope);
  if (!statement.ok) return statement;
  const signer = establishSigner(
    {
      signedBytes: pae(envelope.payloadType, envelope.payload),
      signature: envelope.signatures[0]!,
      loggedSha256: sha256Hex(envelope.payload),
      certificate: bundle.material.kind === 'certificate' ? bundle.material.certificate : null,
      tlogEntries: bundle.tlogEntries,
    },
    policy,
    now,
  );
  if (!signer.ok) return signer;
  const subject = subjectFor(statement.value, expected.digest);
  if (!subject.ok) return subject;
  const { predicateType } = statement.value;
  if (!policy.predicateTypes.includes(predicateType)) {
    return fail(`in-toto statement is of predicate type ${predicateType}, not an accepted one (${policy.predicateTypes.join(', ')})`);
  }
  return ok({
    signer: signer.value,
    format: 'sigstore-bundle',
    dockerReference: subject.value.name || expected.name,
    bundleMediaType: bundle.mediaType,
  });
}

/** A `messageSignature` bundle over `artifact` (the artifact's bytes are what was signed). */
export function verifyArtifactBundle(
  bundle: SigstoreBundle,
  artifact: Uint8Array,
  policy: VerificationPolicy,
  now: Date,
): CheckResult<EstablishedSigner> {
  if (bundle.content.kind !== 'messageSignature') return fail('bundle holds a DSSE envelope, not a message signature');
  const { digest, signature } = bundle.content;
  const actual = createHash('sha256').update(artifact).digest();
  if (digest && !bytesEqual(digest, actual)) return fail(`bundle message digest is not the artifact's sha256:${actual.toString('hex')}`);
  return establishSigner(
    { signedBytes: artifact, signature, loggedSha256: actual.toString('hex'), certificate: bundle.material.kind === 'certificate' ? bundle.material.certificate : null, tlogEntries: bundle.tlogEntries },
    policy,
    now,
  );
}
