/**
 * A Notation signer of our own, for tests and the demo: a CA of the project's test PKI issues a
 * code-signing leaf named by its subject, which signs JWS envelopes exactly as the Notary Project
 * specification lays them out (and as `notation sign` writes them), in either signing scheme. With
 * `awsSigner`, the envelope carries AWS Signer's signed attributes (profile version, job, plugin) the
 * way AWS Signer writes them. `pushNotationSignature` stores it as a referrer of the image.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { MediaType, type OciRegistryWriter } from '../../shared/adapters/oci-registry/types';
import { referrersTag } from '../../shared/adapters/oci-registry/referrers';
import { AWS_SIGNER_PLUGIN, SignerAttribute } from '../../shared/signature/notation/aws-signer';
import { Header, NOTATION_ARTIFACT_TYPE, NOTATION_PAYLOAD_TYPE, NotationMediaType, SigningScheme } from '../../shared/signature/notation/envelope';
import { issueLeaf, type TestCa } from './test-certificates';

export interface NotationSignerOptions {
  readonly ca: TestCa;
  /** Certificates between the leaf and `ca` (issuing order: the leaf's issuer first); default none. */
  readonly intermediates?: readonly TestCa[];
  readonly subject?: { readonly country: string; readonly state: string; readonly organization: string; readonly commonName: string };
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  readonly extendedKeyUsage?: readonly string[] | null;
  readonly isCa?: boolean;
}

export interface NotationSigner {
  readonly privateKey: KeyObject;
  /** DER, leaf first, ending with the root. */
  readonly chain: readonly Buffer[];
}

export interface SignOptions {
  readonly digest: string;
  readonly mediaType?: string;
  readonly size?: number;
  readonly signingScheme?: SigningScheme;
  readonly signingTime?: Date;
  readonly expiry?: Date;
  /** Extra signed headers, and which of them are critical. */
  readonly extra?: Readonly<Record<string, string>>;
  readonly critical?: readonly string[];
}

export const TEST_SUBJECT = { country: 'US', state: 'WA', organization: 'Example', commonName: 'ci.example.com' } as const;

export function notationSigner(options: NotationSignerOptions): NotationSigner {
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const issuer = options.intermediates?.[0] ?? options.ca;
  const leaf = issueLeaf(issuer, {
    publicKey: keys.publicKey,
    san: [],
    issuer: null,
    notBefore: options.notBefore ?? new Date('2025-01-01T00:00:00Z'),
    notAfter: options.notAfter ?? new Date('2035-01-01T00:00:00Z'),
    subject: options.subject ?? TEST_SUBJECT,
    ...(options.extendedKeyUsage !== undefined ? { extendedKeyUsage: options.extendedKeyUsage } : {}),
    ...(options.isCa ? { isCa: true } : {}),
  });
  return { privateKey: keys.privateKey, chain: [leaf.der, ...(options.intermediates ?? []).map((ca) => ca.der), options.ca.der] };
}

/** A JWS envelope (`application/jose+json`) over the image's descriptor. */
export function signNotationJws(signer: NotationSigner, options: SignOptions): Buffer {
  const scheme = options.signingScheme ?? SigningScheme.X509;
  const time = (options.signingTime ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const critical = [Header.SigningScheme, ...(scheme === SigningScheme.SigningAuthority ? [Header.AuthenticSigningTime] : []), ...(options.expiry ? [Header.Expiry] : []), ...(options.critical ?? [])];
  const protectedHeader = {
    alg: 'ES256',
    crit: critical,
    cty: NOTATION_PAYLOAD_TYPE,
    [Header.SigningScheme]: scheme,
    [scheme === SigningScheme.SigningAuthority ? Header.AuthenticSigningTime : Header.SigningTime]: time,
    ...(options.expiry ? { [Header.Expiry]: options.expiry.toISOString().replace(/\.\d{3}Z$/, 'Z') } : {}),
    ...options.extra,
  };
  const payload = { targetArtifact: { mediaType: options.mediaType ?? MediaType.OciManifest, digest: options.digest, size: options.size ?? 1 } };
  const encoded = `${b64(JSON.stringify(protectedHeader))}.${b64(JSON.stringify(payload))}`;
  const signature = sign('sha256', Buffer.from(encoded), { key: signer.privateKey, dsaEncoding: 'ieee-p1363' });
  const [protectedPart, payloadPart] = encoded.split('.');
  return Buffer.from(
    JSON.stringify({
      payload: payloadPart,
      protected: protectedPart,
      header: { x5c: signer.chain.map((der) => der.toString('base64')), [Header.SigningAgent]: 'rollout-test-signer/1.0' },
      signature: signature.toString('base64url'),
    }),
  );
}

/** AWS Signer's signed attributes, as a signature made with `profileVersionArn` in job `jobArn` carries them. */
export function awsSignerAttributes(profileVersionArn: string, jobArn: string): Pick<SignOptions, 'extra' | 'critical' | 'signingScheme'> {
  return {
    signingScheme: SigningScheme.SigningAuthority,
    extra: { [Header.VerificationPlugin]: AWS_SIGNER_PLUGIN, [SignerAttribute.SigningProfileVersion]: profileVersionArn, [SignerAttribute.SigningJob]: jobArn },
    critical: [Header.VerificationPlugin, SignerAttribute.SigningProfileVersion, SignerAttribute.SigningJob],
  };
}

/**
 * Pushes the envelope as Notation does: a manifest of artifact type `application/vnd.cncf.notary.signature`
 * with the image as `subject`, plus (`referrersTag`) the `sha256-<hex>` index for registries without the
 * referrers API. Answers the signature manifest's digest.
 */
export async function pushNotationSignature(
  registry: OciRegistryWriter,
  repository: string,
  image: { readonly digest: string; readonly mediaType: string; readonly size: number },
  envelope: Uint8Array,
  options: { readonly referrersTag?: boolean; readonly existingReferrers?: readonly Record<string, unknown>[] } = {},
): Promise<string> {
  const empty = Buffer.from('{}');
  const config = { mediaType: 'application/vnd.oci.empty.v1+json', digest: await registry.putBlob(repository, empty), size: empty.length };
  const layer = { mediaType: NotationMediaType.Jws, digest: await registry.putBlob(repository, envelope), size: envelope.length };
  const manifest = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, artifactType: NOTATION_ARTIFACT_TYPE, config, layers: [layer], subject: image }),
  );
  const digest = await registry.putManifest(repository, digestOf(manifest), MediaType.OciManifest, manifest);
  if (options.referrersTag) {
    const entry = { mediaType: MediaType.OciManifest, digest, size: manifest.length, artifactType: NOTATION_ARTIFACT_TYPE };
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [...(options.existingReferrers ?? []), entry] }));
    await registry.putManifest(repository, referrersTag(image.digest), MediaType.OciIndex, index);
  }
  return digest;
}

function digestOf(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function b64(text: string): string {
  return Buffer.from(text).toString('base64url');
}
