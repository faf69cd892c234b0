/**
 * 1. Webhook ingest: POST /webhooks/registry under load (autocannon, 10 connections, in its own
 * process) against a bare Hono route added to the same app on the same server.
 */
import { Readable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HttpResponse } from '@smithy/core/transport';
import type { RunningRegistry } from '../../local/registry/docker-registry';
import { dynaliteClient, startDynalite } from '../../local/dynamodb/dynalite-server';
import { DynamoRolloutStore } from '../../shared/adapters/dynamodb/dynamo-rollout-store';
import { SDK_CLIENT_DEFAULTS, sdkClient, withOneSigner } from '../../shared/adapters/sdk-client-defaults';
import type { ReceivedDelivery } from '../../shared/ports';
import { requestText } from '../../shared/http/request-body';
import { WEBHOOK_CONTENT_TYPE, WEBHOOK_TOKEN, deliver, newDigest, pushEnvelope, pushSignatures, registry, workspace, type ServiceSpec } from '../lib/fixtures';
import { load, type LoadResult } from '../lib/load';
import { countFetches } from '../lib/fetch-count';
import { countSdkCalls, type SdkCallCounter } from '../lib/sdk-calls';
import { allRollouts, localStack } from '../lib/stack';
import { fmt, fmtRatio, median, until } from '../lib/stats';
import type { Benchmark } from '../lib/types';

const REPEATS = 3;
const CONNECTIONS = 10;
const DURATION_S = 3;
/**
 * Distinct digests per repeat (each needs its signature pushed first), each for a service of its own:
 * enough for the run to last about as long as the answers' steady pace needs (under a second here),
 * after a warm-up of `WARM_REQUESTS` more on other services, untimed.
 */
const NEW_REQUESTS = 480;
const WARM_REQUESTS = 48;
/**
 * Then, untimed, this many deliveries for a repository no service deploys: the same route and the same one
 * store call (the delivery written with its outcome, decided by the config), and no work after. Enough
 * answers for V8 to have optimized the answering path before it is timed (the timed new digests last
 * half a second), as the bare route's is over its 3 s.
 */
const WARM_IGNORED = 6000;
/** Timed deliveries for a repository no service deploys, each a new one (a body repeated would be a retry): about 3 s here. */
const IGNORED_REQUESTS = 4000;
/** A repository no service of the benchmark's config deploys. */
const NOT_DEPLOYED = 'team/not-deployed';
const QUEUED_REQUESTS = 30;
const SUPERSEDE_REQUESTS = 15;

type Mode = 'bare' | 'bareHono' | 'new' | 'ignored' | 'duplicate' | 'queued' | 'supersede';
const MODES: readonly Mode[] = ['bare', 'bareHono', 'new', 'ignored', 'duplicate', 'queued', 'supersede'];

const headers = { authorization: `Bearer ${WEBHOOK_TOKEN}`, 'content-type': WEBHOOK_CONTENT_TYPE };
const idle = (i: number) => `idle-${String(i).padStart(3, '0')}`;

/**
 * Until this process's event loop has been idle again (under 5% busy over 250 ms, at most 10 s): what
 * the warm-up set going after its answers (its rollouts' canaries starting, their steady-state events)
 * is over before a timed run, so that the run measures the answers and not what was still due.
 */
async function untilQuiet(): Promise<void> {
  const deadline = performance.now() + 10_000;
  let last = performance.eventLoopUtilization();
  while (performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = performance.eventLoopUtilization();
    if (performance.eventLoopUtilization(now, last).utilization < 0.05) return;
    last = now;
  }
}

async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

/** Per request, the SDK calls of a run and the registry GETs (counted on fetch). */
function perRequest(counter: SdkCallCounter, registryGets: number, requests: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(counter.counts)) out[k] = v / requests;
  if (registryGets) out['registry GET'] = registryGets / requests;
  return out;
}

async function oneRepeat(reg: RunningRegistry, repeat: number) {
  const idleServices: ServiceSpec[] = Array.from({ length: WARM_REQUESTS + NEW_REQUESTS }, (_, i) => ({ name: idle(i), repository: `team/${idle(i)}`, steps: ['- pause: {}'] }));
  const ws = await workspace(reg.host, [
    ...idleServices,
    { name: 'queued', repository: 'team/queued', steps: ['- pause: {}'], extra: ['onNewImage: queue'] },
    { name: 'latest', repository: 'team/latest', steps: ['- pause: {}'] },
  ]);
  const newDigests = idleServices.map(() => newDigest());
  const queuedDigests = Array.from({ length: QUEUED_REQUESTS + 2 }, newDigest);
  const supersedeDigests = Array.from({ length: SUPERSEDE_REQUESTS + 1 }, newDigest);
  await pool(idleServices.map((s, i) => [s, newDigests[i]!] as const), 16, ([s, d]) => pushSignatures(reg.host, s.repository, [d], ws.keys.privateKeyPem, 1));
  await pushSignatures(reg.host, 'team/queued', queuedDigests, ws.keys.privateKeyPem);
  await pushSignatures(reg.host, 'team/latest', supersedeDigests, ws.keys.privateKeyPem);

  const stack = await localStack({ config: ws.config, taskStartMs: 20, steadyPollMs: 50 });
  // The reference: a route on the same app and server, behind the same app-wide middleware (body limit),
  // that reads the body as the webhook routes do (`requestText`, without a web Request on this server) and
  // answers 202 with the same shape. Added before the app serves its first request.
  stack.app.post('/bench/bare', async (c) => {
    await requestText(c);
    return c.json({ deliveryId: '00000000000000000000000000', accepted: [], ignored: [] }, 202);
  });
  // For comparison only: the same route reading its body through Hono (`c.req.text()`), which builds a
  // full web Request on this server, as the reference did until 2026-12-05.
  stack.app.post('/bench/bare-hono', async (c) => {
    await c.req.text();
    return c.json({ deliveryId: '00000000000000000000000000', accepted: [], ignored: [] }, 202);
  });
  const counter = countSdkCalls();
  const registryGets = countFetches((url) => url.includes(reg.host));
  try {
    // An active rollout holds each of these two services (paused for approval), as in a busy deployment.
    const first = await deliver(stack.url, reg.host, 'team/queued', queuedDigests.shift()!);
    await deliver(stack.url, reg.host, 'team/latest', supersedeDigests.shift()!);
    await until('the holder to pause', async () => (await stack.orchestrator.get(first.accepted[0]!.rolloutId)).status === 'PAUSED', 20_000);
    // The duplicate: a push already ingested (queued, signature verified), delivered again and again.
    const dupDigest = queuedDigests.shift()!;
    await deliver(stack.url, reg.host, 'team/queued', dupDigest);
    const dupBody = JSON.stringify(pushEnvelope(reg.host, 'team/queued', dupDigest));
    // Warm-up, untimed: new digests for services of their own, answered and worked through (their
    // rollouts paused at their first step) until the process is quiet again, so that the timed runs
    // measure the answers' steady pace, as the bare route's 3 s do, rather than a fresh process's first
    // requests or the warm-up's own aftermath.
    const bodyOf = (i: number) => JSON.stringify(pushEnvelope(reg.host, idleServices[i]!.repository, newDigests[i]!));
    const warm = await load({ url: stack.url, method: 'POST', headers, connections: CONNECTIONS, path: '/webhooks/registry', bodies: Array.from({ length: WARM_REQUESTS }, (_, i) => bodyOf(i)), amount: WARM_REQUESTS });
    if (warm.ok !== WARM_REQUESTS) throw new Error(`warm-up: ${JSON.stringify(warm.statuses)} ${JSON.stringify(warm.failures)}`);
    await stack.orchestrator.deliveriesIdle();
    await until('the warm-up rollouts to pause', async () => (await Promise.all(idleServices.slice(0, WARM_REQUESTS).map((s) => allRollouts(stack, s.name)))).every((r) => r[0]?.status === 'PAUSED'), 30_000, 50);
    /** `n` new notifications, each for a repository no service deploys. */
    const notDeployedBodies = (n: number) => Array.from({ length: n }, () => JSON.stringify(pushEnvelope(reg.host, NOT_DEPLOYED, newDigest())));
    const ignoredBodies = notDeployedBodies(WARM_IGNORED);
    const warmIgnored = await load({ url: stack.url, method: 'POST', headers, connections: CONNECTIONS, path: '/webhooks/registry', bodies: ignoredBodies, amount: WARM_IGNORED });
    if (warmIgnored.ok !== WARM_IGNORED) throw new Error(`warm-up: ${JSON.stringify(warmIgnored.statuses)} ${JSON.stringify(warmIgnored.failures)}`);
    await untilQuiet();

    const runs: Partial<Record<Mode, LoadResult>> = {};
    const calls: Partial<Record<Mode, Record<string, number>>> = {};
    /** From the end of a run (the load process's exit) until the delivery queue was idle: the work still due after the answers. */
    const workMs: Partial<Record<Mode, number>> = {};
    // Rotated order across repeats; supersede last (it leaves ECS work behind in the background).
    const rotating: Mode[] = ['bare', 'new', 'ignored', 'duplicate', 'queued', 'bareHono'];
    const order = [...rotating.map((_, i) => rotating[(i + repeat) % rotating.length]!), 'supersede' as Mode];
    for (const mode of order) {
      // Each timed run starts on a quiet process: what the one before left due (its rollouts' first steps) is done.
      await untilQuiet();
      const base = { url: stack.url, method: 'POST', headers, connections: CONNECTIONS };
      counter.reset();
      registryGets.reset();
      let r: LoadResult;
      if (mode === 'bare') r = await load({ ...base, path: '/bench/bare', body: dupBody, duration: DURATION_S });
      else if (mode === 'bareHono') r = await load({ ...base, path: '/bench/bare-hono', body: dupBody, duration: DURATION_S });
      else if (mode === 'duplicate') r = await load({ ...base, path: '/webhooks/registry', body: dupBody, duration: DURATION_S });
      else if (mode === 'ignored') {
        const bodies = notDeployedBodies(IGNORED_REQUESTS);
        r = await load({ ...base, path: '/webhooks/registry', bodies, amount: bodies.length });
      }
      else {
        const bodies =
          mode === 'new'
            ? Array.from({ length: NEW_REQUESTS }, (_, i) => bodyOf(WARM_REQUESTS + i))
            : mode === 'queued'
              ? queuedDigests.map((d) => JSON.stringify(pushEnvelope(reg.host, 'team/queued', d)))
              : supersedeDigests.map((d) => JSON.stringify(pushEnvelope(reg.host, 'team/latest', d)));
        r = await load({ ...base, path: '/webhooks/registry', bodies, amount: bodies.length });
      }
      // The answers came before the work: the calls per request include each delivery's work, done after them.
      const answered = performance.now();
      await stack.orchestrator.deliveriesIdle();
      workMs[mode] = performance.now() - answered;
      runs[mode] = r;
      calls[mode] = perRequest(counter, registryGets.count, r.responses);
    }
    // Correctness: one verified rollout per distinct digest.
    const check = {
      newRollouts: (await Promise.all(idleServices.map((s) => allRollouts(stack, s.name)))).flat().filter((r) => r.signature !== null).length,
      newExpected: WARM_REQUESTS + NEW_REQUESTS,
      queuedRollouts: (await allRollouts(stack, 'queued')).filter((r) => r.signature !== null).length,
      queuedExpected: QUEUED_REQUESTS + 2,
      latestRollouts: (await allRollouts(stack, 'latest')).filter((r) => r.signature !== null).length,
      latestExpected: SUPERSEDE_REQUESTS + 1,
    };
    return { runs: runs as Record<Mode, LoadResult>, calls: calls as Record<Mode, Record<string, number>>, workMs: workMs as Record<Mode, number>, check, warmIgnored: { rps: warmIgnored.rps, p99: warmIgnored.p99 } };
  } finally {
    registryGets.restore();
    counter.restore();
    await stack.stop();
    ws.cleanup();
  }
}

/** One new-rollout webhook at a time on an otherwise idle stack: its latency, which is its CPU cost here. */
async function serialLatency(reg: RunningRegistry): Promise<number> {
  const services: ServiceSpec[] = Array.from({ length: 12 }, (_, i) => ({ name: idle(i), repository: `team/${idle(i)}`, steps: ['- pause: {}'] }));
  const ws = await workspace(reg.host, services);
  const digests = services.map(() => newDigest());
  for (const [i, s] of services.entries()) await pushSignatures(reg.host, s.repository, [digests[i]!], ws.keys.privateKeyPem, 1);
  const stack = await localStack({ config: ws.config, taskStartMs: 20, steadyPollMs: 50 });
  try {
    const times: number[] = [];
    for (const [i, s] of services.entries()) {
      const t = performance.now();
      await deliver(stack.url, reg.host, s.repository, digests[i]!);
      if (i >= 2) times.push(performance.now() - t);
      // Let the rollout's own workflow (canary creation) finish before the next one.
      await until('the rollout to pause', async () => (await allRollouts(stack, s.name))[0]?.status === 'PAUSED', 20_000, 10);
    }
    return median(times);
  } finally {
    await stack.stop();
    ws.cleanup();
  }
}

/** Received deliveries for the answer's store call, one new id each (one image push planned). */
function receivedDeliveries(): () => ReceivedDelivery {
  const push = { registry: '127.0.0.1:5000', repository: 'team/web', tag: null, digest: newDigest(), source: 'distribution notification bench' };
  let i = 0;
  return () => {
    i += 1;
    return { id: `bench-${i}`, source: 'registry', receivedAt: new Date().toISOString(), planned: [{ kind: 'image', service: 'web', rolloutId: `rollout-${i}`, push }], ignored: [] };
  };
}

/**
 * The answering path's one store call without the store: the received delivery's conditional PutItem
 * through the real adapter and SDK client (middleware, serialization, SigV4 signing, parsing the answer),
 * answered at once in process by a request handler that sends nothing; on a client built as every client
 * of ours is (shared/adapters/sdk-client-defaults.ts: the middleware stack cached, one signer, the
 * configuration with fast properties), on one without the last (the configuration a dictionary, as the
 * SDK leaves it), on one with the middleware stack cached only, and on one as the SDK builds it by
 * default. Microseconds per call, the median of 5 batches of 2,000 sequential calls after 500 to warm
 * up, the four clients alternated batch by batch.
 */
async function sdkPutMicros(): Promise<{ ours: number; dictionaryConfig: number; cacheOnly: number; sdkDefault: number }> {
  const requestHandler = {
    handle: async () => ({ response: new HttpResponse({ statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: Readable.from([Buffer.from('{}')]) }) }),
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
  };
  const received = receivedDeliveries();
  const setups = (['ours', 'dictionaryConfig', 'cacheOnly', 'sdkDefault'] as const).map((kind) => {
    const options = { endpoint: 'http://127.0.0.1:9', region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1, requestHandler };
    const client =
      kind === 'ours' ? sdkClient(DynamoDBClient, options)
      : kind === 'dictionaryConfig' ? withOneSigner(new DynamoDBClient({ ...options, ...SDK_CLIENT_DEFAULTS }))
      : new DynamoDBClient({ ...options, ...(kind === 'cacheOnly' ? SDK_CLIENT_DEFAULTS : {}) });
    return { client, store: new DynamoRolloutStore({ client, tableName: 'rollouts' }), batches: [] as number[] };
  });
  for (const { store } of setups) for (let n = 0; n < 500; n++) await store.receiveDelivery(received());
  for (let b = 0; b < 5; b++) {
    for (const setup of setups) {
      const started = performance.now();
      for (let n = 0; n < 2000; n++) await setup.store.receiveDelivery(received());
      setup.batches.push(((performance.now() - started) * 1000) / 2000);
    }
  }
  for (const { client } of setups) client.destroy();
  return { ours: median(setups[0]!.batches), dictionaryConfig: median(setups[1]!.batches), cacheOnly: median(setups[2]!.batches), sdkDefault: median(setups[3]!.batches) };
}

/**
 * The answer's one store call against dynalite, as local mode makes it (the client hands the request to
 * dynalite's thread by message) and as a client of another process would (over loopback HTTP): calls
 * per second with 10 in flight, 3,000 after 500 to warm up, and this process's CPU time per call (its
 * own thread and dynalite's).
 */
async function storeCalls(): Promise<Record<'message' | 'loopback', { perSecond: number; cpuMicros: number }>> {
  const dynamo = await startDynalite({ tableName: 'rollouts' });
  const overLoopback = dynaliteClient(dynamo.endpoint);
  const received = receivedDeliveries();
  const run = async (client: DynamoDBClient) => {
    const store = new DynamoRolloutStore({ client, tableName: 'rollouts' });
    for (let n = 0; n < 500; n++) await store.receiveDelivery(received());
    let left = 3000;
    const cpu = process.cpuUsage();
    const started = performance.now();
    await Promise.all(Array.from({ length: 10 }, async () => {
      while (left-- > 0) await store.receiveDelivery(received());
    }));
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    return { perSecond: 3000 / seconds, cpuMicros: (used.user + used.system) / 3000 };
  };
  try {
    return { message: await run(dynamo.client), loopback: await run(overLoopback) };
  } finally {
    overLoopback.destroy();
    await dynamo.close();
  }
}

const LABEL: Record<Mode, string> = {
  bare: 'bare Hono route',
  bareHono: 'bare Hono route reading its body through Hono (`c.req.text()`, a full web Request on this server)',
  new: 'new digest, idle service',
  ignored: 'new digest, a repository no service deploys',
  duplicate: 'duplicate delivery',
  queued: 'new digest, queued (onNewImage: queue)',
  supersede: 'new digest, supersede (the default onNewImage)',
};

const callText = (c: Record<string, number>) =>
  Object.entries(c)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${fmt(v, 1)} ${k}`)
    .join(', ');

export const webhook: Benchmark = {
  name: 'webhook',
  title: 'Webhook ingest: POST /webhooks/registry vs a bare Hono route',
  async run() {
    const reg = await registry();
    try {
      const repeats: Awaited<ReturnType<typeof oneRepeat>>[] = [];
      for (let r = 0; r < REPEATS; r++) repeats.push(await oneRepeat(reg, r));
      const serialMs = await serialLatency(reg);
      const putMicros = await sdkPutMicros();
      const calls = await storeCalls();
      const m = (mode: Mode, key: 'rps' | 'p50' | 'p99') => median(repeats.map((x) => x.runs[mode][key]));
      const callsOf = (mode: Mode) => {
        const keys = new Set(repeats.flatMap((x) => Object.keys(x.calls[mode])));
        return Object.fromEntries([...keys].map((k) => [k, median(repeats.map((x) => x.calls[mode][k] ?? 0))]));
      };
      const bare = { rps: m('bare', 'rps'), p50: m('bare', 'p50'), p99: m('bare', 'p99') };
      const figures = MODES.filter((mode) => mode !== 'bare' && mode !== 'bareHono').flatMap((mode) => [
        { metric: `${LABEL[mode]}: requests/s`, value: fmt(m(mode, 'rps')), reference: fmt(bare.rps), referenceName: 'bare Hono route', ratio: fmtRatio(m(mode, 'rps') / bare.rps) },
        { metric: `${LABEL[mode]}: p50 / p99 latency`, value: `${fmt(m(mode, 'p50'))} / ${fmt(m(mode, 'p99'))} ms`, reference: `${fmt(bare.p50)} / ${fmt(bare.p99)} ms`, referenceName: 'bare Hono route', ratio: `${fmtRatio(m(mode, 'p50') / bare.p50)} / ${fmtRatio(m(mode, 'p99') / bare.p99)}` },
        { metric: `${LABEL[mode]}: calls per request`, value: callText(callsOf(mode)) || 'none' },
      ]);
      figures.push({ metric: 'bare Hono route: requests/s, p50 / p99', value: `${fmt(bare.rps)}, ${fmt(bare.p50)} / ${fmt(bare.p99)} ms` });
      const bareHono = m('bareHono', 'rps');
      figures.push({ metric: `${LABEL.bareHono}: requests/s, p50 / p99`, value: `${fmt(bareHono)}, ${fmt(m('bareHono', 'p50'))} / ${fmt(m('bareHono', 'p99'))} ms`, reference: fmt(bare.rps), referenceName: 'bare Hono route', ratio: fmtRatio(bareHono / bare.rps) });
      figures.push({ metric: 'new digest, idle service, against that route (for comparison with runs before 2026-12-05, whose reference it was)', value: fmt(m('new', 'rps')), reference: fmt(bareHono), referenceName: LABEL.bareHono, ratio: fmtRatio(m('new', 'rps') / bareHono) });
      figures.push({ metric: 'new digest, idle service: one at a time on an idle stack', value: `${fmt(serialMs)} ms` });
      figures.push({ metric: "the answer's one store call without the store: the received delivery's conditional PutItem through the adapter and the SDK client, answered in process (no network, no dynalite)", value: `${fmt(putMicros.ours)} µs per call`, reference: `${fmt(1e6 / bare.rps)} µs`, referenceName: 'the bare route, per answer at 10 connections (1 / its requests/s)', ratio: fmtRatio(putMicros.ours / (1e6 / bare.rps)) });
      figures.push({ metric: 'the same call on a client built as every client of ours is (the middleware stack cached, `cacheMiddleware`; one signer, `withOneSigner`; the configuration with fast properties, `withFastConfig`)', value: `${fmt(putMicros.ours)} µs per call`, reference: `${fmt(putMicros.sdkDefault)} µs`, referenceName: "the SDK's default (the stack resolved and a signer built on every call, the configuration a dictionary)", ratio: fmtRatio(putMicros.ours / putMicros.sdkDefault) });
      figures.push({ metric: 'the same call, the configuration with fast properties (`withFastConfig`) against the dictionary the SDK leaves, both with the stack cached and one signer', value: `${fmt(putMicros.ours)} µs per call`, reference: `${fmt(putMicros.dictionaryConfig)} µs`, referenceName: 'the configuration as the SDK leaves it', ratio: fmtRatio(putMicros.ours / putMicros.dictionaryConfig) });
      figures.push({ metric: 'the same call, one signer (`withOneSigner`) against a signer built per call, both with the middleware stack cached and the configuration as the SDK leaves it', value: `${fmt(putMicros.dictionaryConfig)} µs per call`, reference: `${fmt(putMicros.cacheOnly)} µs`, referenceName: 'the middleware stack cached only', ratio: fmtRatio(putMicros.dictionaryConfig / putMicros.cacheOnly) });
      figures.push({
        metric: "the answer's one store call against dynalite, 10 in flight: calls/s (this process's CPU per call, both threads), as local mode makes it (by message to dynalite's thread)",
        value: `${fmt(calls.message.perSecond)}/s (${fmt(calls.message.cpuMicros)} µs)`,
        reference: `${fmt(calls.loopback.perSecond)}/s (${fmt(calls.loopback.cpuMicros)} µs)`,
        referenceName: 'the same client over loopback HTTP, as another process reaches dynalite',
        ratio: fmtRatio(calls.message.perSecond / calls.loopback.perSecond),
      });
      const newWorkMs = median(repeats.map((x) => x.workMs.new));
      figures.push({ metric: `new digest, idle service: the ${NEW_REQUESTS} deliveries' work still due when the load process ended`, value: `${fmt(newWorkMs / 1000, 2)} s` });
      const share = m('new', 'rps') / bare.rps;
      const non2xx = repeats.flatMap((x) => Object.entries(x.runs).map(([mode, r]) => [mode, r.responses - r.ok, r.failures] as const)).filter(([, n]) => n > 0);
      const checks = repeats.map((x) => x.check);
      const correct = checks.every((c) => c.newRollouts === c.newExpected && c.queuedRollouts === c.queuedExpected && c.latestRollouts === c.latestExpected);
      const newCalls = callsOf('new');
      const queuedCalls = callsOf('queued');
      return {
        method: [
          `Local mode (\`startLocalStack\`: dynalite on a thread of its own, the ECS emulator and the timer workflow in this process, reached by the real SDK clients without a socket: docs/architecture.md, "The stand-ins") with the real \`CosignSignatureVerifier\` reading cosign signatures from Debian's docker-registry on loopback. Load: autocannon 9.0.0 in a child process, ${CONNECTIONS} connections, no pipelining. ${REPEATS} repeats, each on a fresh stack with the modes in rotated order (supersede last); medians of the repeats. Before the timed runs, untimed: ${WARM_REQUESTS} new digests for other services, answered and worked through, then ${fmt(WARM_IGNORED)} deliveries for a repository no service deploys (the same route and the same one store call, no work after), until the event loop is idle again (under 5% busy over 250 ms): a warm-up, so that V8 has optimized the answering path before it is timed, as the bare route's figure is a 3 s run. Each timed run starts once the process is that quiet again. Calls per request: every DynamoDB and ECS SDK call (counted on the clients) and registry request (counted on \`fetch\`) the process made during a run and until the in-process delivery queue was idle after it, divided by its requests: the answer's one PutItem, each delivery's work after the answer, and for new digests each rollout's first workflow step in the background (its canary task set). The answering path alone is one DynamoDB call (a conditional PutItem of the received delivery), checked by test/integration/webhooks/webhook-intake.test.ts.`,
          `**${LABEL.new}** (the target's figure): ${NEW_REQUESTS} requests per repeat, each a new digest (its signature pushed beforehand) for a different service with no active rollout: authenticate, parse, match in memory, record the delivery and answer \`202\`; then, after the answer, read the stable digest from ECS, claim the (service, digest) delivery, write the rollout, fetch and verify the signature from the registry, take the service lock and start the workflow (PROGRESSING).`,
          `**${LABEL.ignored}**: ${fmt(IGNORED_REQUESTS)} requests per repeat, each a new notification for a repository no service deploys: authenticated, parsed, matched (no service), and recorded with its outcome (ignored, with the reason) in the same one conditional PutItem; nothing is planned and no work follows. It is the answering path with its one store call and nothing else.`,
          `**${LABEL.queued}**: ${QUEUED_REQUESTS} new digests per repeat for one service whose active rollout waits for approval; each is verified and queued behind the lock (PENDING). **${LABEL.supersede}**: ${SUPERSEDE_REQUESTS} new digests for one service; each push supersedes the active rollout (an ECS rollback of its canary) and takes the lock. **${LABEL.duplicate}**: the same notification (a distribution envelope whose event carries an \`id\`) again and again for ${DURATION_S} s, as a registry retrying sends it: its delivery id is derived from the notification, so the first repeat is answered after one refused conditional PutItem and one GetItem of the delivery recorded first, and the later ones from the process's memory of the deliveries it recorded or read in the last 5 minutes; no work follows.`,
          `**${LABEL.bare}**: \`POST /bench/bare\` added to the same Hono app (same server, same app-wide body-limit middleware), reading the same body as the webhook routes read it (\`requestText\`) and answering 202 JSON, for ${DURATION_S} s; no auth, no work. For comparison only, \`POST /bench/bare-hono\` does the same but reads the body through Hono (\`c.req.text()\`), as the reference did until 2026-12-05.`,
        ],
        figures,
        targets: [
          { target: "webhook throughput ≥ 25% of the bare route's", measured: `${fmt(share * 100, 2)}% (${fmt(m('new', 'rps'))} vs ${fmt(bare.rps)} requests/s, new digests); duplicates ${fmt((m('duplicate', 'rps') / bare.rps) * 100, 1)}%`, met: share >= 0.25 },
          { target: "duplicate deliveries ≥ 50% of the bare route's", measured: `${fmt((m('duplicate', 'rps') / bare.rps) * 100, 1)}% (${fmt(m('duplicate', 'rps'))} vs ${fmt(bare.rps)} requests/s)`, met: m('duplicate', 'rps') / bare.rps >= 0.5 },
          { target: 'new digests: p99 ≤ 50 ms at 10 connections', measured: `p99 ${fmt(m('new', 'p99'))} ms (p50 ${fmt(m('new', 'p50'))} ms)`, met: m('new', 'p99') <= 50 },
          { target: 'every distinct delivery makes one verified rollout; no non-2xx', measured: correct && non2xx.length === 0 ? 'yes' : `no: ${JSON.stringify({ checks, non2xx })}`, met: correct && non2xx.length === 0 },
        ],
        analysis: [
          `A new-digest webhook is answered after one DynamoDB call (the received delivery) and the in-memory match; its work (${callText(newCalls)} per request in all, counting the answer and the rollout's first workflow step) follows in the in-process queue, 2 deliveries at a time, started only when no answer is being made and none was for 100 ms (a delivery waits at most 1 s), so the answer's latency does not include the registry, ECS or the rollout's writes (p50 ${fmt(m('new', 'p50'))} ms at ${CONNECTIONS} connections; ${fmt(serialMs)} ms for one, answer and work, on an idle stack; ${fmt(newWorkMs / 1000, 2)} s of work still due when the ${NEW_REQUESTS} answers ended). In AWS the work runs in the intake function. ${share >= 0.25 ? 'The figure reaches 25%' : `The figure stays ${fmt((0.25 - share) * 100, 1)} points under 25%`}: 25% of the bare route leaves ${fmt(4e6 / bare.rps)} µs per answer on this 2-core machine, which also runs dynalite and the load generator, and the answer's one store call alone costs more than that. Deliveries the config ignores are answered after that same one call with nothing planned or handed on: ${fmt(m('ignored', 'rps'))} requests/s, ${fmt((m('ignored', 'rps') / bare.rps) * 100, 1)}% of the bare route, as far as an answer with a store call on it gets here. Its AWS SDK work is ${fmt(putMicros.ours)} µs of this process's CPU without any store (answered in process), and with dynalite the call costs ${fmt(calls.message.cpuMicros)} µs of CPU on the process's two threads (${fmt(calls.message.perSecond)} calls/s at 10 in flight; by message to dynalite's thread since 2026-12-04, against ${fmt(calls.loopback.cpuMicros)} µs over loopback HTTP). The route's own checks (the webhook token, the body parsed and validated, the services matched, the rate limit) and the answer come on top. One call is all the design makes on the answering path, so the target cannot be met here with a real SDK call on it; a target in requests per second would say more (25% of the reference of the runs before 2026-12-05, 3,289 requests/s at 03:21 that day, is 822; the new digests reached ${fmt(m('new', 'rps'))}).`,
          `The reference got faster on 2026-12-05, and so did the answers. Until then the bare route read its body through Hono (\`c.req.text()\`), and on Node's server that builds a full web Request (an undici Request, two AbortControllers, a web stream over the socket); so did every webhook answer, through the app-wide body limit. Since then the limit reads a body off the socket itself and routes read it with \`requestText\` (shared/http/request-body.ts; docs/architecture.md, "Request bodies on the Node server"), and the bare route reads it the same way, so that the reference stays the cheapest answer this app can make. In this run the route reading through Hono answered ${fmt(bareHono)} requests/s, ${fmtRatio(bareHono / bare.rps)} the reference; against it the new digests reach ${fmt((m('new', 'rps') / bareHono) * 100, 1)}%. The full run of 03:21 that day, before these changes, measured 609 new digests and 2,301 duplicates per second against 3,289 for the bare route.`,
          `The SDK call is as cheap as we can make it from outside the SDK: every client of ours caches its middleware stack (\`cacheMiddleware\`, since 2026-12-04), signs with one signer instead of one built per call (\`withOneSigner\`, since 2026-12-05) and keeps its configuration with fast properties (\`withFastConfig\`, since 2026-12-05; shared/adapters/sdk-client-defaults.ts). Together: ${fmt(putMicros.ours)} against ${fmt(putMicros.sdkDefault)} µs for the SDK's default, ${fmt((1 - putMicros.ours / putMicros.sdkDefault) * 100, 0)}% less. The fast configuration alone: ${fmt(putMicros.ours)} against ${fmt(putMicros.dictionaryConfig)} µs. The SDK adds a client's 45 to 51 configuration properties one by one, so V8 keeps the object as a dictionary, and the SDK's middleware copies it on every call (\`{ ...config, ...context }\` when serializing the request and when parsing the answer, \`{ ...config }\` when resolving the endpoint): 14 µs and 9.5 KiB a copy, against 1.4 µs once the object has fast properties (2026-12-05, not figures of this run). On Node 22, the Lambda runtime, the same PutItem measured 230 µs before and 183 µs after the change (2026-12-05, not this run's Node). What remains is the SDK's own per-call work (its user agent, the signing key's cache lookup, which hashes the credentials on every call, serialization, parsing).`,
          `Duplicates reach ${fmt((m('duplicate', 'rps') / bare.rps) * 100, 1)}% of the bare route: a repeat is known on the answering path and costs no work, and since 2026-12-05 one this process remembers is answered before the delivery is planned, and a token check hashes only what the request presents. Before 2026-12-04 this benchmark timed 48 new digests on a fresh stack with no warm-up, a burst of about 0.15 s that measured the process's first requests as much as its pace (9.6% on 2026-12-03).`,
          `Before 06:30 UTC on 2026-12-05 only the ${WARM_REQUESTS} new digests warmed the route up, and V8 was still optimizing the answering path during the timed ones, which last about half a second: in runs of this benchmark's new-digest load traced that day (one each), 128 functions finished optimizing within that window, and V8's helper threads (compiling and collecting garbage) used 604 µs of CPU per answer beside the main thread's 875 µs; with 8,000 ignored deliveries answered first, 54 functions, 84 µs and 604 µs; 1,311 answers per second between the first answer and the last, against 749. The figures of the runs before (10.49% at 05:18 that day) measured that warm-up as much as the answers' pace.`,
          (queuedCalls['DynamoDB Query'] ?? 0) > 3
            ? `With \`onNewImage: queue\` each push costs ${callText(queuedCalls)} (${fmt(Object.entries(queuedCalls).filter(([k]) => k.startsWith('DynamoDB')).reduce((n, [, v]) => n + v, 0), 0)} DynamoDB calls, on average over a queue growing from 1 to ${QUEUED_REQUESTS + 1}), and it grows with the queue: \`acquireLock\` lists the service's PENDING rollouts (\`olderQueued\`) and \`startNextQueued\` lists them again, and \`DynamoRolloutStore.list\` loads each listed rollout's event log with one Query per rollout, up to 100 rollouts a page, so one push reads O(queue length) rollouts twice. A query for the oldest queued rollout alone (a \`Limit: 1\` read on the service index, or a queue item beside the lock) would make it constant.`
            : `With \`onNewImage: queue\` each push costs ${callText(queuedCalls)}.`,
          `What remains per delivery after the answer is the rollout's own cost (its record written at creation, after the signature verdict and at the lock, the lock, the (service, digest) claim, the ECS look) and the delivery's outcome, one PutItem. In AWS the answering Lambda makes one DynamoDB call and one asynchronous Lambda invocation; the work runs in the intake function.`,
          'The default `onNewImage: supersede` path also rolls the previous rollout back in ECS (describe, scale, make primary, delete) in the delivery\'s work, after the answer, before taking the lock.',
        ],
        raw: { storeCalls: calls, repeats: repeats.map((x) => ({ check: x.check, warmIgnored: x.warmIgnored, calls: x.calls, workMs: x.workMs, runs: Object.fromEntries(Object.entries(x.runs).map(([k, v]) => [k, { rps: v.rps, p50: v.p50, p99: v.p99, responses: v.responses, ok: v.ok, statuses: v.statuses, failures: v.failures, seconds: v.seconds }])) })), serialMs },
      };
    } finally {
      await reg.stop();
    }
  },
};
