/** Tag to digest for tag-only senders, through the real OciRegistryClient over a scripted fetch. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { OciRegistryClient } from '../../../shared/adapters/oci-registry';
import { RegistryError } from '../../../shared/errors';
import { registryTagResolver, resolveTaggedPushes } from '../../../shared/webhooks/resolve-tag';
import { appConfig, serviceConfig } from '../../helpers/local-config';

const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'x', digest: `sha256:${'1'.repeat(64)}`, size: 1 }, layers: [] });
const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;

function scripted(answer: (url: URL) => Response) {
  const urls: string[] = [];
  const fetch = (async (input: string | URL) => {
    const url = new URL(String(input));
    urls.push(url.href);
    return answer(url);
  }) as typeof globalThis.fetch;
  return { urls, resolver: registryTagResolver({ clientFor: (host, config) => new OciRegistryClient({ host, config, fetch }) }) };
}

const served = (headers: Record<string, string> = {}) => new Response(manifest, { status: 200, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': digest, ...headers } });

describe('registryTagResolver', () => {
  it('asks Docker Hub’s API host, under library/ for official images, and answers the content digest', async () => {
    const { urls, resolver } = scripted(() => served());
    expect(await resolver.resolve('docker.io', { insecure: false }, 'nginx', 'latest')).toBe(digest);
    expect(await resolver.resolve('docker.io', { insecure: false }, 'team/web', 'v1')).toBe(digest);
    expect(urls).toEqual(['https://registry-1.docker.io/v2/library/nginx/manifests/latest', 'https://registry-1.docker.io/v2/team/web/manifests/v1']);
  });

  it('answers null for a tag the registry does not have', async () => {
    const { resolver } = scripted(() => new Response('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}', { status: 404 }));
    expect(await resolver.resolve('quay.io', { insecure: false }, 'team/web', 'gone')).toBeNull();
  });

  it('throws a RegistryError when the registry fails, or serves content that is not the digest it claims', async () => {
    await expect(scripted(() => new Response('down', { status: 503 })).resolver.resolve('quay.io', { insecure: false }, 'team/web', 'v1')).rejects.toBeInstanceOf(RegistryError);
    const lying = scripted(() => served({ 'docker-content-digest': `sha256:${'0'.repeat(64)}` })).resolver;
    await expect(lying.resolve('quay.io', { insecure: false }, 'team/web', 'v1')).rejects.toThrow(/does not match the content/);
  });

  it('speaks plain HTTP only to a registry the config marks insecure', async () => {
    const { urls, resolver } = scripted(() => served());
    await resolver.resolve('127.0.0.1:5000', { insecure: true }, 'team/web', 'v1');
    await resolver.resolve('registry.example.com', { insecure: false }, 'team/web', 'v1');
    expect(urls.map((u) => new URL(u).protocol)).toEqual(['http:', 'https:']);
  });
});

describe('resolveTaggedPushes', () => {
  const config = appConfig([serviceConfig('web', { image: 'docker.io/team/web', registry: 'docker.io', repository: 'team/web' })]);
  const ref = (tag: string, repository = 'team/web', registry = 'index.docker.io') => ({ registry, repository, tag, source: 'Docker Hub push' });

  it('resolves each tag once, for the configured registry name, and says so in the source', async () => {
    const { urls, resolver } = scripted(() => served());
    const out = await resolveTaggedPushes(config, resolver, [ref('v1'), ref('v1')]);
    expect(out.pushes).toEqual(Array(2).fill({ registry: 'docker.io', repository: 'team/web', tag: 'v1', digest, source: `Docker Hub push (docker.io/team/web:v1 resolved to ${digest})`, tagConfirmed: true }));
    expect(urls).toHaveLength(1);
  });

  it('asks nothing for unknown repositories and cosign artifacts', async () => {
    const { urls, resolver } = scripted(() => served());
    const out = await resolveTaggedPushes(config, resolver, [ref('v1', 'team/other'), ref('x.att')]);
    expect(out.ignored.map((i) => i.reason)).toEqual(['no configured service deploys index.docker.io/team/other', 'tag x.att is a cosign artifact']);
    expect(urls).toEqual([]);
  });
});
