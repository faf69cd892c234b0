/**
 * Requests on the Node server (local mode): none with a declared length builds a full web `Request`. The
 * server's requests stay lightweight until their body or abort signal is touched; the app-wide body limit
 * skips GET and HEAD and checks a declared `Content-Length` without reading, and routes read a body off
 * the socket with `requestText` and `requestBytes` (shared/http/request-body.ts). What a route reads must
 * be what it read before from the `Request`: the same text, the same bytes, the same 413 beyond the
 * limit; and a request refused before its body is read (401) is answered without waiting for it.
 */
import { createHmac } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../../shared/http/app';
import { hmacAuth } from '../../../shared/http/auth';
import { renderError } from '../../../shared/http/problem';
import { limitRequestBody, requestBytes, requestText } from '../../../shared/http/request-body';
import { silentLogger } from '../../../shared/observability/logger';
import { Orchestrator } from '../../../shared/orchestration/orchestrator';
import { REGISTRY, appConfig, serviceConfig } from '../../helpers/local-config';
import { ScriptedVerifier } from '../../helpers/scripted-verifier';
import { FakeEcs, MemStore, RecordingWorkflow } from '../../unit/orchestration/fakes';

const API_TOKEN = 'integration-secret';
const WEBHOOK_TOKEN = 'hook-token-0123456789';
const HMAC_SECRET = 'hmac-secret-0123456789';
/** The echo app's limit, small so that a body over it fits in the socket's buffers. */
const ECHO_LIMIT = 1024;

let app: ReturnType<typeof createApp>;
/** Answers what a route reads of a body: its text and its bytes (hex), behind the limit and, on /signed, an HMAC check. */
let echo: Hono;
const servers: ServerType[] = [];
let appPort: number;
let echoPort: number;

const listen = async (fetch: (request: Request, env: unknown) => Response | Promise<Response>): Promise<number> => {
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  servers.push(server);
  return (server.address() as AddressInfo).port;
};

beforeAll(async () => {
  const orchestrator = new Orchestrator({ config: appConfig([serviceConfig('web')]), store: new MemStore(), ecs: new FakeEcs(), verifier: new ScriptedVerifier(), workflow: new RecordingWorkflow() });
  app = createApp({ orchestrator, webhookToken: WEBHOOK_TOKEN, apiToken: API_TOKEN });
  appPort = await listen(app.fetch);
  // Bytes first: read after the text, a Request's bytes are the text encoded again (Hono keeps the text).
  const read = async (c: Parameters<typeof requestText>[0]) => {
    const hex = Buffer.from(await requestBytes(c)).toString('hex');
    return c.json({ text: await requestText(c), hex });
  };
  echo = new Hono()
    .onError(renderError(silentLogger))
    .use('*', limitRequestBody(ECHO_LIMIT))
    .post('/echo', read)
    .post('/signed', hmacAuth({ secret: HMAC_SECRET, signatureHeader: 'x-signature', realm: 'test secret' }), read);
  echoPort = await listen(echo.fetch);
});
afterAll(() => Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))));

interface Sent {
  readonly method?: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  /** Sent as one piece with its Content-Length, or, as an array, chunked in these pieces. */
  readonly body?: Buffer | string | readonly (Buffer | string)[];
  readonly agent?: Agent;
}

/** One request over a socket with node:http (no web `Request` on the client's side): its status and body. */
function send(port: number, { method = 'POST', path, headers = {}, body, agent }: Sent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const pieces = body === undefined ? [] : Array.isArray(body) ? body : [body as Buffer | string];
    const framing = Array.isArray(body) ? { 'transfer-encoding': 'chunked' } : body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body as Buffer | string)) };
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: { ...framing, ...headers }, ...(agent ? { agent } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    for (const piece of pieces) req.write(piece);
    req.end();
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

const api = { authorization: `Bearer ${API_TOKEN}` };
const webhook = { authorization: `Bearer ${WEBHOOK_TOKEN}`, 'content-type': 'application/json' };
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

describe('requests on the Node server', () => {
  it('builds no full web Request for a GET or a HEAD', async () => {
    const built = await requestsBuilt(async () => {
      for (let i = 0; i < 5; i++) {
        expect((await send(appPort, { method: 'GET', path: '/services', headers: api })).status).toBe(200);
        expect((await send(appPort, { method: 'GET', path: '/healthz' })).status).toBe(200);
        expect((await send(appPort, { method: 'HEAD', path: '/healthz' })).status).toBe(200);
      }
    });
    expect(built).toBe(0);
  });

  it('builds none for a request with a declared body either, and the routes read it as sent', async () => {
    const built = await requestsBuilt(async () => {
      // A webhook delivery (the route is loaded on first use and handed the request as it came).
      const delivered = await send(appPort, { path: '/webhooks/generic', headers: webhook, body: JSON.stringify({ image: `${REGISTRY}/team/web@${digest(1)}` }) });
      expect(delivered.status).toBe(202);
      expect(JSON.parse(delivered.body).accepted).toHaveLength(1);
      // What the body says is checked: a field of the wrong type is 400 naming it.
      const refused = await send(appPort, { path: '/webhooks/generic', headers: webhook, body: JSON.stringify({ image: 42 }) });
      expect(refused.status).toBe(400);
      expect(JSON.parse(refused.body).detail).toMatch(/image/);
      // A command's body.
      expect((await send(appPort, { path: '/rollouts/01J0000000000000000000000/approve', headers: { ...api, 'content-type': 'application/json' }, body: '{"by":"ann"}' })).status).toBe(404);
    });
    expect(built).toBe(0);
    // A chunked body goes through the Request, checked against the limit as it is read.
    const whole = JSON.stringify({ image: `${REGISTRY}/team/web@${digest(2)}`, source: 'pipeline 7' });
    const chunked = await send(appPort, { path: '/webhooks/generic', headers: webhook, body: [whole.slice(0, 9), whole.slice(9, 40), whole.slice(40)] });
    expect(chunked, chunked.body).toMatchObject({ status: 202 });
  });

  it('answers a request refused before its body is read without waiting for the body', async () => {
    // Headers announcing 1 MiB, then a few bytes, and the rest never sent: the 401 and 404 come at once.
    const refusedEarly = (path: string, headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port: appPort, method: 'POST', path, headers: { 'content-type': 'application/json', 'content-length': String(1024 * 1024), ...headers } }, (res) => {
          res.resume();
          resolve(res.statusCode!);
          req.destroy();
        });
        req.on('error', (e) => (req.destroyed ? undefined : reject(e)));
        req.write('{"image":');
        setTimeout(() => reject(new Error(`no answer to ${path} before its body came`)), 3000).unref();
      });
    expect(await refusedEarly('/webhooks/generic', { authorization: 'Bearer wrong-token' })).toBe(401);
    expect(await refusedEarly('/rollouts/01J0000000000000000000000/approve', { authorization: 'Bearer wrong-token' })).toBe(401);
    expect(await refusedEarly('/no/such/route', {})).toBe(404);
  });

  it('reads the text and the bytes a Request would give, whole or chunked', async () => {
    // A byte order mark (dropped from the text, kept in the bytes), a character split across chunks, a
    // byte that is not UTF-8 (replaced in the text).
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":"é€"}'), Buffer.from([0xff, 0x0a])]);
    const asRequest = new Request('http://x/', { method: 'POST', body: bytes });
    const expected = { text: await asRequest.text(), hex: bytes.toString('hex') };
    expect(expected.text.startsWith('{"a"')).toBe(true);
    expect(JSON.parse((await send(echoPort, { path: '/echo', body: bytes })).body)).toEqual(expected);
    expect(JSON.parse((await send(echoPort, { path: '/echo', body: [bytes.subarray(0, 5), bytes.subarray(5, 11), bytes.subarray(11)] })).body)).toEqual(expected);
    // The same route served from a Request (Lambda, app.request()).
    expect(await (await echo.request('/echo', { method: 'POST', body: bytes })).json()).toEqual(expected);
    // No body at all.
    expect(JSON.parse((await send(echoPort, { path: '/echo' })).body)).toEqual({ text: '', hex: '' });
  });

  it('checks an HMAC signature over the bytes read, then hands the route the same body', async () => {
    const body = '{"event":"push","note":"ü"}';
    const signature = `sha256=${createHmac('sha256', HMAC_SECRET).update(body).digest('hex')}`;
    const signed = await send(echoPort, { path: '/signed', headers: { 'x-signature': signature }, body: [body.slice(0, 10), body.slice(10)] });
    expect(signed.status).toBe(200);
    expect(JSON.parse(signed.body).text).toBe(body);
    expect((await send(echoPort, { path: '/signed', headers: { 'x-signature': signature }, body: `${body} ` })).status).toBe(401);
  });

  it('refuses a body over the limit, declared or chunked, and the connection serves the next request', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const over = 'x'.repeat(ECHO_LIMIT + 1);
      const declared = await send(echoPort, { path: '/echo', body: over, agent });
      expect(declared.status).toBe(413);
      expect(JSON.parse(declared.body).detail).toBe(`request body is larger than ${ECHO_LIMIT} bytes`);
      const chunked = await send(echoPort, { path: '/echo', body: ['x'.repeat(600), 'x'.repeat(600), 'x'.repeat(600)], agent });
      expect(chunked.status).toBe(413);
      // Exactly the limit is read.
      const atLimit = await send(echoPort, { path: '/echo', body: ['y'.repeat(ECHO_LIMIT - 24), 'y'.repeat(24)], agent });
      expect(atLimit.status).toBe(200);
      expect(JSON.parse(atLimit.body).text).toBe('y'.repeat(ECHO_LIMIT));
    } finally {
      agent.destroy();
    }
    // The app's own limit, 1 MiB, through a Request as in Lambda.
    const big = `"${'x'.repeat(1024 * 1024)}"`;
    const headers = { ...api, 'content-type': 'application/json' };
    expect((await app.request('/rollouts/01J0000000000000000000000/approve', { method: 'POST', headers, body: big })).status).toBe(413);
    expect((await app.request('/rollouts/01J0000000000000000000000/approve', { method: 'POST', headers, body: '{"by":"ann"}' })).status).toBe(404);
  });

  it('survives a client that hangs up in the middle of a body', async () => {
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: echoPort, method: 'POST', path: '/echo', headers: { 'content-length': '500' } });
      req.on('error', () => resolve());
      req.write('x'.repeat(100), () => setTimeout(() => {
        req.destroy();
        resolve();
      }, 50));
      req.on('response', () => reject(new Error('answered a body that never came')));
    });
    expect(JSON.parse((await send(echoPort, { path: '/echo', body: 'after' })).body).text).toBe('after');
  });
});
