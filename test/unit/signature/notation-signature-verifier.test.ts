/**
 * The service-level verifier over Notation and AWS Signer signatures: discovery (referrers API and the
 * `sha256-<hex>` tag), the records it writes, `require: any|all`, and AWS Signer's profile matching and
 * revocation against the local Signer stand-in through the real @aws-sdk/client-signer.
 */
import { SignerClient, RevokeSignatureCommand, RevokeSigningProfileCommand } from '@aws-sdk/client-signer';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaType } from '../../../shared/adapters/oci-registry/types';
import { SignerRevocationChecker } from '../../../shared/adapters/aws-signer/signer-revocation-checker';
import type { VerifyConfig } from '../../../shared/config/types';
import { parseCertificate, type ParsedCertificate } from '../../../shared/signature/certificate';
import { ImageSignatureVerifier } from '../../../shared/signature/image-signature-verifier';
import type { AwsSignerPolicy, NotationPolicy } from '../../../shared/signature/notation/notation-policy';
import { parseTrustedIdentity, type TrustedIdentity } from '../../../shared/signature/notation/trusted-identity';
import { NOTATION_ARTIFACT_TYPE } from '../../../shared/signature/notation/envelope';
import { startSignerStandIn, type RunningSignerStandIn } from '../../../local/signer-stand-in';
import { awsSignerAttributes, notationSigner, signNotationJws, type NotationSigner } from '../../../local/registry/notation-signer';
import { createIntermediateCa, createRootCa } from '../../../local/registry/test-certificates';
import { MemoryRegistry, sha256 } from './memory-registry';

const REGISTRY = '127.0.0.1:5000';
const REPOSITORY = 'team/web';
const NOW = new Date('2026-06-01T00:00:00Z');
const PROFILE = 'arn:aws:signer:us-east-1:000000000000:/signing-profiles/prod';
const VERSION = `${PROFILE}/a1B2c3D4e5`;
const JOB = 'arn:aws:signer:us-east-1:000000000000:/signing-jobs/11111111-2222-3333-4444-555555555555';
const FIXTURES = join(__dirname, '../../fixtures/notation');

const root = createRootCa({ commonName: 'ci-root' });
const intermediate = createIntermediateCa(root, { commonName: 'ci-intermediate' });
const signer = notationSigner({ ca: root, intermediates: [intermediate] });
const narrowRoot = createRootCa({ commonName: 'leaf-only-root', pathLength: 0 });
const signerRoot = createRootCa({ commonName: 'aws-signer-test-root' });
const awsSigner = notationSigner({ ca: signerRoot, subject: { country: 'US', state: 'WA', organization: 'AWS Signer', commonName: 'prod' } });

function parsed(der: Buffer): ParsedCertificate {
  const cert = parseCertificate(der);
  if (!cert.ok) throw new Error(cert.reason);
  return cert.value;
}

function identity(text: string): TrustedIdentity {
  const id = parseTrustedIdentity(text);
  if (typeof id === 'string') throw new Error(id);
  return id;
}

function notationPolicy(identities: '*' | TrustedIdentity[] = '*', ca: readonly Buffer[] = [root.der]): NotationPolicy {
  return {
    statements: [{ name: 'verify.notation', registryScopes: '*', trust: { trustStore: { ca: ca.map(parsed), signingAuthority: [], tsa: [] }, trustedIdentities: identities } }],
    digest: createHash('sha256').update(JSON.stringify([identities, ca.map((d) => d.toString('hex'))])).digest('hex'),
  };
}

const signerPolicy = (profiles: string[] = [PROFILE]): AwsSignerPolicy => ({ signingProfiles: profiles, trustStore: [parsed(signerRoot.der)], digest: profiles.join() });

/** An image and its signature manifests in a fresh registry. */
function image(options: { referrersApi?: boolean } = {}) {
  const registry = new MemoryRegistry({ referrersApi: options.referrersApi ?? true });
  const digest = registry.manifest(REPOSITORY, { schemaVersion: 2, mediaType: MediaType.OciManifest, config: {}, layers: [] }, 'v1');
  const referrers: Record<string, unknown>[] = [];
  const attach = (envelope: Buffer, mediaType = 'application/jose+json', subject = digest) => {
    const referrer = registry.manifest(REPOSITORY, {
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      artifactType: NOTATION_ARTIFACT_TYPE,
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: registry.blob(Buffer.from('{}')), size: 2 },
      layers: [{ mediaType, digest: registry.blob(envelope), size: envelope.length }],
      subject: { mediaType: MediaType.OciManifest, digest: subject, size: 100 },
    });
    referrers.push({ mediaType: MediaType.OciManifest, digest: referrer, size: 1, artifactType: NOTATION_ARTIFACT_TYPE });
    registry.manifest(REPOSITORY, { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: referrers }, digest.replace(':', '-'));
    return referrer;
  };
  return { registry, digest, attach };
}

let signerStandIn: RunningSignerStandIn;
let signerClient: SignerClient;

beforeAll(async () => {
  signerStandIn = await startSignerStandIn();
  // GetRevocationStatus has the host prefix `data-`, which a loopback endpoint cannot take.
  signerClient = new SignerClient({ endpoint: signerStandIn.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, disableHostPrefix: true });
});
afterAll(async () => {
  await signerStandIn.close();
});

function verifier(registry: MemoryRegistry) {
  return new ImageSignatureVerifier({
    registries: { [REGISTRY]: { insecure: true } },
    clientFor: () => registry.reader,
    revocation: new SignerRevocationChecker({ client: signerClient, cacheSeconds: 0 }),
    cache: false,
  });
}

async function check(registry: MemoryRegistry, digest: string, policy: Partial<VerifyConfig>) {
  return verifier(registry).verify({ registry: REGISTRY, repository: REPOSITORY, digest, keys: [], policy: { keys: [], ...policy } }, NOW);
}

function sign(s: NotationSigner, digest: string, extra: Parameters<typeof signNotationJws>[1] extends infer O ? Partial<O> : never = {}) {
  return signNotationJws(s, { digest, signingTime: new Date('2026-05-31T12:00:00Z'), ...extra });
}

describe('Notation signatures through the registry', () => {
  it('verifies a signature found through the referrers API and records what verified it', async () => {
    const { registry, digest, attach } = image();
    const manifest = attach(sign(signer, digest));
    const verdict = await check(registry, digest, { notation: notationPolicy([identity('x509.subject: C=US, ST=WA, O=Example')]) });
    expect(verdict).toEqual({
      outcome: 'verified',
      signature: expect.objectContaining({
        type: 'notation',
        key: 'verify.notation: x509.subject: C=US, ST=WA, O=Example',
        signatureManifest: manifest,
        dockerReference: `${REGISTRY}/${REPOSITORY}`,
        format: 'notation-jws',
        certificate: { subject: 'C=US, ST=WA, O=Example, CN=ci.example.com', fingerprint: createHash('sha256').update(signer.chain[0]!).digest('hex') },
        signingTime: '2026-05-31T12:00:00.000Z',
        timestampAuthority: null,
      }),
    });
  });

  it('finds it through the sha256-<hex> tag on a registry without the referrers API (Debian docker-registry)', async () => {
    const { registry, digest, attach } = image({ referrersApi: false });
    attach(sign(signer, digest));
    expect(await check(registry, digest, { notation: notationPolicy() })).toMatchObject({ outcome: 'verified' });
  });

  it('an image without a Notation signature yet is missing: the rollout waits for it', async () => {
    const { registry, digest } = image();
    expect(await check(registry, digest, { notation: notationPolicy() })).toEqual({ outcome: 'missing', detail: `Notation: no Notation signature refers to ${digest} (looked through the referrers API)` });
  });

  it.each([
    ['a subject outside the trusted identities', () => sign(signer, 'IMAGE'), { notation: notationPolicy([identity('x509.subject: C=US, ST=WA, O=Other')]) }, 'is not one of the trusted identities'],
    ['a chain that does not lead to the trust store', () => sign(signer, 'IMAGE'), { notation: notationPolicy('*', [signerRoot.der]) }, 'does not lead to a certificate of the ca trust store'],
    ['a payload for another digest', () => sign(signer, `sha256:${'0'.repeat(64)}`), { notation: notationPolicy() }, `the signed payload is for sha256:${'0'.repeat(64)}`],
    ['a leaf without code-signing usage', () => sign(notationSigner({ ca: root, extendedKeyUsage: ['1.3.6.1.5.5.7.3.1'] }), 'IMAGE'), { notation: notationPolicy() }, 'extended key usage has serverAuth'],
    ['a leaf that is a CA', () => sign(notationSigner({ ca: root, isCa: true }), 'IMAGE'), { notation: notationPolicy() }, 'is a CA certificate'],
    ['an expired leaf', () => sign(notationSigner({ ca: root, notAfter: new Date('2026-01-01T00:00:00Z') }), 'IMAGE'), { notation: notationPolicy() }, 'has expired at now'],
    ['an unknown critical header', () => sign(signer, 'IMAGE', { extra: { 'io.example.policy': 'x' }, critical: ['io.example.policy'] }), { notation: notationPolicy() }, 'unknown critical header "io.example.policy"'],
    ['a malformed envelope', () => Buffer.from('{"payload":1}'), { notation: notationPolicy() }, 'malformed envelope'],
    [
      'a chain through an intermediate its root\'s path length forbids',
      () => sign(notationSigner({ ca: narrowRoot, intermediates: [createIntermediateCa(narrowRoot, { commonName: 'too-deep' })] }), 'IMAGE'),
      { notation: notationPolicy('*', [narrowRoot.der]) },
      'its path length constraint 0 does not allow the 1 CA certificate(s) below it',
    ],
  ] as const)('rejects %s, naming it', async (_title, envelope, policy, reason) => {
    const { registry, digest, attach } = image();
    const bytes = envelope();
    attach(Buffer.from(bytes.toString().replaceAll('IMAGE', digest)));
    const verdict = await check(registry, digest, policy);
    expect(verdict.outcome).toBe('rejected');
    expect(verdict.outcome === 'rejected' && verdict.reason).toContain(reason);
  });

  it('a signature manifest naming another image as subject is not borrowed', async () => {
    const { registry, digest, attach } = image({ referrersApi: false });
    attach(sign(signer, digest), 'application/jose+json', `sha256:${'1'.repeat(64)}`);
    const verdict = await check(registry, digest, { notation: notationPolicy() });
    expect(verdict.outcome === 'rejected' && verdict.reason).toContain('has subject sha256:1111');
  });

  it('verifies the Notary Project\'s own COSE signature of its alpine image', async () => {
    const registry = new MemoryRegistry({ referrersApi: true });
    // The verifier reads the image's referrers, never the image manifest: its digest is all it needs.
    const digest = sha256(readFileSync(join(FIXTURES, 'oci-layout/manifest-19dbd2e4.json')));
    expect(digest).toBe('sha256:19dbd2e48e921426ee8ace4dc892edfb2ecdc1d1a72d5416c83670c30acecef0');
    const envelope = readFileSync(join(FIXTURES, 'envelopes/cose_signature.sig'));
    registry.manifest(REPOSITORY, {
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      artifactType: NOTATION_ARTIFACT_TYPE,
      config: {},
      layers: [{ mediaType: 'application/cose', digest: registry.blob(envelope), size: envelope.length }],
      subject: { mediaType: MediaType.OciManifest, digest, size: 481 },
    });
    const alpine = readFileSync(join(FIXTURES, 'truststore/alpine-2000.pem'));
    const verdict = await check(registry, digest, { notation: notationPolicy('*', [alpine]) });
    expect(verdict).toMatchObject({ outcome: 'verified', signature: { type: 'notation', format: 'notation-cose', certificate: { subject: 'C=US, ST=WA, L=Seattle, O=Notary, CN=alpine' } } });
  });
});

describe('AWS Signer signatures', () => {
  const signed = (digest: string, version = VERSION, job = JOB) => sign(awsSigner, digest, awsSignerAttributes(version, job));

  it('verifies a signature of a configured profile (any version) and records profile and job', async () => {
    const { registry, digest, attach } = image();
    attach(signed(digest));
    const verdict = await check(registry, digest, { awsSigner: signerPolicy() });
    expect(verdict).toMatchObject({
      outcome: 'verified',
      signature: { type: 'aws-signer', key: PROFILE, signingProfile: { profileVersionArn: VERSION, jobArn: JOB }, certificate: { subject: 'C=US, ST=WA, O=AWS Signer, CN=prod' } },
    });
    expect(await check(registry, digest, { awsSigner: signerPolicy([VERSION]) })).toMatchObject({ outcome: 'verified', signature: { key: VERSION } });
  });

  it('rejects an unknown signing profile and another version; another signer\'s Notation signature leaves it waiting for one of AWS Signer', async () => {
    const { registry, digest, attach } = image();
    attach(signed(digest));
    expect(await check(registry, digest, { awsSigner: signerPolicy(['arn:aws:signer:us-east-1:000000000000:/signing-profiles/staging']) })).toMatchObject({
      outcome: 'rejected',
      reason: expect.stringContaining(`signing profile version ${VERSION} is not one of verify.awsSigner.signingProfiles`),
    });
    expect(await check(registry, digest, { awsSigner: signerPolicy([`${PROFILE}/zzzzzzzzzz`]) })).toMatchObject({ outcome: 'rejected' });
    const other = image();
    other.attach(sign(awsSigner, other.digest, { signingScheme: 'notary.x509.signingAuthority' }));
    expect(await check(other.registry, other.digest, { awsSigner: signerPolicy() })).toEqual({
      outcome: 'missing',
      detail: `AWS Signer: no AWS Signer signature refers to ${other.digest} (1 Notation signature(s) of other signers)`,
    });
  });

  it('the Signer attributes are critical headers Notation alone does not understand', async () => {
    const { registry, digest, attach } = image();
    attach(signed(digest));
    const notationOnly = { notation: { ...notationPolicy(), statements: [{ ...notationPolicy().statements[0]!, trust: { trustStore: { ca: [], signingAuthority: [parsed(signerRoot.der)], tsa: [] }, trustedIdentities: '*' as const } }] } };
    expect(await check(registry, digest, notationOnly)).toMatchObject({ outcome: 'rejected', reason: expect.stringContaining('requires verification plugin') });
  });

  it('rejects a revoked job and a revoked profile version, as AWS Signer answers', async () => {
    const job = 'arn:aws:signer:us-east-1:000000000000:/signing-jobs/99999999-2222-3333-4444-555555555555';
    const revokedJob = image();
    revokedJob.attach(signed(revokedJob.digest, VERSION, job));
    await signerClient.send(new RevokeSignatureCommand({ jobId: '99999999-2222-3333-4444-555555555555', reason: 'leaked build' }));
    expect(await check(revokedJob.registry, revokedJob.digest, { awsSigner: signerPolicy() })).toMatchObject({
      outcome: 'rejected',
      reason: expect.stringContaining(`AWS Signer has revoked ${job}`),
    });

    const version = `${PROFILE}/Rev0ked000`;
    const revokedProfile = image();
    revokedProfile.attach(signed(revokedProfile.digest, version));
    await signerClient.send(new RevokeSigningProfileCommand({ profileName: 'prod', profileVersion: 'Rev0ked000', reason: 'key rotation', effectiveTime: new Date('2026-01-01T00:00:00Z') }));
    expect(await check(revokedProfile.registry, revokedProfile.digest, { awsSigner: signerPolicy() })).toMatchObject({
      outcome: 'rejected',
      reason: expect.stringContaining(`AWS Signer has revoked ${version}`),
    });
  });

  it('when AWS Signer cannot be asked, the check throws (the rollout waits and asks again)', async () => {
    const { registry, digest, attach } = image();
    attach(signed(digest));
    const unreachable = new ImageSignatureVerifier({
      registries: { [REGISTRY]: { insecure: true } },
      clientFor: () => registry.reader,
      revocation: new SignerRevocationChecker({
        client: new SignerClient({ endpoint: 'http://127.0.0.1:9', region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' }, maxAttempts: 1 }),
      }),
      cache: false,
    });
    await expect(unreachable.verify({ registry: REGISTRY, repository: REPOSITORY, digest, keys: [], policy: { keys: [], awsSigner: signerPolicy() } }, NOW)).rejects.toThrow(
      /AWS Signer GetRevocationStatus .* failed/,
    );
  });
});

describe('require: any | all', () => {
  it('any: one mechanism is enough; all: each must verify, and the record lists the others', async () => {
    const { registry, digest, attach } = image();
    attach(sign(signer, digest));
    attach(signNotationJws(awsSigner, { digest, signingTime: new Date('2026-05-31T12:00:00Z'), ...awsSignerAttributes(VERSION, JOB) }));
    const both = { notation: notationPolicy(), awsSigner: signerPolicy() };
    expect(await check(registry, digest, both)).toMatchObject({ outcome: 'verified', signature: { type: 'notation' } });
    expect(await check(registry, digest, { ...both, require: 'all' })).toMatchObject({
      outcome: 'verified',
      signature: { type: 'notation', alsoVerifiedBy: [{ type: 'aws-signer', key: PROFILE }] },
    });
  });

  it('all: a mechanism without a signature keeps waiting, a rejected one rejects', async () => {
    const { registry, digest, attach } = image();
    attach(sign(signer, digest));
    expect(await check(registry, digest, { notation: notationPolicy(), awsSigner: signerPolicy(), require: 'all' })).toMatchObject({
      outcome: 'missing',
      detail: expect.stringContaining('AWS Signer: no AWS Signer signature refers to'),
    });
    attach(signNotationJws(awsSigner, { digest, ...awsSignerAttributes(`arn:aws:signer:us-east-1:000000000000:/signing-profiles/other/a1B2c3D4e5`, JOB) }));
    expect(await check(registry, digest, { notation: notationPolicy(), awsSigner: signerPolicy(), require: 'all' })).toMatchObject({
      outcome: 'rejected',
      reason: expect.stringMatching(/^require: all, and AWS Signer: .*is not one of verify\.awsSigner\.signingProfiles/),
    });
    const unsigned = image();
    expect(await check(unsigned.registry, unsigned.digest, { notation: notationPolicy(), awsSigner: signerPolicy(), require: 'all' })).toMatchObject({ outcome: 'missing' });
  });

  it('any: a refused cosign signature rejects even while Notation has none yet (a wrongly signed image is rejected)', async () => {
    const { registry, digest } = image();
    registry.signatures(REPOSITORY, digest, [{ payload: Buffer.from('{}'), annotations: { 'dev.cosignproject.cosign/signature': 'AAAA' } }]);
    const verdict = await check(registry, digest, { notation: notationPolicy(), keyless: [{ id: 'keyless[0]', issuer: 'https://x', issuerRegExp: null, subject: 'y', subjectRegExp: null }] });
    expect(verdict).toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(/^cosign: no signature verifies/) });
  });
});
