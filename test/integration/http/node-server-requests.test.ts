/**
 * A read is answered without building a full web `Request` for it: the Node server's requests stay
 * lightweight until their body or abort signal is touched, and the app-wide body limit does not touch a
 * GET's or a HEAD's (shared/http/app.ts), since no such route reads one. A request with a body is still
 * checked against the limit.
 */
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../../shared/http/app';
import { Orchestrator } from '../../../shared/orchestration/orchestrator';
import { appConfig, serviceConfig } from '../../helpers/local-config';
import { ScriptedVerifier } from '../../helpers/scripted-verifier';
import { FakeEcs, MemStore, RecordingWorkflow } from '../../unit/orchestration/fakes';

const API_TOKEN = 'integration-secret';
let app: ReturnType<typeof createApp>;
let server: ServerType;
let port: number;

beforeAll(async () => {
  const orchestrator = new Orchestrator({ config: appConfig([serviceConfig('web')]), store: new MemStore(), ecs: new FakeEcs(), verifier: new ScriptedVerifier(), workflow: new RecordingWorkflow() });
  app = createApp({ orchestrator, webhookToken: 'hook-token-0123456789', apiToken: API_TOKEN });
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** One request over a socket with node:http (no web `Request` on the client's side): its status. */
function send(method: string, path: string, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { authorization: `Bearer ${API_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }) };
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Counts the full web `Request`s the Node server builds while `run` runs, by the AbortController it
 * makes for each (it holds its own reference to the `Request` class, not to that one).
 */
async function requestsBuilt(run: () => Promise<void>): Promise<number> {
  const Original = globalThis.AbortController;
  let built = 0;
  globalThis.AbortController = class extends Original {
    constructor() {
      super();
      built += 1;
    }
  };
  try {
    await run();
  } finally {
    globalThis.AbortController = Original;
  }
  return built;
}

describe('reads on the Node server', () => {
  it('builds no full web Request for a GET or a HEAD, and does for a request with a body', async () => {
    const reads = await requestsBuilt(async () => {
      for (let i = 0; i < 5; i++) {
        expect(await send('GET', '/services')).toBe(200);
        expect(await send('GET', '/healthz')).toBe(200);
        expect(await send('HEAD', '/healthz')).toBe(200);
      }
    });
    expect(reads).toBe(0);
    const writes = await requestsBuilt(async () => {
      expect(await send('POST', '/rollouts/01J0000000000000000000000/approve', '{"by":"ann"}')).toBe(404);
    });
    expect(writes).toBeGreaterThan(0);
  });

  it('still refuses a body over the limit on a request that carries one', async () => {
    // In process: over a socket, the server answers 413 and closes before the client has sent it all.
    const big = `"${'x'.repeat(1024 * 1024)}"`;
    const headers = { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' };
    expect((await app.request('/rollouts/01J0000000000000000000000/approve', { method: 'POST', headers, body: big })).status).toBe(413);
    expect((await app.request('/rollouts/01J0000000000000000000000/approve', { method: 'POST', headers, body: '{"by":"ann"}' })).status).toBe(404);
  });
});
