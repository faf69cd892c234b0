/**
 * Tag-only deliveries against a real registry (Debian's docker-registry): a Quay-format delivery from a
 * self-hosted registry names its host in `docker_url`; the route asks that registry, as the config
 * lists it, for the tag's digest, and deploys exactly that digest.
 */
import { describe, expect, it } from 'vitest';
import { MediaType, OciRegistryClient } from '../../../shared/adapters/oci-registry';
import { useDockerRegistry } from '../../helpers/registry';
import { WEBHOOK_TOKEN, service, webhookHarness } from './webhook-harness';

const registry = useDockerRegistry();

async function pushImage(client: OciRegistryClient, tag: string, seed: string): Promise<string> {
  const config = new TextEncoder().encode(JSON.stringify({ architecture: 'amd64', os: 'linux', seed }));
  const configDigest = await client.putBlob('team/web', config);
  const manifest = { schemaVersion: 2, mediaType: MediaType.OciManifest, config: { mediaType: MediaType.OciConfig, digest: configDigest, size: config.byteLength }, layers: [] };
  return client.putManifest('team/web', tag, MediaType.OciManifest, new TextEncoder().encode(JSON.stringify(manifest)));
}

describe('a tag-only delivery resolved by a real registry', () => {
  it('deploys the digest the tag has when the delivery arrives, and the new one after a re-push', async () => {
    const client = new OciRegistryClient({ host: registry.host, config: { insecure: true } });
    const first = await pushImage(client, 'v1', 'first');
    const h = webhookHarness({ services: [service('web', `${registry.host}/team/web`)], registries: { [registry.host]: { insecure: true } } });
    const delivery = { repository: 'team/web', docker_url: `${registry.host}/team/web`, updated_tags: ['v1', 'missing'] };

    const res = await h.post(`/webhooks/quay?token=${WEBHOOK_TOKEN}`, delivery);
    expect(res.status).toBe(202);
    expect((await h.store.get(res.body.accepted[0].rolloutId)).image).toMatchObject({ registry: registry.host, tag: 'v1', digest: first });
    expect(res.body.ignored).toEqual([{ repository: 'team/web', tag: 'missing', reason: `${registry.host}/team/web:missing is not in the registry: the tag was deleted or never pushed there` }]);

    const second = await pushImage(client, 'v1', 'second');
    const again = await h.post(`/webhooks/quay?token=${WEBHOOK_TOKEN}`, { ...delivery, updated_tags: ['v1'] });
    expect(second).not.toBe(first);
    expect((await h.store.get(again.body.accepted[0].rolloutId)).image.digest).toBe(second);
  });
});
