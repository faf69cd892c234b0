/**
 * End to end with real parts: Debian's docker-registry posts its notifications (through a recording
 * tap) to the orchestrator in local mode; images are built with umoci and pushed with skopeo; cosign
 * signatures are pushed through the OCI API; the config is a real YAML file read by the loader.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/observability/logger';
import { loadConfig } from '../../shared/config/load-config';
import { type LocalStack, startLocalStack } from '../../local/local-stack';
import { generateCosignKeyPair, pushCosignSignature } from '../../local/registry/cosign-signer';
import { type RunningRegistry, startDockerRegistry } from '../../local/registry/docker-registry';
import { buildAndPushImage } from '../../local/registry/oci-image';
import { type ApiClient, apiClient, waitFor } from '../helpers/http';

/** Forwards the registry's notifications to the orchestrator and keeps a copy of each, to replay them. */
class NotificationTap {
  readonly deliveries: { body: string; contentType: string; authorization: string; answer: number }[] = [];
  target = '';
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const contentType = req.headers['content-type'] ?? '';
        const authorization = req.headers.authorization ?? '';
        const answer = await fetch(`${this.target}/webhooks/registry`, { method: 'POST', body, headers: { 'content-type': contentType, authorization } });
        this.deliveries.push({ body, contentType, authorization, answer: answer.status });
        res.writeHead(answer.status).end(await answer.text());
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

const trusted = generateCosignKeyPair();
const stranger = generateCosignKeyPair();
const WEBHOOK_TOKEN = 'e2e-webhook-token';

let dir: string;
let tap: NotificationTap;
let registry: RunningRegistry;
let stack: LocalStack;
let api: ApiClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rollout-e2e-'));
  tap = new NotificationTap();
  await tap.start();
  registry = await startDockerRegistry({ notifyUrl: tap.url, notifyToken: WEBHOOK_TOKEN });
  writeFileSync(join(dir, 'web.pub'), trusted.publicKeyPem);
  writeFileSync(
    join(dir, 'rollout.config.yaml'),
    `registries:
  "${registry.host}": { insecure: true }
services:
  web:
    cluster: e2e
    service: web
    container: app
    image: ${registry.host}/team/web
    tags: '^v[0-9]+$'
    verify:
      keys: [web.pub]
    steps:
      - setWeight: 25
      - pause: { duration: 1s }
      - setWeight: 50
      - pause: {}
      - setWeight: 100
    alarms: [web-5xx]
    local:
      desiredCount: 4
`,
  );
  const config = await loadConfig(join(dir, 'rollout.config.yaml'));
  stack = await startLocalStack({ config, port: 0, taskStartMs: 20, steadyPollMs: 20, logger: silentLogger, webhookToken: WEBHOOK_TOKEN, apiToken: 'e2e-api-token' });
  tap.target = stack.url;
  api = apiClient(stack.url, stack.apiToken);
}, 60_000);

afterAll(async () => {
  await registry?.stop();
  await stack?.stop();
  await tap?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  // A failed assertion must not leave an alarm firing for the tests after it.
  await stack.alarms.set('web-5xx', 'OK', null);
});

async function release(tag: string, key = trusted.privateKeyPem) {
  const image = await buildAndPushImage({ host: registry.host, repository: 'team/web', tag, label: `${tag}-${Date.now()}` });
  await pushCosignSignature({ host: registry.host, repository: 'team/web', digest: image.digest, privateKeyPem: key });
  return image;
}

async function rolloutOf(digest: string, until: (r: any) => boolean) {
  return waitFor(`a rollout of ${digest}`, async () => {
    const page = await api('GET', '/rollouts?service=web&limit=100');
    const r = page.body.items.find((x: any) => x.image.digest === digest);
    return r && until(r) ? r : undefined;
  }, 30_000);
}

describe('pushing to a real registry', { timeout: 60_000 }, () => {
  it('verifies the signature, pauses at the configured weight, and succeeds after approval', async () => {
    const image = await release('v1');
    const paused = await rolloutOf(image.digest, (r) => r.status === 'PAUSED');

    expect(paused.canaryWeight).toBe(50);
    expect(paused.image).toEqual({ registry: registry.host, repository: 'team/web', tag: 'v1', digest: image.digest });
    expect(paused.signature).toMatchObject({ type: 'cosign-key', key: 'web.pub', keyFingerprint: trusted.fingerprint });
    // The registry's own notification reached the app with its token and was accepted.
    expect(tap.deliveries.some((d) => d.answer === 202 && d.body.includes(image.digest))).toBe(true);

    expect((await api('POST', `/rollouts/${paused.id}/approve`, { by: 'e2e' })).status).toBe(200);
    await rolloutOf(image.digest, (r) => r.status === 'SUCCEEDED');
    expect((await api('GET', '/services/web')).body.stable).toBe(image.digest);
  });

  it('makes one rollout when the same notification is delivered three times', async () => {
    const image = await release('v2');
    const first = await rolloutOf(image.digest, () => true);
    await waitFor("the tap to record the delivery", async () => tap.deliveries.some((d) => d.body.includes(`"${image.digest}"`)) || undefined);
    const delivery = tap.deliveries.find((d) => d.body.includes(`"${image.digest}"`) && d.body.includes('"v2"'));
    expect(delivery).toBeDefined();
    const deliveryIds = new Set<string>();
    for (let i = 0; i < 2; i++) {
      const again = await fetch(`${stack.url}/webhooks/registry`, { method: 'POST', body: delivery!.body, headers: { 'content-type': delivery!.contentType, authorization: delivery!.authorization } });
      const answer = (await again.json()) as any;
      expect(again.status).toBe(202);
      // The registry's events carry ids: a repeat is the first delivery, answered again with its rollout.
      deliveryIds.add(answer.deliveryId);
      expect(answer.accepted.map((x: any) => x.rolloutId)).toEqual([first.id]);
      const outcome = await waitFor('the delivery to be processed', async () => {
        const d = (await api('GET', `/deliveries/${answer.deliveryId}`)).body;
        return d?.status === 'PROCESSED' ? d : undefined;
      });
      expect(outcome.accepted.map((x: any) => x.rolloutId)).toEqual([first.id]);
    }
    expect(deliveryIds.size).toBe(1);
    const all = (await api('GET', '/rollouts?service=web&limit=100')).body.items.filter((r: any) => r.image.digest === image.digest);
    expect(all).toHaveLength(1);
    await rolloutOf(image.digest, (r) => r.status === 'PAUSED');
    await api('POST', `/rollouts/${first.id}/abort`, { by: 'e2e', reason: 'next test' });
    await rolloutOf(image.digest, (r) => r.status === 'ROLLED_BACK');
  });

  it('rolls back at once when the alarm fires', async () => {
    const image = await release('v3');
    const progressing = await rolloutOf(image.digest, (r) => r.status === 'PAUSED' || r.wait?.for === 'bake');
    const alarm = await api('PUT', '/local/alarms/web-5xx', { state: 'ALARM', reason: 'errors' });
    expect(alarm.body.rolledBack).toEqual([progressing.id]);
    // At once the stable set is back at 100%; the canary goes once the stable set is steady at that size.
    expect(['ROLLING_BACK', 'ROLLED_BACK']).toContain((await api('GET', `/rollouts/${progressing.id}`)).body.status);
    const r = await rolloutOf(image.digest, (x) => x.status === 'ROLLED_BACK');
    expect(r.reason).toMatch(/^alarm web-5xx fired/);
    await api('PUT', '/local/alarms/web-5xx', { state: 'OK' });
  });

  it('rejects an image signed by an unknown key and leaves ECS untouched', async () => {
    const before = stack.ecs.calls.filter((c) => c.operation === 'CreateTaskSet').length;
    const image = await release('v4', stranger.privateKeyPem);
    const r = await rolloutOf(image.digest, (x) => x.status === 'REJECTED');
    expect(r.reason).toMatch(/not signed by any configured key \(tried web\.pub\)/);
    expect(stack.ecs.calls.filter((c) => c.operation === 'CreateTaskSet').length).toBe(before);
  });

  it('ignores a tag the service does not deploy', async () => {
    const image = await buildAndPushImage({ host: registry.host, repository: 'team/web', tag: 'latest', label: `latest-${Date.now()}` });
    await waitFor('the notification', async () => tap.deliveries.some((d) => d.body.includes(image.digest)) || undefined);
    const all = (await api('GET', '/rollouts?service=web&limit=100')).body.items.filter((r: any) => r.image.digest === image.digest);
    expect(all).toEqual([]);
  });
});
