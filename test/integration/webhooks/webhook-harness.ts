/**
 * The real HTTP app (`createApp`: auth, body limit, problem+json) over the real orchestrator with the
 * in-memory ports of test/unit/app/fakes.ts, plus a fake registry answering on `fetch` for the senders
 * whose tags are resolved (Docker Hub, Quay). Everything runs in process, so a test is milliseconds.
 */
import type { TagResolver } from '../../../shared/webhooks/resolve-tag';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { vi } from 'vitest';
import { type Logger, silentLogger } from '../../../shared/observability/logger';
import { Orchestrator } from '../../../shared/orchestration/orchestrator';
import type { RegistryConfig, ServiceConfig } from '../../../shared/config/types';
import type { WebhooksConfig } from '../../../shared/config/webhooks-schema';
import { createApp } from '../../../shared/http/app';
import { FailureLimiter } from '../../../shared/http/rate-limit';
import { appConfig, serviceConfig } from '../../helpers/local-config';
import { ScriptedVerifier } from '../../helpers/scripted-verifier';
import { FakeEcs, MemStore, RecordingWorkflow } from '../../unit/orchestration/fakes';

export const WEBHOOK_TOKEN = 'shared-webhook-token-0123456789';
export const API_TOKEN = 'api-token-0123456789abcdef';

const FIXTURES = join(import.meta.dirname, '../../fixtures/webhooks');

/** A fixture's exact bytes (HMACs are over bytes) and its parsed value. */
export function fixture(path: string): { text: string; json: any } {
  const text = readFileSync(join(FIXTURES, path), 'utf8');
  return { text, json: JSON.parse(text) };
}

/** A service deploying `image` (host/repository), with no pauses so a rollout runs straight through. */
export function service(name: string, image: string, overrides: Partial<ServiceConfig> = {}): ServiceConfig {
  const slash = image.indexOf('/');
  return serviceConfig(name, {
    image,
    registry: image.slice(0, slash),
    repository: image.slice(slash + 1),
    steps: [{ setWeight: 50 }, { setWeight: 100 }],
    ...overrides,
  });
}

export interface HarnessOptions {
  readonly services: readonly ServiceConfig[];
  readonly webhooks?: WebhooksConfig;
  readonly registries?: Record<string, RegistryConfig>;
  readonly logger?: Logger;
  /** Confirms the tags senders claim (the registry's word); absent, claimed tags are taken as given. */
  readonly tags?: TagResolver;
}

export function webhookHarness(options: HarnessOptions) {
  const config = { ...appConfig(options.services), ...(options.webhooks ? { webhooks: options.webhooks } : {}) };
  if (options.registries) Object.assign(config, { registries: { ...config.registries, ...options.registries } });
  const store = new MemStore();
  const ecs = new FakeEcs();
  const workflow = new RecordingWorkflow();
  const verifier = new ScriptedVerifier();
  const orchestrator = new Orchestrator({ config, store, ecs, verifier, workflow, ...(options.tags ? { tags: options.tags } : {}), options: { signatureRecheckMs: [] } });
  // Tests send hundreds of wrong credentials from one (unknown) address: the 429 brake has its own tests.
  const authFailures = new FailureLimiter({ maxFailures: Number.POSITIVE_INFINITY });
  const app = createApp({ orchestrator, webhookToken: WEBHOOK_TOKEN, apiToken: API_TOKEN, logger: options.logger ?? silentLogger, authFailures });

  async function post(path: string, body: string | object, headers: Record<string, string> = {}) {
    const res = await app.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: any = text;
    try {
      json = JSON.parse(text);
    } catch {
      /* keep the text */
    }
    return { status: res.status, body: json, contentType: res.headers.get('content-type') };
  }

  /**
   * The delivery's outcome once its work is done (the answer only plans it): what a sender reads at
   * `GET /deliveries/{id}`, as that route answers it.
   */
  async function processed(answer: { status: number; body: any }): Promise<{ accepted: any[]; ignored: any[]; status: string }> {
    if (answer.status !== 202) throw new Error(`the delivery was answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    await orchestrator.deliveriesIdle();
    const res = await app.request(`/deliveries/${answer.body.deliveryId}`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
    const body = (await res.json()) as any;
    if (res.status !== 200 || body.status !== 'PROCESSED') throw new Error(`delivery ${answer.body.deliveryId} is not processed: ${res.status} ${JSON.stringify(body)}`);
    return body;
  }

  /** A rollout an answer planned, read once the deliveries' work (after the answers) is done. */
  async function rollout(id: string) {
    await orchestrator.deliveriesIdle();
    return store.get(id);
  }

  /** True when, once the deliveries' work is done, nothing was written and ECS was not changed: no rollout, no claim, no lock, no ECS call. */
  const untouched = async () => {
    await orchestrator.deliveriesIdle();
    return store.rollouts.size === 0 && store.claims.size === 0 && store.locks.size === 0 && ecs.calls.length === 0;
  };

  return { app, config, store, ecs, workflow, verifier, orchestrator, post, processed, rollout, untouched, bearer: { authorization: `Bearer ${WEBHOOK_TOKEN}` } };
}

export const sign = (secret: string, body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

export const sha256 = (bytes: string | Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** A manifest whose digest depends on `seed`: what a fake registry serves for a tag. */
export function manifestBytes(seed: string): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(seed), size: seed.length },
    layers: [],
  });
}

/**
 * Stubs the global fetch as a registry serving `tags` (`host/repository:tag` → manifest bytes) over
 * HTTPS, and records every URL fetched, so tests can also see that nothing else was.
 */
export function stubRegistry(tags: Map<string, string>) {
  const fetched: string[] = [];
  const fake = vi.fn(async (input: string | URL | Request) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    fetched.push(url.href);
    const m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname);
    const body = m ? tags.get(`${url.host}/${m[1]}:${m[2]}`) : undefined;
    if (body === undefined) return new Response(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN' }] }), { status: 404 });
    return new Response(body, {
      status: 200,
      headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': sha256(body) },
    });
  });
  vi.stubGlobal('fetch', fake);
  return { fetched, restore: () => vi.unstubAllGlobals() };
}
