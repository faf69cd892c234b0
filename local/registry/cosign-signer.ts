/**
 * Writes cosign key signatures the way `cosign sign --key` does, for tests and the demo: Debian's skopeo
 * cannot write sigstore signatures to a registry, and the verifier must be checked against the real
 * layout rather than a shape of our own.
 */
import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { OciRegistryClient } from '../../shared/adapters/oci-registry/oci-registry-client';
import { MediaType, type Descriptor, type ImageManifest } from '../../shared/adapters/oci-registry/types';
import {
  COSIGN_SIGNATURE_ANNOTATION,
  COSIGN_SIGNATURE_TYPE,
  SIMPLE_SIGNING_MEDIA_TYPE,
  keyFingerprint,
} from '../../shared/signature/cosign-simple-signing';
import { signatureTag } from '../../shared/signature/cosign-signature-verifier';
import { Secret } from '../../shared/config/secret';

export interface CosignKeyPair {
  /** PKCS#8 PEM (unencrypted: these keys only ever sign throwaway images). */
  readonly privateKeyPem: string;
  /** SPKI PEM, as in cosign's `cosign.pub`. */
  readonly publicKeyPem: string;
  /** sha256 of the SPKI DER, hex. */
  readonly fingerprint: string;
}

/** An ECDSA P-256 key pair, the kind `cosign generate-key-pair` makes. */
export function generateCosignKeyPair(): CosignKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem,
    fingerprint: keyFingerprint(publicKeyPem),
  };
}

/** The payload bytes exactly as cosign marshals them (Go's field order, `optional: null`). */
export function simpleSigningPayload(dockerReference: string, digest: string): Uint8Array {
  const payload = {
    critical: {
      identity: { 'docker-reference': dockerReference },
      image: { 'docker-manifest-digest': digest },
      type: COSIGN_SIGNATURE_TYPE,
    },
    optional: null,
  };
  return Buffer.from(JSON.stringify(payload), 'utf8');
}

/** ECDSA (DER) or RSA PKCS#1 v1.5 over SHA-256, or pure Ed25519, base64: cosign's signature annotation. */
export function signPayload(payload: Uint8Array, privateKeyPem: string): string {
  const key = createPrivateKey(privateKeyPem);
  const algorithm = key.asymmetricKeyType === 'ed25519' ? null : 'sha256';
  return sign(algorithm, payload, { key, dsaEncoding: 'der' }).toString('base64');
}

export interface PushCosignSignatureOptions {
  /** `host[:port]` of the registry. */
  readonly host: string;
  readonly repository: string;
  /** The signed image's manifest digest: the signature goes under `sha256-<hex>.sig`. */
  readonly digest: string;
  readonly privateKeyPem: string;
  /** Default `host/repository`, what cosign writes. */
  readonly dockerReference?: string;
  /** The digest written into the payload. Default `digest`; tests set another one to forge a mismatch. */
  readonly claimedDigest?: string;
  /** Default true (plain HTTP): these registries run on loopback. */
  readonly insecure?: boolean;
  readonly username?: string;
  readonly password?: string;
}

export interface PushedSignature {
  readonly tag: string;
  /** Digest of the `.sig` manifest after this push. */
  readonly manifestDigest: string;
  readonly payload: Uint8Array;
  readonly payloadDigest: string;
  readonly signature: string;
}

/**
 * Signs and uploads one signature. Like cosign, it appends a layer to the image's existing `.sig`
 * manifest (skipping an identical one) instead of replacing signatures that are already there.
 */
export async function pushCosignSignature(options: PushCosignSignatureOptions): Promise<PushedSignature> {
  const payload = simpleSigningPayload(
    options.dockerReference ?? `${options.host}/${options.repository}`,
    options.claimedDigest ?? options.digest,
  );
  const signature = signPayload(payload, options.privateKeyPem);
  const pushed = await pushSimpleSigningLayer({ ...options, payload, annotations: { [COSIGN_SIGNATURE_ANNOTATION]: signature } });
  return { ...pushed, payload, signature };
}

export interface PushSimpleSigningLayerOptions {
  readonly host: string;
  readonly repository: string;
  /** The signed image's manifest digest: the layer goes into `sha256-<hex>.sig`. */
  readonly digest: string;
  readonly payload: Uint8Array;
  /** The layer's annotations: the signature, and for keyless the certificate and Rekor bundle. */
  readonly annotations: Readonly<Record<string, string>>;
  readonly insecure?: boolean;
  readonly username?: string;
  readonly password?: string;
}

/**
 * Appends one prepared simple-signing layer to the image's `.sig` manifest, as cosign does (skipping an
 * identical one) instead of replacing signatures that are already there.
 */
export async function pushSimpleSigningLayer(options: PushSimpleSigningLayerOptions): Promise<Omit<PushedSignature, 'payload' | 'signature'>> {
  const client = new OciRegistryClient({
    host: options.host,
    config: { insecure: options.insecure ?? true, username: options.username, ...(options.password === undefined ? {} : { password: new Secret(options.password) }) },
  });
  const { repository, payload } = options;
  const tag = signatureTag(options.digest);
  const payloadDigest = await client.putBlob(repository, payload);
  const layer: Descriptor = { mediaType: SIMPLE_SIGNING_MEDIA_TYPE, size: payload.byteLength, digest: payloadDigest, annotations: { ...options.annotations } };

  const existing = await client.getManifest(repository, tag, [MediaType.OciManifest]);
  const previous = existing ? ((existing.json as ImageManifest).layers ?? []) : [];
  const duplicate = previous.some((l) => l.digest === payloadDigest && JSON.stringify(l.annotations) === JSON.stringify(layer.annotations));
  const layers = duplicate ? previous : [...previous, layer];

  // go-containerregistry's config for an image built from `empty.Image`, one history entry per layer.
  const config = {
    architecture: '',
    created: '0001-01-01T00:00:00Z',
    history: layers.map(() => ({ created: '0001-01-01T00:00:00Z' })),
    os: '',
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
    config: {},
  };
  const configBytes = Buffer.from(JSON.stringify(config), 'utf8');
  const configDigest = await client.putBlob(repository, configBytes);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, size: configBytes.byteLength, digest: configDigest },
    layers: layers.map((l) => ({ mediaType: l.mediaType, size: l.size, digest: l.digest, annotations: l.annotations })),
  };
  const manifestDigest = await client.putManifest(repository, tag, MediaType.OciManifest, Buffer.from(JSON.stringify(manifest), 'utf8'));
  return { tag, manifestDigest, payloadDigest };
}
