import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keylessSigner, signImageBundle, signSimpleSigning } from '../../../local/registry/keyless-signer';
import { CosignSignatureVerifier } from '../../../shared/signature/cosign-signature-verifier';
import { ciSigner, DIGEST, ISSUER, LOGGED_AT, NOW, REGISTRY, REPOSITORY, SIGNED_AT, SUBJECT, testSigstore } from './generated-pki';
import { MemoryRegistry } from './memory-registry';

const sigstore = testSigstore();
const signer = ciSigner(sigstore.intermediate);
const rekor = { log: sigstore.log, integratedTime: LOGGED_AT };
const reference = `${REGISTRY}/${REPOSITORY}`;
const goodBundle = () => signImageBundle({ digest: DIGEST, subjectName: reference, signer, rekor });
const goodLayer = () => signSimpleSigning({ dockerReference: reference, digest: DIGEST, signer, rekor });
const otherDigest = `sha256:${'77'.repeat(32)}`;

function verifierFor(registry: MemoryRegistry, options: { maxSignatures?: number; cache?: false | { ttlSeconds: number } } = {}) {
  return new CosignSignatureVerifier({ registries: { [REGISTRY]: { insecure: true } }, clientFor: () => registry.reader, ...options });
}

const request = (policy = sigstore.policy, digest = DIGEST) => ({ registry: REGISTRY, repository: REPOSITORY, digest, keys: policy.keys, policy });

describe('CosignSignatureVerifier: cosign v3 bundles and cosign 2 signatures, as `cosign verify` accepts them', () => {
  it('verifies a bundle listed by the referrers API and records what verified it', async () => {
    const registry = new MemoryRegistry({ referrersApi: true });
    const referrer = registry.bundle(REPOSITORY, DIGEST, goodBundle());
    expect(await verifierFor(registry).verify(request(), NOW)).toEqual({
      outcome: 'verified',
      signature: {
        type: 'cosign-keyless',
        key: `${SUBJECT} (${ISSUER})`,
        keyFingerprint: expect.stringMatching(/^[a-f0-9]{64}$/),
        signatureManifest: referrer,
        dockerReference: reference,
        verifiedAt: NOW.toISOString(),
        format: 'sigstore-bundle',
        bundleMediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
        identity: { policy: 'keyless[0]', issuer: ISSUER, subject: SUBJECT },
        rekorLogIndex: expect.any(Number),
        rekorIntegratedTime: LOGGED_AT.toISOString(),
      },
    });
    expect(registry.reader.listReferrers).toHaveBeenCalledWith(REPOSITORY, DIGEST, 'application/vnd.dev.sigstore.bundle.v0.3+json');
  });

  it('falls back to the sha256-<hex> tag when the registry has no referrers API', async () => {
    const registry = new MemoryRegistry({ referrersApi: false });
    const referrer = registry.bundle(REPOSITORY, DIGEST, goodBundle(), { tag: true });
    expect(await verifierFor(registry).verify(request(), NOW)).toMatchObject({ outcome: 'verified', signature: { signatureManifest: referrer } });
    expect(registry.reader.getManifest).toHaveBeenCalledWith(REPOSITORY, DIGEST.replace(':', '-'), ['application/vnd.oci.image.index.v1+json']);
  });

  it('accepts a good bundle beside a bad .sig signature, and a good .sig without looking for bundles', async () => {
    const registry = new MemoryRegistry({ referrersApi: true });
    registry.signatures(REPOSITORY, DIGEST, [signSimpleSigning({ dockerReference: reference, digest: otherDigest, signer, rekor })]);
    registry.bundle(REPOSITORY, DIGEST, goodBundle());
    expect(await verifierFor(registry).verify(request(), NOW)).toMatchObject({ outcome: 'verified', signature: { format: 'sigstore-bundle' } });

    const legacy = new MemoryRegistry({ referrersApi: true });
    const sig = legacy.signatures(REPOSITORY, DIGEST, [goodLayer()]);
    expect(await verifierFor(legacy).verify(request(), NOW)).toMatchObject({ outcome: 'verified', signature: { format: 'simple-signing', signatureManifest: sig } });
    expect(legacy.reader.listReferrers).not.toHaveBeenCalled();
  });

  it('rejects with the reason of each signature of either format', async () => {
    const registry = new MemoryRegistry({ referrersApi: true });
    registry.signatures(REPOSITORY, DIGEST, [signSimpleSigning({ dockerReference: reference, digest: otherDigest, signer, rekor })]);
    const forked = keylessSigner(sigstore.intermediate, { san: [{ uri: 'https://github.com/fork/web' }], issuer: ISSUER, at: SIGNED_AT });
    const referrer = registry.bundle(REPOSITORY, DIGEST, signImageBundle({ digest: DIGEST, subjectName: reference, signer: forked, rekor }));
    expect(await verifierFor(registry).verify(request(), NOW)).toEqual({
      outcome: 'rejected',
      reason:
        `no signature verifies: signature 1: payload signs ${otherDigest}, not ${DIGEST}; ` +
        `bundle ${referrer}: certificate identity uri:https://github.com/fork/web issued by ${ISSUER} matches no keyless identity (keyless[0]: ${SUBJECT} from ${ISSUER})`,
    });
  });

  it('refuses a bundle borrowed from another image through the fallback tag', async () => {
    const registry = new MemoryRegistry({ referrersApi: false });
    const borrowed = signImageBundle({ digest: otherDigest, subjectName: reference, signer, rekor });
    const referrer = registry.bundle(REPOSITORY, DIGEST, borrowed, { tag: true, subject: otherDigest });
    expect(await verifierFor(registry).verify(request(), NOW)).toEqual({
      outcome: 'rejected',
      reason: `no signature verifies: bundle ${referrer}: referrer manifest has subject ${otherDigest}, not ${DIGEST}`,
    });
  });

  it('answers missing when the only referrers are not sigstore bundles', async () => {
    const registry = new MemoryRegistry({ referrersApi: true });
    registry.bundle(REPOSITORY, DIGEST, { spdxVersion: 'SPDX-2.3' }, { artifactType: 'application/spdx+json' });
    expect(await verifierFor(registry).verify(request(), NOW)).toMatchObject({ outcome: 'missing', detail: expect.stringContaining('no sigstore bundle refers to') });
  });

  it('checks at most maxSignatures signatures over both formats', async () => {
    const registry = new MemoryRegistry({ referrersApi: true });
    const bad = signSimpleSigning({ dockerReference: reference, digest: otherDigest, signer, rekor });
    registry.signatures(REPOSITORY, DIGEST, [bad, bad]);
    registry.bundle(REPOSITORY, DIGEST, goodBundle());
    expect(await verifierFor(registry, { maxSignatures: 2 }).verify(request(), NOW)).toMatchObject({
      outcome: 'rejected',
      reason: expect.stringContaining('further signatures not checked (limit 2)'),
    });
    expect(registry.reader.listReferrers).not.toHaveBeenCalled();
  });

  it('refuses a policy with neither keys nor identities', async () => {
    const registry = new MemoryRegistry({ referrersApi: true });
    const empty = { ...sigstore.policy, keys: [], keyless: [] };
    expect(await verifierFor(registry).verify(request(empty), NOW)).toEqual({ outcome: 'rejected', reason: 'no verification keys or keyless identities configured' });
  });
});

describe('several keys per service (rotation)', () => {
  const pair = () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return { privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
  };
  const old = pair();
  const current = pair();
  const keys = [{ id: 'keys/ci-2025.pub', pem: old.publicKeyPem }, { id: 'keys/ci-2026.pub', pem: current.publicKeyPem }];
  const keyPolicy = { ...sigstore.policy, keys, keyless: [] };

  it.each([
    ['keys/ci-2025.pub', old],
    ['keys/ci-2026.pub', current],
  ])('records %s when it made the signature, with its Rekor log index', async (id, key) => {
    const registry = new MemoryRegistry({ referrersApi: true });
    const bundle = signImageBundle({ digest: DIGEST, subjectName: reference, signer: key, rekor });
    registry.bundle(REPOSITORY, DIGEST, bundle);
    const index = Number((bundle as any).verificationMaterial.tlogEntries[0].logIndex);
    expect(await verifierFor(registry).verify(request(keyPolicy), NOW)).toMatchObject({
      outcome: 'verified',
      signature: { type: 'cosign-key', key: id, rekorLogIndex: index },
    });
  });
});

describe('the verified-digest cache', () => {
  it('answers a digest verified under the same policy without asking the registry again', async () => {
    const registry = new MemoryRegistry({ referrersApi: true });
    registry.bundle(REPOSITORY, DIGEST, goodBundle());
    const verifier = verifierFor(registry);
    const first = await verifier.verify(request(), NOW);
    const calls = (registry.reader.getManifest as any).mock.calls.length;
    expect(await verifier.verify(request(), new Date(NOW.getTime() + 60_000))).toEqual(first);
    expect((registry.reader.getManifest as any).mock.calls.length).toBe(calls);
  });

  it('verifies again under another policy, after the TTL, and never caches a refusal', async () => {
    const registry = new MemoryRegistry({ referrersApi: true });
    registry.bundle(REPOSITORY, DIGEST, goodBundle());
    const verifier = verifierFor(registry, { cache: { ttlSeconds: 60 } });
    await verifier.verify(request(), NOW);
    const count = () => (registry.reader.listReferrers as any).mock.calls.length;
    const strict = { ...sigstore.policy, keyless: [{ ...sigstore.policy.keyless[0]!, subject: 'someone-else' }] };
    expect(await verifier.verify(request(strict), NOW)).toMatchObject({ outcome: 'rejected' });
    expect(count()).toBe(2);
    expect(await verifier.verify(request(strict), NOW)).toMatchObject({ outcome: 'rejected' });
    expect(count()).toBe(3);
    await verifier.verify(request(), new Date(NOW.getTime() + 61_000));
    expect(count()).toBe(4);
  });

  it('keeps a verdict reached without Rekor only while the certificate is valid', async () => {
    const longLived = keylessSigner(sigstore.intermediate, { san: [{ uri: SUBJECT }], issuer: ISSUER, at: NOW, leaf: { notAfter: new Date(NOW.getTime() + 30_000) } });
    const registry = new MemoryRegistry({ referrersApi: true });
    registry.bundle(REPOSITORY, DIGEST, signImageBundle({ digest: DIGEST, subjectName: reference, signer: longLived }));
    const verifier = verifierFor(registry);
    const optional = { ...sigstore.policy, rekor: 'optional' as const };
    expect(await verifier.verify(request(optional), new Date(NOW.getTime() + 1000))).toMatchObject({ outcome: 'verified', signature: { rekorLogIndex: null } });
    expect(await verifier.verify(request(optional), new Date(NOW.getTime() + 60_000))).toMatchObject({
      outcome: 'rejected',
      reason: expect.stringContaining('was not valid at verification time (no Rekor entry)'),
    });
  });
});
