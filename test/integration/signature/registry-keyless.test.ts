import { beforeAll, describe, expect, it } from 'vitest';
import { pushBundleReferrer } from '../../../local/registry/bundle-referrer';
import { pushSimpleSigningLayer } from '../../../local/registry/cosign-signer';
import { keylessSigner, signImageBundle, signSimpleSigning } from '../../../local/registry/keyless-signer';
import { buildAndPushImage, type PushedImage } from '../../../local/registry/oci-image';
import { createIntermediateCa, createRootCa } from '../../../local/registry/test-certificates';
import { TestRekorLog, trustedRootJson } from '../../../local/registry/test-rekor';
import { OciRegistryClient } from '../../../shared/adapters/oci-registry/oci-registry-client';
import { CosignSignatureVerifier } from '../../../shared/signature/cosign-signature-verifier';
import { resolvePolicy } from '../../../shared/signature/policy';
import { parseTrustedRoot } from '../../../shared/signature/trusted-root';
import { useDockerRegistry } from '../../helpers/registry';

const registry = useDockerRegistry();
const REPOSITORY = 'team/web';
const ISSUER = 'https://token.actions.githubusercontent.com';
const WORKFLOW = 'https://github.com/acme/web/.github/workflows/release.yml@refs/heads/main';

const root = createRootCa({ commonName: 'fulcio-root' });
const intermediate = createIntermediateCa(root, { commonName: 'fulcio-intermediate' });
const log = new TestRekorLog();
const trusted = parseTrustedRoot(trustedRootJson({ authorities: [{ chain: [intermediate, root] }], logs: [{ log }] }), 'test root');
if (!trusted.ok) throw new Error(trusted.reason);
const policy = resolvePolicy({ keys: [], keyless: [{ id: 'keyless[0]', issuer: ISSUER, issuerRegExp: null, subject: WORKFLOW, subjectRegExp: null }], rekor: 'required', trustedRoot: trusted.value });

const names = ['unsigned', 'legacy', 'bundled', 'borrowed', 'forked'] as const;
const images = {} as Record<(typeof names)[number], PushedImage>;
const referrers = {} as Record<'bundled' | 'borrowed', string>;
let legacyManifest = '';

beforeAll(async () => {
  const pushed = await Promise.all(names.map((name) => buildAndPushImage({ host: registry.host, repository: REPOSITORY, tag: name, label: name })));
  names.forEach((name, i) => (images[name] = pushed[i]!));
  const reference = `${registry.host}/${REPOSITORY}`;
  const now = new Date();
  const ci = keylessSigner(intermediate, { san: [{ uri: WORKFLOW }], issuer: ISSUER, at: new Date(now.getTime() - 120_000) });
  const rekor = { log, integratedTime: new Date(now.getTime() - 110_000) };

  const layer = signSimpleSigning({ dockerReference: reference, digest: images.legacy.digest, signer: ci, rekor });
  legacyManifest = (await pushSimpleSigningLayer({ host: registry.host, repository: REPOSITORY, digest: images.legacy.digest, ...layer })).manifestDigest;

  const bundle = signImageBundle({ digest: images.bundled.digest, subjectName: reference, signer: ci, rekor });
  referrers.bundled = (await pushBundleReferrer({ host: registry.host, repository: REPOSITORY, digest: images.bundled.digest, bundle })).manifestDigest;

  // The bundled image's bundle, listed under another image's referrers tag: it must not vouch for it.
  referrers.borrowed = (
    await pushBundleReferrer({ host: registry.host, repository: REPOSITORY, digest: images.borrowed.digest, bundle, subjectDigest: images.bundled.digest })
  ).manifestDigest;

  const fork = keylessSigner(intermediate, { san: [{ uri: WORKFLOW.replace('acme', 'fork') }], issuer: ISSUER, at: new Date(now.getTime() - 120_000) });
  const forked = signImageBundle({ digest: images.forked.digest, subjectName: reference, signer: fork, rekor });
  await pushBundleReferrer({ host: registry.host, repository: REPOSITORY, digest: images.forked.digest, bundle: forked });
});

function verify(name: (typeof names)[number]) {
  const verifier = new CosignSignatureVerifier({ registries: { [registry.host]: { insecure: true } } });
  return verifier.verify({ registry: registry.host, repository: REPOSITORY, digest: images[name].digest, keys: [], policy }, new Date());
}

describe('keyless signatures in a real docker-registry (distribution 2.8, no referrers API)', () => {
  it('has no referrers API: the client says so, so the verifier uses the sha256-<hex> tag', async () => {
    const client = new OciRegistryClient({ host: registry.host, config: { insecure: true } });
    expect(await client.listReferrers(REPOSITORY, images.bundled.digest)).toBeNull();
  });

  it('verifies a cosign 2 keyless signature: .sig layer with certificate and Rekor bundle', async () => {
    expect(await verify('legacy')).toMatchObject({
      outcome: 'verified',
      signature: { type: 'cosign-keyless', format: 'simple-signing', signatureManifest: legacyManifest, identity: { subject: WORKFLOW, issuer: ISSUER }, rekorLogIndex: expect.any(Number) },
    });
  });

  it('verifies a cosign 3 bundle attached as a referrer and listed under the fallback tag', async () => {
    expect(await verify('bundled')).toMatchObject({
      outcome: 'verified',
      signature: { type: 'cosign-keyless', format: 'sigstore-bundle', signatureManifest: referrers.bundled, bundleMediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json' },
    });
  });

  it('refuses a bundle listed for an image it does not name', async () => {
    expect(await verify('borrowed')).toEqual({
      outcome: 'rejected',
      reason: `no signature verifies: bundle ${referrers.borrowed}: referrer manifest has subject ${images.bundled.digest}, not ${images.borrowed.digest}`,
    });
  });

  it('refuses a bundle signed by another workflow', async () => {
    expect(await verify('forked')).toMatchObject({ outcome: 'rejected', reason: expect.stringContaining('matches no keyless identity') });
  });

  it('answers missing for an image nobody signed', async () => {
    expect(await verify('unsigned')).toMatchObject({ outcome: 'missing', detail: expect.stringContaining('no sigstore bundle refers to') });
  });
});
