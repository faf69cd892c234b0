import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCosignKeyPair, pushCosignSignature } from '../../../local/registry/cosign-signer';
import { buildAndPushImage, type PushedImage } from '../../../local/registry/oci-image';
import { CosignSignatureVerifier } from '../../../shared/signature/cosign-signature-verifier';
import { useDockerRegistry } from '../../helpers/registry';
import { Secret } from '../../../shared/config/secret';

const registry = useDockerRegistry();
const REPOSITORY = 'team/web';
const webKey = generateCosignKeyPair();
const otherKey = generateCosignKeyPair();
const keys = [{ id: 'keys/web.pub', pem: webKey.publicKeyPem }];
const now = new Date('2026-03-04T05:06:07.000Z');
const images: Record<'unsigned' | 'signed' | 'foreign' | 'wrongDigest' | 'wrongRepo', PushedImage> = {} as never;

beforeAll(async () => {
  const names = ['unsigned', 'signed', 'foreign', 'wrongDigest', 'wrongRepo'] as const;
  const pushed = await Promise.all(
    names.map((name) => buildAndPushImage({ host: registry.host, repository: REPOSITORY, tag: name.toLowerCase(), label: name })),
  );
  names.forEach((name, i) => (images[name] = pushed[i]!));
  const sign = (name: keyof typeof images, privateKeyPem: string, extra: object = {}) =>
    pushCosignSignature({ host: registry.host, repository: REPOSITORY, digest: images[name].digest, privateKeyPem, ...extra });
  await sign('signed', webKey.privateKeyPem);
  await sign('foreign', otherKey.privateKeyPem);
  await sign('wrongDigest', webKey.privateKeyPem, { claimedDigest: images.signed.digest });
  await sign('wrongRepo', webKey.privateKeyPem, { dockerReference: `${registry.host}/team/api` });
});

function verifier(): CosignSignatureVerifier {
  return new CosignSignatureVerifier({ registries: { [registry.host]: { insecure: true } } });
}

function verify(name: keyof typeof images, v = verifier()) {
  return v.verify({ registry: registry.host, repository: REPOSITORY, digest: images[name].digest, keys }, now);
}

describe('cosign signatures in a real docker-registry', () => {
  it('pushes distinct images with umoci and skopeo', () => {
    expect(new Set(Object.values(images).map((i) => i.digest)).size).toBe(5);
  });

  it('answers missing for an image nobody signed', async () => {
    expect(await verify('unsigned')).toMatchObject({ outcome: 'missing', detail: expect.stringContaining('.sig') });
  });

  it('verifies an image signed with the configured key, naming the key, its fingerprint and the .sig manifest', async () => {
    const head = await fetch(`${registry.url}/v2/${REPOSITORY}/manifests/${images.signed.digest.replace(':', '-')}.sig`, {
      method: 'HEAD',
      headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    expect(await verify('signed')).toEqual({
      outcome: 'verified',
      signature: {
        type: 'cosign-key',
        key: 'keys/web.pub',
        keyFingerprint: webKey.fingerprint,
        signatureManifest: head.headers.get('docker-content-digest'),
        dockerReference: `${registry.host}/${REPOSITORY}`,
        verifiedAt: '2026-03-04T05:06:07.000Z',
        format: 'simple-signing',
        rekorLogIndex: null,
        rekorIntegratedTime: null,
      },
    });
  });

  it('rejects an image signed by another key, then verifies it once the right key appends a signature', async () => {
    expect(await verify('foreign')).toEqual({
      outcome: 'rejected',
      reason: 'no signature verifies: signature 1: not signed by any configured key (tried keys/web.pub)',
    });
    const appended = await pushCosignSignature({
      host: registry.host,
      repository: REPOSITORY,
      digest: images.foreign.digest,
      privateKeyPem: webKey.privateKeyPem,
    });
    expect(await verify('foreign')).toMatchObject({ outcome: 'verified', signature: { signatureManifest: appended.manifestDigest } });
  });

  it('rejects a signature whose payload names another image digest', async () => {
    expect(await verify('wrongDigest')).toEqual({
      outcome: 'rejected',
      reason: `no signature verifies: signature 1: payload signs ${images.signed.digest}, not ${images.wrongDigest.digest}`,
    });
  });

  it('rejects a signature made for another repository', async () => {
    expect(await verify('wrongRepo')).toMatchObject({
      outcome: 'rejected',
      reason: expect.stringContaining(`payload names repository ${registry.host}/team/api, not ${registry.host}/team/web`),
    });
  });

  it('rejects an image from a registry that is not configured, without contacting it', async () => {
    const v = new CosignSignatureVerifier({ registries: { 'registry.example.com': { insecure: false } } });
    expect(await verify('signed', v)).toEqual({ outcome: 'rejected', reason: `registry ${registry.host} is not configured` });
  });
});

describe('a registry that requires Bearer tokens', () => {
  let proxy: Server;
  let proxyHost = '';
  let tokenRequests = 0;
  let proxied: PushedImage;

  beforeAll(async () => {
    const basic = `Basic ${Buffer.from('ci:s3cret').toString('base64')}`;
    proxy = createServer((req, res) => {
      const origin = `http://${proxyHost}`;
      if (req.url!.startsWith('/token')) {
        if (req.headers.authorization !== basic) return void res.writeHead(401).end();
        tokenRequests++;
        const scope = new URL(req.url!, origin).searchParams.get('scope');
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return void res.end(JSON.stringify({ token: `token-for ${scope}`, expires_in: 300 }));
      }
      const repository = /^\/v2\/(.+?)\/(?:manifests|blobs|referrers)\//.exec(req.url!)?.[1] ?? '';
      const scope = `repository:${repository}:pull`;
      if (req.headers.authorization !== `Bearer token-for ${scope}`) {
        res.writeHead(401, {
          'Content-Type': 'application/json',
          'WWW-Authenticate': `Bearer realm="${origin}/token",service="proxy",scope="${scope}"`,
        });
        return void res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      }
      void fetch(registry.url + req.url!, { method: req.method, headers: { Accept: req.headers.accept ?? '*/*' } }).then(async (upstream) => {
        const headers: Record<string, string> = {};
        for (const name of ['content-type', 'docker-content-digest']) {
          const value = upstream.headers.get(name);
          if (value) headers[name] = value;
        }
        res.writeHead(upstream.status, headers).end(Buffer.from(await upstream.arrayBuffer()));
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    proxyHost = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    // Pushed to the registry directly, signed for the name it is pulled by: the proxy's host.
    proxied = await buildAndPushImage({ host: registry.host, repository: REPOSITORY, tag: 'proxied', label: 'proxied' });
    await pushCosignSignature({
      host: registry.host,
      repository: REPOSITORY,
      digest: proxied.digest,
      privateKeyPem: webKey.privateKeyPem,
      dockerReference: `${proxyHost}/${REPOSITORY}`,
    });
  });

  afterAll(() => new Promise<void>((resolve) => proxy.close(() => resolve())));

  it('gets a token with the configured credentials, verifies, and reuses the token', async () => {
    const v = new CosignSignatureVerifier({ registries: { [proxyHost]: { insecure: true, username: 'ci', password: new Secret('s3cret') } } });
    const request = { registry: proxyHost, repository: REPOSITORY, digest: proxied.digest, keys };
    expect(await v.verify(request, now)).toMatchObject({ outcome: 'verified', signature: { key: 'keys/web.pub' } });
    expect(await v.verify({ ...request, digest: images.unsigned.digest }, now)).toMatchObject({ outcome: 'missing' });
    // Signed for the registry's own host: the same bytes do not vouch for the name behind the proxy.
    expect(await v.verify({ ...request, digest: images.signed.digest }, now)).toMatchObject({
      outcome: 'rejected',
      reason: expect.stringContaining(`payload names repository ${registry.host}/team/web, not ${proxyHost}/team/web`),
    });
    expect(tokenRequests).toBe(1);
  });

  it('fails with a RegistryError, not a verdict, when the token service refuses the credentials', async () => {
    const v = new CosignSignatureVerifier({ registries: { [proxyHost]: { insecure: true, username: 'ci', password: new Secret('wrong') } } });
    const request = { registry: proxyHost, repository: REPOSITORY, digest: images.signed.digest, keys };
    await expect(v.verify(request, now)).rejects.toThrow(/token request to http:\/\/127\.0\.0\.1:\d+ answered 401/);
  });
});
