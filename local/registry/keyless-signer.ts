/**
 * Signs images the way cosign does, with test or demo roots of trust: a keyless simple-signing layer
 * (certificate and Rekor bundle annotations, cosign 1-2) and a sigstore bundle v0.3 (DSSE over an
 * in-toto statement, cosign 3). The material is returned as data; pushing it is separate, so tests can
 * tamper with it first.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { COSIGN_SIGN_PREDICATE_TYPE, IN_TOTO_PAYLOAD_TYPE, pae } from '../../shared/signature/dsse';
import { BUNDLE_MEDIA_TYPE_V03 } from '../../shared/signature/sigstore-bundle';
import { simpleSigningPayload } from './cosign-signer';
import { issueLeaf, type LeafOptions, type San, type TestCa } from './test-certificates';
import { bundleTlogEntry, cosignBundleAnnotation, type TestRekorLog } from './test-rekor';

/** Who signs: a key pair, with the certificate that names its identity (keyless) or none (a cosign key). */
export interface Signer {
  readonly privateKey: KeyObject;
  readonly publicKeyPem: string;
  /** PEM of the signing certificate, for keyless. */
  readonly certificatePem?: string;
}

export interface KeylessIdentityOptions {
  readonly san: readonly San[];
  readonly issuer: string | null;
  /** When the certificate is issued; it is valid for ten minutes from then, like Fulcio's. */
  readonly at: Date;
  /** Anything else about the certificate (expired, wrong usage...). */
  readonly leaf?: Partial<LeafOptions>;
}

/** An ephemeral key and a Fulcio-like certificate for it, as `cosign sign` gets one. */
export function keylessSigner(ca: TestCa, identity: KeylessIdentityOptions): Signer {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const leaf = issueLeaf(ca, {
    publicKey,
    san: identity.san,
    issuer: identity.issuer,
    notBefore: identity.at,
    notAfter: new Date(identity.at.getTime() + 10 * 60_000),
    ...identity.leaf,
  });
  return { privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), certificatePem: leaf.pem };
}

export interface RekorOptions {
  readonly log: TestRekorLog;
  readonly integratedTime: Date;
}

export interface SimpleSigningLayerMaterial {
  readonly payload: Buffer;
  readonly annotations: Record<string, string>;
}

/** One `.sig` layer: the payload, its signature, and the certificate and Rekor bundle annotations. */
export function signSimpleSigning(options: {
  readonly dockerReference: string;
  readonly digest: string;
  readonly signer: Signer;
  readonly rekor?: RekorOptions;
}): SimpleSigningLayerMaterial {
  const payload = Buffer.from(simpleSigningPayload(options.dockerReference, options.digest));
  const signature = sign('sha256', payload, options.signer.privateKey).toString('base64');
  const annotations: Record<string, string> = { 'dev.cosignproject.cosign/signature': signature };
  if (options.signer.certificatePem) annotations['dev.sigstore.cosign/certificate'] = options.signer.certificatePem;
  if (options.rekor) {
    const verifierPem = options.signer.certificatePem ?? options.signer.publicKeyPem;
    const entry = options.rekor.log.hashedRekord({ payloadSha256: sha256(payload), signature, verifierPem }, options.rekor.integratedTime);
    annotations['dev.sigstore.cosign/bundle'] = cosignBundleAnnotation(entry);
  }
  return { payload, annotations };
}

/** A sigstore bundle v0.3 as `cosign sign` (v3) makes it: DSSE over an in-toto statement naming the digest. */
export function signImageBundle(options: {
  readonly digest: string;
  readonly subjectName: string;
  readonly signer: Signer;
  readonly rekor?: RekorOptions;
  readonly predicateType?: string;
}): Record<string, unknown> {
  const statement = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: options.subjectName, digest: { sha256: options.digest.replace(/^sha256:/, '') } }],
    predicateType: options.predicateType ?? COSIGN_SIGN_PREDICATE_TYPE,
    predicate: {},
  };
  const payload = Buffer.from(JSON.stringify(statement));
  const signature = sign('sha256', pae(IN_TOTO_PAYLOAD_TYPE, payload), options.signer.privateKey).toString('base64');
  const envelope = { payload: payload.toString('base64'), payloadType: IN_TOTO_PAYLOAD_TYPE, signatures: [{ sig: signature, keyid: '' }] };
  const certificate = options.signer.certificatePem;
  const tlogEntries = options.rekor
    ? [
        bundleTlogEntry(
          options.rekor.log.dsse(
            { payloadSha256: sha256(payload), signature, verifierPem: certificate ?? options.signer.publicKeyPem },
            sha256(Buffer.from(JSON.stringify(envelope))),
            options.rekor.integratedTime,
          ),
          'dsse',
        ),
      ]
    : [];
  const material = certificate
    ? { certificate: { rawBytes: pemBody(certificate) } }
    : { publicKey: { hint: createHash('sha256').update(Buffer.from(pemBody(options.signer.publicKeyPem), 'base64')).digest('base64') } };
  return { mediaType: BUNDLE_MEDIA_TYPE_V03, verificationMaterial: { ...material, tlogEntries }, dsseEnvelope: envelope };
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function pemBody(pem: string): string {
  return pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
}
