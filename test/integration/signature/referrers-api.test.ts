import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keylessSigner, signImageBundle } from '../../../local/registry/keyless-signer';
import { createIntermediateCa, createRootCa } from '../../../local/registry/test-certificates';
import { TestRekorLog, trustedRootJson } from '../../../local/registry/test-rekor';
import { OciRegistryClient } from '../../../shared/adapters/oci-registry/oci-registry-client';
import { CosignSignatureVerifier } from '../../../shared/signature/cosign-signature-verifier';
import { resolvePolicy } from '../../../shared/signature/policy';
import { parseTrustedRoot } from '../../../shared/signature/trusted-root';
import { ReferrersRegistry } from './referrers-registry';

const REPOSITORY = 'team/web';
const ISSUER = 'https://token.actions.githubusercontent.com';
const WORKFLOW = 'https://github.com/acme/web/.github/workflows/release.yml@refs/heads/main';
const BUNDLE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

const registry = new ReferrersRegistry(1);
const root = createRootCa({ commonName: 'root' });
const intermediate = createIntermediateCa(root, { commonName: 'intermediate' });
const log = new TestRekorLog();
const trusted = parseTrustedRoot(trustedRootJson({ authorities: [{ chain: [intermediate, root] }], logs: [{ log }] }), 'test root');
if (!trusted.ok) throw new Error(trusted.reason);
const policy = resolvePolicy({ keys: [], keyless: [{ id: 'keyless[0]', issuer: ISSUER, issuerRegExp: null, subject: WORKFLOW, subjectRegExp: null }], rekor: 'required', trustedRoot: trusted.value });

let image = '';
let good = '';
let bad = '';

function referrer(subject: string, bundle: unknown, artifactType = BUNDLE): string {
  const bytes = Buffer.from(JSON.stringify(bundle));
  return registry.manifest(REPOSITORY, {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType,
    config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: registry.blob(Buffer.from('{}')), size: 2 },
    layers: [{ mediaType: artifactType, digest: registry.blob(bytes), size: bytes.length }],
    subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: subject, size: 1 },
    annotations: { 'dev.sigstore.bundle.content': 'dsse-envelope' },
  });
}

beforeAll(async () => {
  await registry.start();
  image = registry.manifest(REPOSITORY, { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: {}, layers: [] }, 'v1');
  const at = new Date(Date.now() - 60_000);
  const rekor = { log, integratedTime: new Date(at.getTime() + 1000) };
  const reference = `${registry.host}/${REPOSITORY}`;
  const fork = keylessSigner(intermediate, { san: [{ uri: WORKFLOW.replace('acme', 'fork') }], issuer: ISSUER, at });
  const ci = keylessSigner(intermediate, { san: [{ uri: WORKFLOW }], issuer: ISSUER, at });
  // Pages of one: the bad bundle first, an SBOM the filter drops, the good bundle on the last page.
  bad = referrer(image, signImageBundle({ digest: image, subjectName: reference, signer: fork, rekor }));
  referrer(image, { spdxVersion: 'SPDX-2.3' }, 'application/spdx+json');
  good = referrer(image, signImageBundle({ digest: image, subjectName: reference, signer: ci, rekor }));
});

afterAll(() => registry.stop());

describe('the OCI referrers API (a registry that implements it)', () => {
  it('lists referrers of the bundle type across Link pages', async () => {
    const client = new OciRegistryClient({ host: registry.host, config: { insecure: true } });
    const found = await client.listReferrers(REPOSITORY, image, BUNDLE);
    expect(found?.map((d) => d.digest).sort()).toEqual([bad, good].sort());
    expect(found?.every((d) => d.artifactType === BUNDLE)).toBe(true);
    expect(registry.requests.filter((r) => r.includes('/referrers/'))).toEqual([
      `GET /v2/${REPOSITORY}/referrers/${image}?artifactType=${encodeURIComponent(BUNDLE)}`,
      `GET /v2/${REPOSITORY}/referrers/${image}?artifactType=${encodeURIComponent(BUNDLE)}&page=1`,
    ]);
  });

  it('verifies the image through the API, after the bundle that does not verify, without the fallback tag', async () => {
    registry.requests.length = 0;
    const verifier = new CosignSignatureVerifier({ registries: { [registry.host]: { insecure: true } } });
    const verdict = await verifier.verify({ registry: registry.host, repository: REPOSITORY, digest: image, keys: [], policy }, new Date());
    expect(verdict).toMatchObject({ outcome: 'verified', signature: { format: 'sigstore-bundle', signatureManifest: good, identity: { subject: WORKFLOW } } });
    expect(registry.requests).not.toContain(`GET /v2/${REPOSITORY}/manifests/${image.replace(':', '-')}`);
  });
});
