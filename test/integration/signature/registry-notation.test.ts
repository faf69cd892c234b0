/**
 * Notation signatures in a real registry (Debian's docker-registry, which has no referrers API): the
 * test signer pushes them as Notation does there, a signature manifest plus the `sha256-<hex>` index,
 * and the verifier finds and checks them through the real OCI client.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAndPushImage, type PushedImage } from '../../../local/registry/oci-image';
import { notationSigner, pushNotationSignature, signNotationJws } from '../../../local/registry/notation-signer';
import { createRootCa } from '../../../local/registry/test-certificates';
import { OciRegistryClient } from '../../../shared/adapters/oci-registry/oci-registry-client';
import { MediaType } from '../../../shared/adapters/oci-registry/types';
import { parseCertificate } from '../../../shared/signature/certificate';
import { ImageSignatureVerifier } from '../../../shared/signature/image-signature-verifier';
import type { NotationPolicy } from '../../../shared/signature/notation/notation-policy';
import { useDockerRegistry } from '../../helpers/registry';

const registry = useDockerRegistry();
const REPOSITORY = 'team/notation';
const NOW = new Date('2026-06-01T00:00:00Z');
const ca = createRootCa({ commonName: 'ci-root' });
const signer = notationSigner({ ca });
const other = notationSigner({ ca: createRootCa({ commonName: 'someone-else' }) });
let image: PushedImage;
let client: OciRegistryClient;

const rootCert = parseCertificate(ca.der);
if (!rootCert.ok) throw new Error(rootCert.reason);
const policy: NotationPolicy = {
  statements: [{ name: 'verify.notation', registryScopes: '*', trust: { trustStore: { ca: [rootCert.value], signingAuthority: [], tsa: [] }, trustedIdentities: '*' } }],
  digest: 'test',
};

beforeAll(async () => {
  image = await buildAndPushImage({ host: registry.host, repository: REPOSITORY, tag: 'v1', label: 'notation' });
  client = new OciRegistryClient({ host: registry.host, config: { insecure: true } });
});
afterAll(() => undefined);

function verify() {
  const verifier = new ImageSignatureVerifier({ registries: { [registry.host]: { insecure: true } }, cache: false });
  return verifier.verify({ registry: registry.host, repository: REPOSITORY, digest: image.digest, keys: [], policy: { keys: [], notation: policy } }, NOW);
}

async function sign(s: typeof signer, existing: Record<string, unknown>[]) {
  const head = await client.headManifest(REPOSITORY, image.digest, [MediaType.OciManifest]);
  const envelope = signNotationJws(s, { digest: image.digest, size: head!.size, signingTime: new Date('2026-05-31T00:00:00Z') });
  const digest = await pushNotationSignature(client, REPOSITORY, { digest: image.digest, mediaType: head!.mediaType, size: head!.size }, envelope, {
    referrersTag: true,
    existingReferrers: existing,
  });
  return { digest, envelope };
}

describe('Notation signatures in a real docker-registry (no referrers API)', () => {
  it('an unsigned image is missing; a foreign signature rejects; ours, pushed later beside it, verifies', async () => {
    expect(await verify()).toMatchObject({ outcome: 'missing' });
    const foreign = await sign(other, []);
    const rejected = await verify();
    expect(rejected).toMatchObject({ outcome: 'rejected', reason: expect.stringContaining('does not lead to a certificate of the ca trust store') });
    const size = (await client.headManifest(REPOSITORY, foreign.digest, [MediaType.OciManifest]))!.size;
    const ours = await sign(signer, [{ mediaType: MediaType.OciManifest, digest: foreign.digest, size, artifactType: 'application/vnd.cncf.notary.signature' }]);
    expect(await verify()).toEqual({
      outcome: 'verified',
      signature: expect.objectContaining({
        type: 'notation',
        signatureManifest: ours.digest,
        certificate: { subject: 'C=US, ST=WA, O=Example, CN=ci.example.com', fingerprint: createHash('sha256').update(signer.chain[0]!).digest('hex') },
        signingTime: '2026-05-31T00:00:00.000Z',
      }),
    });
  });
});
