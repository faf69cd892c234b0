import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAndPushImage } from '../../../local/registry/oci-image';
import { useDockerRegistry } from '../../helpers/registry';

interface Delivery {
  readonly headers: IncomingHttpHeaders;
  readonly body: { events: { action: string; target: { mediaType: string; repository: string; tag?: string; digest: string } }[] };
}

const deliveries: Delivery[] = [];
let receiver: Server;
let receiverUrl = '';

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      deliveries.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Delivery['body'] });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/registry`;
});

afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

const registry = useDockerRegistry(() => ({ notifyUrl: receiverUrl, notifyToken: 'hook-token' }));

async function waitFor<T>(find: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('the local docker-registry', () => {
  it('posts a manifest push notification with the bearer token, and no blob pushes', async () => {
    const image = await buildAndPushImage({ host: registry.host, repository: 'team/web', tag: 'v1', label: 'notify' });
    const push = await waitFor(() =>
      deliveries.flatMap((d) => d.body.events.map((e) => ({ d, e }))).find(({ e }) => e.action === 'push' && e.target.digest === image.digest),
    );
    expect(push.d.headers.authorization).toBe('Bearer hook-token');
    expect(push.d.headers['content-type']).toBe('application/vnd.docker.distribution.events.v1+json');
    expect(push.e.target).toMatchObject({ repository: 'team/web', tag: 'v1', mediaType: 'application/vnd.oci.image.manifest.v1+json' });
    const mediaTypes = deliveries.flatMap((d) => d.body.events.map((e) => e.target.mediaType));
    expect(mediaTypes).not.toContain('application/octet-stream');
  });

  it('says how it was started and where it keeps its data', async () => {
    expect(registry.host).toMatch(/^127\.0\.0\.1:\d+$/);
    const response = await fetch(`${registry.url}/v2/`);
    expect(response.status).toBe(200);
    expect(registry.running.dataDir).toContain('docker-registry-');
  });
});
