/**
 * What several benchmarks share: a config file written as YAML and read by the real loader, a loopback
 * docker-registry holding real cosign signatures, distribution notification envelopes, digests.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../shared/config/load-config';
import type { AppConfig } from '../../shared/config/types';
import { MediaType } from '../../shared/adapters/oci-registry/types';
import { COSIGN_SIGNATURE_ANNOTATION, SIMPLE_SIGNING_MEDIA_TYPE } from '../../shared/signature/cosign-simple-signing';
import { signatureTag } from '../../shared/signature/cosign-signature-verifier';
import { generateCosignKeyPair, signPayload, simpleSigningPayload, type CosignKeyPair } from '../../local/registry/cosign-signer';
import { startDockerRegistry, type RunningRegistry } from '../../local/registry/docker-registry';
import { until } from './stats';

export const WEBHOOK_TOKEN = 'bench-webhook-token';
export const API_TOKEN = 'bench-api-token';
export const WEBHOOK_CONTENT_TYPE = 'application/vnd.docker.distribution.events.v2+json';

/** A fresh, unique sha256 digest (of random bytes: nothing has it yet). */
export function newDigest(): string {
  return `sha256:${createHash('sha256').update(randomBytes(32)).digest('hex')}`;
}

export interface ServiceSpec {
  readonly name: string;
  /** ECS cluster; default `bench`. */
  readonly cluster?: string;
  readonly repository: string;
  /** YAML lines of the steps list, e.g. ['- setWeight: 20', '- pause: {}']. */
  readonly steps: readonly string[];
  readonly alarms?: readonly string[];
  readonly desiredCount?: number;
  /** More YAML lines for the service, e.g. ['onNewImage: queue']. */
  readonly extra?: readonly string[];
}

export interface BenchWorkspace {
  readonly dir: string;
  readonly keys: CosignKeyPair;
  readonly configFile: string;
  readonly config: AppConfig;
  cleanup(): void;
}

/** Writes the config (one cosign key trusted by every service) and loads it with the real loader. */
export async function workspace(registryHost: string, services: readonly ServiceSpec[], keys: CosignKeyPair = generateCosignKeyPair()): Promise<BenchWorkspace> {
  const dir = mkdtempSync(join(tmpdir(), 'rollout-bench-'));
  writeFileSync(join(dir, 'cosign.pub'), keys.publicKeyPem);
  const lines = ['registries:', `  "${registryHost}": { insecure: true }`, 'services:'];
  for (const s of services) {
    lines.push(
      `  ${s.name}:`,
      `    cluster: ${s.cluster ?? 'bench'}`,
      `    service: ${s.name}`,
      '    container: app',
      `    image: ${registryHost}/${s.repository}`,
      '    verify: { keys: [cosign.pub] }',
      '    steps:',
      ...s.steps.map((step) => `      ${step}`),
      `    alarms: [${(s.alarms ?? []).join(', ')}]`,
      `    local: { desiredCount: ${s.desiredCount ?? 4} }`,
      ...(s.extra ?? []).map((line) => `    ${line}`),
    );
  }
  const configFile = join(dir, 'rollout.config.yaml');
  writeFileSync(configFile, `${lines.join('\n')}\n`);
  const config = await loadConfig(configFile, {});
  return { dir, keys, configFile, config, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Registries this process started, by pid: killed on exit even when a benchmark crashes before its `finally`. */
const started = new Map<number, string>();
let exitHook = false;

/** Debian's docker-registry on a free loopback port, quiet. */
export async function registry(): Promise<RunningRegistry> {
  const running = await startDockerRegistry({ logLevel: 'error' });
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(running.configFile)) started.set(Number(entry), running.dataDir);
    } catch {
      // gone meanwhile
    }
  }
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const pid of started.keys()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already stopped
        }
      }
    });
  }
  return running;
}

/**
 * Pushes a cosign key signature for each digest, `concurrency` at a time: the `.sig` manifest exactly as
 * the verifier reads it (an OCI manifest whose simple-signing layer carries the signature annotation, the
 * payload in its blob). Leaner than `pushCosignSignature` (3 requests instead of 8): the config blob is
 * shared by every signature of the repository, which the verifier never reads.
 */
export async function pushSignatures(host: string, repository: string, digests: readonly string[], privateKeyPem: string, concurrency = 16): Promise<void> {
  const base = `http://${host}/v2/${repository}`;
  const config = Buffer.from(JSON.stringify({ architecture: '', os: '', rootfs: { type: 'layers', diff_ids: [] }, config: {} }));
  const configDigest = await putBlob(base, config);
  let next = 0;
  const worker = async () => {
    while (next < digests.length) {
      const digest = digests[next++]!;
      const payload = Buffer.from(simpleSigningPayload(`${host}/${repository}`, digest));
      const signature = signPayload(payload, privateKeyPem);
      const payloadDigest = await putBlob(base, payload);
      const manifest = {
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        config: { mediaType: MediaType.OciConfig, size: config.byteLength, digest: configDigest },
        layers: [{ mediaType: SIMPLE_SIGNING_MEDIA_TYPE, size: payload.byteLength, digest: payloadDigest, annotations: { [COSIGN_SIGNATURE_ANNOTATION]: signature } }],
      };
      const res = await fetch(`${base}/manifests/${signatureTag(digest)}`, { method: 'PUT', headers: { 'content-type': MediaType.OciManifest }, body: JSON.stringify(manifest) });
      await res.arrayBuffer();
      if (res.status !== 201) throw new Error(`PUT signature manifest answered ${res.status}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, digests.length) }, worker));
}

/**
 * Pushes `count` distinct minimal images (a config blob of their own, no layers) to the repository and
 * answers their manifest digests: rollouts that follow each other on one service need the previous
 * image in the registry, since a rollout checks its rollback target there before it moves traffic.
 */
export async function pushImages(host: string, repository: string, count: number): Promise<string[]> {
  const base = `http://${host}/v2/${repository}`;
  const digests: string[] = [];
  for (let i = 0; i < count; i++) {
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: { Labels: { bench: randomBytes(8).toString('hex') } } }));
    const configDigest = await putBlob(base, config);
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: { mediaType: MediaType.OciConfig, size: config.byteLength, digest: configDigest }, layers: [] }));
    const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
    const res = await fetch(`${base}/manifests/${digest}`, { method: 'PUT', headers: { 'content-type': MediaType.OciManifest }, body: manifest });
    await res.arrayBuffer();
    if (res.status !== 201) throw new Error(`PUT image manifest answered ${res.status}`);
    digests.push(digest);
  }
  return digests;
}

/** Uploads a blob in two requests (POST, then PUT with the digest); answers its digest. */
export async function putBlob(base: string, bytes: Buffer): Promise<string> {
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const started = await fetch(`${base}/blobs/uploads/`, { method: 'POST' });
  await started.arrayBuffer();
  if (started.status !== 202) throw new Error(`POST blob upload answered ${started.status}`);
  const location = new URL(started.headers.get('location') ?? '', base);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: bytes });
  await put.arrayBuffer();
  if (put.status !== 201) throw new Error(`PUT blob answered ${put.status}`);
  return digest;
}

/** A distribution (2.x) notification envelope for one manifest push, as the registry sends it. */
export function pushEnvelope(host: string, repository: string, digest: string, tag: string | null = null) {
  return {
    events: [
      {
        id: `bench-${randomBytes(6).toString('hex')}`,
        timestamp: new Date().toISOString(),
        action: 'push',
        target: {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest,
          size: 527,
          repository,
          url: `http://${host}/v2/${repository}/manifests/${digest}`,
          ...(tag === null ? {} : { tag }),
        },
        request: { id: 'bench', addr: '127.0.0.1:1', host, method: 'PUT', useragent: 'bench' },
        actor: {},
        source: { addr: host, instanceID: 'bench' },
      },
    ],
  };
}

/**
 * POSTs one push notification and waits for its delivery's outcome (`GET /deliveries/{id}`), looking
 * every `everyMs`, `patienceMs` at most: a local stack works on two deliveries at a time, so hundreds
 * queued behind each other take minutes, and many waiters looking every 5 ms are load of their own.
 */
export async function deliver(baseUrl: string, host: string, repository: string, digest: string, tag: string | null = null, wait: { readonly patienceMs?: number; readonly everyMs?: number } = {}) {
  const res = await fetch(`${baseUrl}/webhooks/registry`, {
    method: 'POST',
    headers: { authorization: `Bearer ${WEBHOOK_TOKEN}`, 'content-type': WEBHOOK_CONTENT_TYPE },
    body: JSON.stringify(pushEnvelope(host, repository, digest, tag)),
  });
  const answer = (await res.json()) as { deliveryId: string };
  if (res.status !== 202) throw new Error(`webhook answered ${res.status}: ${JSON.stringify(answer)}`);
  // The answer only plans: the delivery's outcome says which rollouts started (and with what status).
  return until(`delivery ${answer.deliveryId} to be processed`, async () => {
    const d = await apiGet<{ status: string; accepted: { rolloutId: string; status: string }[]; ignored: { reason: string }[] }>(baseUrl, `/deliveries/${answer.deliveryId}`);
    return d.status === 'PROCESSED' ? d : undefined;
  }, wait.patienceMs ?? 30_000, wait.everyMs ?? 5);
}

/** GET with the API token; answers the parsed JSON. */
export async function apiGet<T = unknown>(baseUrl: string, path: string): Promise<T> {
  const res = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
  if (!res.ok) throw new Error(`GET ${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

export async function apiSend<T = unknown>(baseUrl: string, method: string, path: string, body: unknown): Promise<T> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}
