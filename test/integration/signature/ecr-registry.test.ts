import { ECRClient } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keylessSigner, signImageBundle, signSimpleSigning } from '../../../local/registry/keyless-signer';
import { createIntermediateCa, createRootCa } from '../../../local/registry/test-certificates';
import { TestRekorLog, trustedRootJson } from '../../../local/registry/test-rekor';
import { EcrRegistryClient } from '../../../shared/adapters/ecr-registry/ecr-registry-client';
import { isEcrHost, parseEcrHost } from '../../../shared/adapters/ecr-registry/ecr-host';
import { RegistryError } from '../../../shared/errors';
import { CosignSignatureVerifier } from '../../../shared/signature/cosign-signature-verifier';
import { resolvePolicy } from '../../../shared/signature/policy';
import { parseTrustedRoot } from '../../../shared/signature/trusted-root';
import { EcrWireStub } from './ecr-wire-stub';

const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const REPOSITORY = 'team/web';
const ISSUER = 'https://token.actions.githubusercontent.com';
const WORKFLOW = 'https://github.com/acme/web/.github/workflows/release.yml@refs/heads/main';

const stub = new EcrWireStub();
const root = createRootCa({ commonName: 'root' });
const intermediate = createIntermediateCa(root, { commonName: 'intermediate' });
const log = new TestRekorLog();
const trusted = parseTrustedRoot(trustedRootJson({ authorities: [{ chain: [intermediate, root] }], logs: [{ log }] }), 'test root');
if (!trusted.ok) throw new Error(trusted.reason);
const policy = resolvePolicy({ keys: [], keyless: [{ id: 'keyless[0]', issuer: ISSUER, issuerRegExp: null, subject: WORKFLOW, subjectRegExp: null }], rekor: 'required', trustedRoot: trusted.value });

const images = { legacy: '', bundled: '', unsigned: '' };
let referrer = '';
let ecr: ECRClient;

function imageManifest(label: string): Record<string, unknown> {
  return { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: stub.layer(Buffer.from(label)), size: label.length }, layers: [] };
}

beforeAll(async () => {
  await stub.start();
  ecr = new ECRClient({ region: 'eu-west-1', endpoint: stub.endpoint, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } });
  for (const name of Object.keys(images) as (keyof typeof images)[]) images[name] = stub.image(REPOSITORY, imageManifest(name), name);
  const at = new Date(Date.now() - 60_000);
  const ci = keylessSigner(intermediate, { san: [{ uri: WORKFLOW }], issuer: ISSUER, at });
  const rekor = { log, integratedTime: new Date(at.getTime() + 1000) };
  const reference = `${HOST}/${REPOSITORY}`;

  const layer = signSimpleSigning({ dockerReference: reference, digest: images.legacy, signer: ci, rekor });
  stub.image(
    REPOSITORY,
    {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: stub.layer(Buffer.from('{}')), size: 2 },
      layers: [{ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', digest: stub.layer(layer.payload), size: layer.payload.length, annotations: layer.annotations }],
    },
    `${images.legacy.replace(':', '-')}.sig`,
  );

  const bundle = Buffer.from(JSON.stringify(signImageBundle({ digest: images.bundled, subjectName: reference, signer: ci, rekor })));
  referrer = stub.image(REPOSITORY, {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: stub.layer(Buffer.from('{}')), size: 2 },
    layers: [{ mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', digest: stub.layer(bundle), size: bundle.length }],
    subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: images.bundled, size: 100 },
    annotations: { 'dev.sigstore.bundle.content': 'dsse-envelope', 'dev.sigstore.bundle.predicateType': 'https://sigstore.dev/cosign/sign/v1' },
  });
});

afterAll(() => stub.stop());

const client = (extra: Partial<ConstructorParameters<typeof EcrRegistryClient>[0]> = {}) => new EcrRegistryClient({ host: HOST, client: ecr, allowInsecureDownloads: true, ...extra });

function verify(digest: string) {
  const verifier = new CosignSignatureVerifier({ registries: { [HOST]: { insecure: false } }, clientFor: () => client() });
  return verifier.verify({ registry: HOST, repository: REPOSITORY, digest, keys: [], policy }, new Date());
}

describe('ECR hosts', () => {
  it('are recognised with their account and region, FIPS and dual-stack included', () => {
    expect(parseEcrHost(HOST)).toEqual({ registryId: '123456789012', region: 'eu-west-1', fips: false });
    expect(parseEcrHost('123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com')).toEqual({ registryId: '123456789012', region: 'us-gov-west-1', fips: true });
    expect(parseEcrHost('123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn')?.region).toBe('cn-north-1');
    expect(parseEcrHost('123456789012.dkr-ecr.eu-west-1.on.aws')?.region).toBe('eu-west-1');
    expect(isEcrHost('ghcr.io')).toBe(false);
    expect(isEcrHost('123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.example')).toBe(false);
  });
});

describe('signature verification over the ECR API (real ECRClient, ECR JSON 1.1 wire stub)', () => {
  it('verifies a keyless .sig signature: BatchGetImage by tag, GetDownloadUrlForLayer for the payload', async () => {
    stub.calls.length = 0;
    expect(await verify(images.legacy)).toMatchObject({ outcome: 'verified', signature: { type: 'cosign-keyless', format: 'simple-signing' } });
    expect(stub.calls).toEqual([`BatchGetImage ${REPOSITORY}`, `GetDownloadUrlForLayer ${REPOSITORY}`]);
  });

  it('verifies a cosign v3 bundle: ListImageReferrers, BatchGetImage by digest, GetDownloadUrlForLayer', async () => {
    stub.calls.length = 0;
    expect(await verify(images.bundled)).toMatchObject({ outcome: 'verified', signature: { format: 'sigstore-bundle', signatureManifest: referrer } });
    expect(stub.calls).toEqual([`BatchGetImage ${REPOSITORY}`, `ListImageReferrers ${REPOSITORY}`, `BatchGetImage ${REPOSITORY}`, `GetDownloadUrlForLayer ${REPOSITORY}`]);
  });

  it('answers missing for an unsigned image and for a repository ECR does not have', async () => {
    expect(await verify(images.unsigned)).toMatchObject({ outcome: 'missing' });
    const verifier = new CosignSignatureVerifier({ registries: { [HOST]: { insecure: false } }, clientFor: () => client() });
    expect(await verifier.verify({ registry: HOST, repository: 'team/nope', digest: images.unsigned, keys: [], policy }, new Date())).toMatchObject({ outcome: 'missing' });
  });

  it('reads manifests digest-checked, with the media type ECR reports', async () => {
    const fetched = await client().getManifest(REPOSITORY, images.bundled, ['application/vnd.oci.image.manifest.v1+json']);
    expect(fetched).toMatchObject({ digest: images.bundled, mediaType: 'application/vnd.oci.image.manifest.v1+json', json: { schemaVersion: 2 } });
    expect(await client().getManifest(REPOSITORY, 'no-such-tag', ['application/vnd.oci.image.manifest.v1+json'])).toBeNull();
    expect(await client().getBlob(REPOSITORY, `sha256:${'0'.repeat(64)}`)).toBeNull();
  });

  it('turns ECR failures into RegistryErrors naming the operation, so the rollout waits instead of deciding', async () => {
    stub.denied.add('ListImageReferrers');
    try {
      const error = await verify(images.unsigned).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryError);
      expect((error as Error).message).toBe(
        `ECR ListImageReferrers on ${HOST}/${REPOSITORY} failed: AccessDeniedException: User is not authorized to perform: ecr:ListImageReferrers`,
      );
    } finally {
      stub.denied.clear();
    }
  });

  it('refuses plain-HTTP download URLs unless told they come from a local stub', async () => {
    const layer = stub.layer(Buffer.from('payload'));
    await expect(client({ allowInsecureDownloads: false }).getBlob(REPOSITORY, layer)).rejects.toThrow(`ECR download URL for ${REPOSITORY}@${layer} is not HTTPS`);
    expect(Buffer.from((await client().getBlob(REPOSITORY, layer))!).toString()).toBe('payload');
  });

  it('refuses a host that is not an ECR registry', () => {
    expect(() => new EcrRegistryClient({ host: 'ghcr.io', client: ecr })).toThrow('ghcr.io is not an Amazon ECR registry host');
  });
});
