/**
 * End to end with Notation and AWS Signer signatures: Debian's docker-registry (no referrers API) posts
 * its notifications to the orchestrator in local mode; images are built with umoci and pushed with
 * skopeo; signatures are made by the project's test signer and pushed as Notation pushes them there (a
 * signature manifest and the `sha256-<hex>` index); AWS Signer revocations are answered by the local
 * Signer stand-in, reached through the real SDK client; the config is a real YAML file.
 */
import { RevokeSignatureCommand, SignerClient } from '@aws-sdk/client-signer';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config/load-config';
import { OciRegistryClient } from '../../shared/adapters/oci-registry/oci-registry-client';
import { MediaType } from '../../shared/adapters/oci-registry/types';
import { silentLogger } from '../../shared/observability/logger';
import { type LocalStack, startLocalStack } from '../../local/local-stack';
import { type RunningRegistry, startDockerRegistry } from '../../local/registry/docker-registry';
import { awsSignerAttributes, notationSigner, pushNotationSignature, signNotationJws, type SignOptions } from '../../local/registry/notation-signer';
import { buildAndPushImage } from '../../local/registry/oci-image';
import { createRootCa } from '../../local/registry/test-certificates';
import { type ApiClient, apiClient, waitFor } from '../helpers/http';

const WEBHOOK_TOKEN = 'e2e-notation-webhook-token';
const PROFILE = 'arn:aws:signer:us-east-1:000000000000:/signing-profiles/prod';
const VERSION = `${PROFILE}/a1B2c3D4e5`;
const ciRoot = createRootCa({ commonName: 'ci-root' });
const signerRoot = createRootCa({ commonName: 'aws-signer-test-root' });
const ci = notationSigner({ ca: ciRoot });
const awsSigner = notationSigner({ ca: signerRoot, subject: { country: 'US', state: 'WA', organization: 'AWS Signer', commonName: 'prod' } });

let dir: string;
let forwarder: Server;
let target = '';
let registry: RunningRegistry;
let stack: LocalStack;
let api: ApiClient;
let client: OciRegistryClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rollout-e2e-notation-'));
  // The registry starts before the stack (the config names it): a forwarder takes its notifications until then.
  forwarder = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const headers = { 'content-type': req.headers['content-type'] ?? '', authorization: req.headers.authorization ?? '' };
      try {
        const answer = await fetch(`${target}/webhooks/registry`, { method: 'POST', body: Buffer.concat(chunks), headers });
        res.writeHead(answer.status).end(await answer.text());
      } catch {
        // The stack is not up yet, or stopped already: the registry retries, as it does with any endpoint down.
        res.writeHead(503).end();
      }
    });
  });
  await new Promise<void>((r) => forwarder.listen(0, '127.0.0.1', r));
  registry = await startDockerRegistry({ notifyUrl: `http://127.0.0.1:${(forwarder.address() as AddressInfo).port}/`, notifyToken: WEBHOOK_TOKEN });
  writeFileSync(join(dir, 'ci-root.pem'), ciRoot.certificate.toString());
  writeFileSync(join(dir, 'aws-signer-root.pem'), signerRoot.certificate.toString());
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
      notation:
        trustStore: [ci-root.pem]
        trustedIdentities: ['x509.subject: C=US, ST=WA, O=Example']
      awsSigner:
        signingProfiles: [${PROFILE}]
        trustStore: [aws-signer-root.pem]
      waitFor: 2m
    steps:
      - setWeight: 50
      - setWeight: 100
    local:
      desiredCount: 2
`,
  );
  const config = await loadConfig(join(dir, 'rollout.config.yaml'));
  stack = await startLocalStack({ config, port: 0, taskStartMs: 20, steadyPollMs: 20, logger: silentLogger, webhookToken: WEBHOOK_TOKEN, apiToken: 'e2e-api-token' });
  target = stack.url;
  api = apiClient(stack.url, stack.apiToken);
  client = new OciRegistryClient({ host: registry.host, config: { insecure: true } });
}, 60_000);

afterAll(async () => {
  await registry?.stop();
  await stack?.stop();
  await new Promise<void>((r) => (forwarder ? forwarder.close(() => r()) : r()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function image(tag: string) {
  return buildAndPushImage({ host: registry.host, repository: 'team/web', tag, label: `${tag}-${Date.now()}` });
}

/** Signs the image and pushes the signature as Notation does on a registry without the referrers API. */
async function sign(digest: string, signer: typeof ci, options: Partial<SignOptions> = {}) {
  const head = (await client.headManifest('team/web', digest, [MediaType.OciManifest]))!;
  const envelope = signNotationJws(signer, { digest, size: head.size, mediaType: head.mediaType, signingTime: new Date(Date.now() - 1000), ...options });
  return pushNotationSignature(client, 'team/web', { digest, mediaType: head.mediaType, size: head.size }, envelope, { referrersTag: true });
}

async function rolloutOf(digest: string, until: (r: any) => boolean) {
  return waitFor(`a rollout of ${digest}`, async () => {
    const page = await api('GET', '/rollouts?service=web&limit=100');
    const r = page.body.items.find((x: any) => x.image.digest === digest);
    return r && until(r) ? r : undefined;
  }, 60_000);
}

const createdTaskSets = () => stack.ecs.calls.filter((c) => c.operation === 'CreateTaskSet').length;

describe('Notation and AWS Signer signatures, end to end', { timeout: 120_000 }, () => {
  it('an image pushed before its Notation signature waits PENDING, then deploys when the signature arrives', async () => {
    const pushed = await image('v1');
    // The event may be written just after the wait it explains: wait for both.
    const pending = await rolloutOf(pushed.digest, (r) => r.status === 'PENDING' && r.wait?.for === 'signature' && r.events.some((e: any) => e.type === 'SIGNATURE_MISSING'));
    expect(pending.events.map((e: any) => e.type)).toContain('SIGNATURE_MISSING');
    const manifest = await sign(pushed.digest, ci);
    const done = await rolloutOf(pushed.digest, (r) => r.status === 'SUCCEEDED');
    expect(done.signature).toMatchObject({
      type: 'notation',
      format: 'notation-jws',
      signatureManifest: manifest,
      certificate: { subject: 'C=US, ST=WA, O=Example, CN=ci.example.com' },
      timestampAuthority: null,
    });
    expect((await api('GET', '/services/web')).body.stable).toBe(pushed.digest);
  });

  it('deploys an AWS Signer signature of the configured profile, recording profile and job', async () => {
    const pushed = await image('v2');
    const job = 'arn:aws:signer:us-east-1:000000000000:/signing-jobs/00000000-0000-4000-8000-000000000002';
    await sign(pushed.digest, awsSigner, awsSignerAttributes(VERSION, job));
    const done = await rolloutOf(pushed.digest, (r) => r.status === 'SUCCEEDED');
    expect(done.signature).toMatchObject({ type: 'aws-signer', key: PROFILE, signingProfile: { profileVersionArn: VERSION, jobArn: job } });
  });

  it('rejects a signature whose signing job AWS Signer revoked, naming it, and leaves ECS untouched', async () => {
    const signer = new SignerClient({ endpoint: stack.endpoints.signer, region: 'us-east-1', credentials: { accessKeyId: 'e2e', secretAccessKey: 'e2e' }, disableHostPrefix: true });
    await signer.send(new RevokeSignatureCommand({ jobId: '00000000-0000-4000-8000-000000000003', reason: 'leaked' }));
    const before = createdTaskSets();
    const pushed = await image('v3');
    await sign(pushed.digest, awsSigner, awsSignerAttributes(VERSION, 'arn:aws:signer:us-east-1:000000000000:/signing-jobs/00000000-0000-4000-8000-000000000003'));
    const rejected = await rolloutOf(pushed.digest, (r) => r.status === 'REJECTED');
    expect(rejected.reason).toContain('AWS Signer has revoked arn:aws:signer:us-east-1:000000000000:/signing-jobs/00000000-0000-4000-8000-000000000003');
    expect(createdTaskSets()).toBe(before);
  });

  it('rejects an unknown critical header and a signer outside the trusted identities, naming each', async () => {
    const before = createdTaskSets();
    const pushed = await image('v4');
    await sign(pushed.digest, ci, { extra: { 'io.example.policy': 'x' }, critical: ['io.example.policy'] });
    const rejected = await rolloutOf(pushed.digest, (r) => r.status === 'REJECTED');
    expect(rejected.reason).toContain('unknown critical header "io.example.policy"');

    const outsider = notationSigner({ ca: ciRoot, subject: { country: 'US', state: 'CA', organization: 'Elsewhere', commonName: 'x' } });
    const other = await image('v5');
    await sign(other.digest, outsider);
    const refused = await rolloutOf(other.digest, (r) => r.status === 'REJECTED');
    expect(refused.reason).toContain('signer "C=US, ST=CA, O=Elsewhere, CN=x" is not one of the trusted identities');
    expect(createdTaskSets()).toBe(before);
  });
});
