import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { OciRegistryClient } from '../../../shared/adapters/oci-registry/oci-registry-client';
import { MediaType } from '../../../shared/adapters/oci-registry/types';
import { RegistryError } from '../../../shared/errors';
import { Secret } from '../../../shared/config/secret';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const servers: { close(): void }[] = [];

async function serve(handler: Handler): Promise<{ host: string; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push({ close: () => server.close() });
  server.unref();
  const { port } = server.address() as AddressInfo;
  return { host: `127.0.0.1:${port}`, url: `http://127.0.0.1:${port}` };
}

afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: {}, layers: [] }));
const manifestDigest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
const blob = Buffer.from('payload bytes');
const blobDigest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;

function client(host: string, extra: Partial<ConstructorParameters<typeof OciRegistryClient>[0]> = {}): OciRegistryClient {
  return new OciRegistryClient({ host, config: { insecure: true }, ...extra });
}

function registryError(res: ServerResponse, status: number, code: string): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ errors: [{ code, message: code.toLowerCase().replace('_', ' ') }] }));
}

describe('OciRegistryClient', () => {
  it('fetches a manifest with the Accept header and answers its digest, media type, bytes and JSON', async () => {
    let accept: string | undefined;
    const { host } = await serve((req, res) => {
      accept = req.headers.accept;
      res.writeHead(200, { 'Content-Type': MediaType.OciManifest, 'Docker-Content-Digest': manifestDigest });
      res.end(manifest);
    });
    const fetched = await client(host).getManifest('team/web', 'v1', [MediaType.OciManifest, MediaType.DockerManifest]);
    expect(accept).toBe(`${MediaType.OciManifest}, ${MediaType.DockerManifest}`);
    expect(fetched).toMatchObject({ digest: manifestDigest, mediaType: MediaType.OciManifest, json: { schemaVersion: 2 } });
    expect(Buffer.from(fetched!.body).equals(manifest)).toBe(true);
  });

  it('answers null for MANIFEST_UNKNOWN and NAME_UNKNOWN', async () => {
    const { host } = await serve((req, res) => registryError(res, 404, req.url!.includes('nope') ? 'NAME_UNKNOWN' : 'MANIFEST_UNKNOWN'));
    await expect(client(host).getManifest('team/web', 'v1', [MediaType.OciManifest])).resolves.toBeNull();
    await expect(client(host).getManifest('nope/web', 'v1', [MediaType.OciManifest])).resolves.toBeNull();
    await expect(client(host).getBlob('team/web', blobDigest)).resolves.toBeNull();
  });

  it('throws a RegistryError naming the status and the registry error codes for other failures', async () => {
    const { host } = await serve((_req, res) => registryError(res, 403, 'DENIED'));
    const failure = client(host).getManifest('team/web', 'v1', [MediaType.OciManifest]);
    await expect(failure).rejects.toBeInstanceOf(RegistryError);
    await expect(failure).rejects.toThrow(`GET ${host}/v2/team/web/manifests/v1 answered 403 Forbidden: DENIED (denied)`);
  });

  it('refuses a manifest whose bytes do not hash to the digest asked for', async () => {
    const { host } = await serve((_req, res) => res.end(manifest));
    const other = `sha256:${'0'.repeat(64)}`;
    await expect(client(host).getManifest('team/web', other, [MediaType.OciManifest])).rejects.toThrow(/has content with digest/);
  });

  it('refuses a manifest whose Docker-Content-Digest contradicts its bytes', async () => {
    const { host } = await serve((_req, res) => {
      res.writeHead(200, { 'Docker-Content-Digest': `sha256:${'1'.repeat(64)}` });
      res.end(manifest);
    });
    await expect(client(host).getManifest('team/web', 'v1', [MediaType.OciManifest])).rejects.toThrow(/does not match the content/);
  });

  it('refuses manifests over 4 MiB, declared or streamed', async () => {
    const big = Buffer.alloc(4 * 1024 * 1024 + 1, 0x20);
    const { host } = await serve((req, res) => {
      if (req.url!.endsWith('/declared')) res.writeHead(200, { 'Content-Length': String(big.length) });
      else res.writeHead(200, { 'Transfer-Encoding': 'chunked' });
      res.end(big);
    });
    await expect(client(host).getManifest('team/web', 'declared', [])).rejects.toThrow(/more than the 4194304/);
    await expect(client(host).getManifest('team/web', 'streamed', [])).rejects.toThrow(/more than the 4194304/);
  });

  it('does not follow a manifest redirect to another host, but follows one on the same host', async () => {
    const elsewhere = await serve((_req, res) => res.end(manifest));
    const { host } = await serve((req, res) => {
      if (req.url!.endsWith('/away')) res.writeHead(307, { Location: `${elsewhere.url}/v2/team/web/manifests/v1` });
      else if (req.url!.endsWith('/moved')) res.writeHead(307, { Location: '/v2/team/web/manifests/v1' });
      else res.writeHead(200);
      res.end(req.url!.endsWith('/v1') ? manifest : undefined);
    });
    await expect(client(host).getManifest('team/web', 'away', [])).rejects.toThrow(/redirects to .* which is not allowed/);
    await expect(client(host).getManifest('team/web', 'moved', [])).resolves.toMatchObject({ digest: manifestDigest });
  });

  it('follows a blob redirect to storage without sending credentials there, and checks the digest', async () => {
    let storageAuthorization: string | undefined = 'unset';
    const storage = await serve((req, res) => {
      storageAuthorization = req.headers.authorization;
      res.end(req.url === '/good' ? blob : Buffer.from('tampered'));
    });
    const { host } = await serve((req, res) => {
      res.writeHead(307, { Location: `${storage.url}/${req.url!.includes(blobDigest) ? 'good' : 'bad'}` });
      res.end();
    });
    const authed = client(host, { config: { insecure: true, username: 'ci', password: new Secret('pw') } });
    const fetched = await authed.getBlob('team/web', blobDigest);
    expect(Buffer.from(fetched!).equals(blob)).toBe(true);
    expect(storageAuthorization).toBeUndefined();
    const other = `sha256:${'2'.repeat(64)}`;
    await expect(authed.getBlob('team/web', other)).rejects.toThrow(/has content with digest/);
  });

  it('gets a Bearer token from the challenge realm with Basic credentials and reuses it per scope', async () => {
    const tokenRequests: string[] = [];
    const seen: (string | undefined)[] = [];
    const { host, url } = await serve((req, res) => {
      if (req.url!.startsWith('/token')) {
        tokenRequests.push(`${req.url} ${req.headers.authorization}`);
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return res.end(JSON.stringify({ access_token: 'tok-1', expires_in: 300 }));
      }
      seen.push(req.headers.authorization);
      if (req.headers.authorization !== 'Bearer tok-1') {
        res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="${url}/token",service="test-registry",scope="repository:team/web:pull"` });
        return res.end();
      }
      res.end(manifest);
    });
    const authed = client(host, { config: { insecure: true, username: 'ci', password: new Secret('pw') } });
    await authed.getManifest('team/web', 'v1', []);
    await authed.getManifest('team/web', 'v2', []);
    const basic = `Basic ${Buffer.from('ci:pw').toString('base64')}`;
    expect(tokenRequests).toEqual([`/token?service=test-registry&scope=repository%3Ateam%2Fweb%3Apull ${basic}`]);
    expect(seen).toEqual([undefined, 'Bearer tok-1', 'Bearer tok-1']);
  });

  it('answers a Basic challenge with the configured credentials, and fails clearly without them', async () => {
    const basic = `Basic ${Buffer.from('ci:pw').toString('base64')}`;
    const { host } = await serve((req, res) => {
      if (req.headers.authorization !== basic) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="registry"' });
        return res.end();
      }
      res.end(manifest);
    });
    await expect(client(host, { config: { insecure: true, username: 'ci', password: new Secret('pw') } }).getManifest('team/web', 'v1', [])).resolves.not.toBeNull();
    await expect(client(host).getManifest('team/web', 'v1', [])).rejects.toThrow('registry asks for Basic credentials and none are configured');
  });

  it('gives up after the timeout with a RegistryError', async () => {
    const { host } = await serve(() => undefined);
    const slow = client(host, { timeoutMs: 150 });
    await expect(slow.getManifest('team/web', 'v1', [])).rejects.toThrow(/timed out after 150 ms/);
  });

  it('builds its URL from the configured host only: https unless the registry is insecure', () => {
    expect(new OciRegistryClient({ host: 'registry.example.com', config: { insecure: false } }).baseUrl).toBe('https://registry.example.com');
    expect(new OciRegistryClient({ host: '127.0.0.1:5000', config: { insecure: true } }).baseUrl).toBe('http://127.0.0.1:5000');
    expect(() => new OciRegistryClient({ host: 'evil.com/path?x=', config: { insecure: false } })).toThrow(RegistryError);
  });

  it('refuses repository names and references that could escape the API path', async () => {
    const c = client('127.0.0.1:1');
    await expect(c.getManifest('team/../admin', 'v1', [])).rejects.toThrow(/repository name/);
    await expect(c.getManifest('team/web', '../x', [])).rejects.toThrow(/neither a tag nor a digest/);
    await expect(c.getBlob('team/web', 'sha256:zz')).rejects.toThrow(/malformed/);
  });
});

describe('OciRegistryClient.listReferrers', () => {
  const index = (manifests: unknown[]) => JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests });
  const bundleReferrer = { mediaType: MediaType.OciManifest, digest: manifestDigest, size: 10, artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json', annotations: { a: 'b' } };

  it.each([404, 405, 406, 501])('answers null (no referrers API: use the tag schema) for %i', async (status) => {
    const { host } = await serve((_req, res) => res.writeHead(status).end());
    await expect(client(host).listReferrers('team/web', manifestDigest)).resolves.toBeNull();
  });

  it('reads the descriptors, dropping malformed ones, and asks for the artifact type', async () => {
    let url = '';
    const { host } = await serve((req, res) => {
      url = req.url!;
      res.writeHead(200, { 'Content-Type': MediaType.OciIndex }).end(index([bundleReferrer, { digest: 'sha256:zz' }, 'junk']));
    });
    expect(await client(host).listReferrers('team/web', manifestDigest, 'application/vnd.dev.sigstore.bundle.v0.3+json')).toEqual([bundleReferrer]);
    expect(url).toBe(`/v2/team/web/referrers/${manifestDigest}?artifactType=application%2Fvnd.dev.sigstore.bundle.v0.3%2Bjson`);
  });

  it('refuses a page link to another origin, a body that is not an index, and server errors', async () => {
    const elsewhere = await serve((_req, res) => res.writeHead(200, { Link: '<http://evil.example/v2/x>; rel="next"' }).end(index([])));
    await expect(client(elsewhere.host).listReferrers('team/web', manifestDigest)).rejects.toThrow('referrers page link http://evil.example is not');
    const notIndex = await serve((_req, res) => res.writeHead(200).end('{"hello":1}'));
    await expect(client(notIndex.host).listReferrers('team/web', manifestDigest)).rejects.toThrow('is not an image index');
    const broken = await serve((_req, res) => registryError(res, 500, 'UNKNOWN'));
    await expect(client(broken.host).listReferrers('team/web', manifestDigest)).rejects.toBeInstanceOf(RegistryError);
  });
});
