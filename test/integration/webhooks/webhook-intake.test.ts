/**
 * Webhook intake against the real store (dynalite): a delivery is answered after one DynamoDB call,
 * its work follows and ends in an outcome at `GET /deliveries/{id}`, a delivery whose work was lost is
 * finished by the next dispatch, and a delivery the store cannot record is a 503.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoRolloutStore } from '../../../shared/adapters/dynamodb/dynamo-rollout-store';
import { createApp } from '../../../shared/http/app';
import { FailureLimiter } from '../../../shared/http/rate-limit';
import { Orchestrator } from '../../../shared/orchestration/orchestrator';
import type { DeliveryQueue, ReceivedDelivery } from '../../../shared/ports';
import { useDynalite } from '../../helpers/dynamodb';
import { appConfig } from '../../helpers/local-config';
import { ScriptedVerifier } from '../../helpers/scripted-verifier';
import { FakeEcs, RecordingWorkflow } from '../../unit/orchestration/fakes';
import { API_TOKEN, WEBHOOK_TOKEN, service, sha256 } from './webhook-harness';

const dynamo = useDynalite();

/** Counts the DynamoDB operations a client sends, by name. */
function countCalls(client: DynamoDBClient): { calls: string[] } {
  const counter = { calls: [] as string[] };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      counter.calls.push(String(context.commandName).replace(/Command$/, ''));
      return next(args);
    },
    { step: 'initialize', name: 'countCalls' },
  );
  return counter;
}

/** A queue that only remembers what it was handed: the work of a process that died after answering. */
class HeldQueue implements DeliveryQueue {
  readonly held: string[] = [];
  readonly handed = new Map<string, ReceivedDelivery>();
  async dispatch(id: string, received?: ReceivedDelivery) {
    this.held.push(id);
    if (received) this.handed.set(id, received);
  }
}

async function setup(options: { queue?: DeliveryQueue; clock?: () => Date; recentDeliveries?: number } = {}) {
  const tableName = await dynamo.newTable();
  const client = dynamo.newClient();
  const counter = countCalls(client);
  const store = new DynamoRolloutStore({ client, tableName });
  const config = appConfig([service('web', '127.0.0.1:5000/team/web', { tags: /^v[0-9]+/ }), service('worker', '127.0.0.1:5000/team/web')]);
  const verifier = new ScriptedVerifier();
  const ecs = new FakeEcs();
  const orchestrator = new Orchestrator({
    config, store, ecs, verifier, workflow: new RecordingWorkflow(),
    ...(options.queue ? { deliveries: options.queue } : {}), ...(options.clock ? { clock: options.clock } : {}),
    options: { signatureRecheckMs: [], ...(options.recentDeliveries === undefined ? {} : { recentDeliveries: options.recentDeliveries }) },
  });
  const app = createApp({ orchestrator, webhookToken: WEBHOOK_TOKEN, apiToken: API_TOKEN, authFailures: new FailureLimiter({ maxFailures: Number.POSITIVE_INFINITY }) });
  const push = async (digest: string, tag: string | null) => {
    const res = await app.request('/webhooks/generic', {
      method: 'POST',
      headers: { authorization: `Bearer ${WEBHOOK_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ image: `127.0.0.1:5000/team/web@${digest}`, ...(tag ? { tag } : {}) }),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as any };
  };
  /** A distribution notification, whose event ids identify it: a registry retrying sends it again as is. */
  const notify = async (envelope: unknown) => {
    const res = await app.request('/webhooks/registry', {
      method: 'POST',
      headers: { authorization: `Bearer ${WEBHOOK_TOKEN}`, 'content-type': 'application/vnd.docker.distribution.events.v2+json' },
      body: JSON.stringify(envelope),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const delivery = async (id: string, token = API_TOKEN) => {
    const res = await app.request(`/deliveries/${id}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as any };
  };
  return { store, orchestrator, counter, verifier, ecs, push, notify, delivery };
}

describe('webhook intake', () => {
  it('answers after one DynamoDB call, with the delivery id and the id its rollout will have, and what the config alone refuses', async () => {
    const queue = new HeldQueue();
    const h = await setup({ queue });
    h.counter.calls.length = 0;
    const res = await h.push(sha256('build 1'), 'dev-1');
    expect(res.status).toBe(202);
    expect(h.counter.calls).toEqual(['PutItem']);
    expect(res.body).toEqual({
      deliveryId: expect.stringMatching(/^[0-9a-z]{26}$/),
      accepted: [{ rolloutId: expect.stringMatching(/^[0-9a-z]{26}$/), service: 'worker', status: 'PENDING' }],
      ignored: [expect.objectContaining({ service: 'web', reason: 'tag dev-1 does not match ^v[0-9]+' })],
    });
    expect(queue.held).toEqual([res.body.deliveryId]);
    // Nothing else happened yet: the delivery is received, its rollout not started.
    expect((await h.delivery(res.body.deliveryId)).body).toMatchObject({ status: 'RECEIVED', processedAt: null, accepted: res.body.accepted });
    expect((await h.store.list({})).items).toEqual([]);
  });

  it('records the outcome: the rollout started under the id the answer gave, and what was ignored, with reasons', async () => {
    const h = await setup();
    const res = await h.push(sha256('build 2'), 'v2');
    await h.orchestrator.deliveriesIdle();
    const outcome = await h.delivery(res.body.deliveryId);
    expect(outcome.status).toBe(200);
    expect(outcome.body).toEqual({
      id: res.body.deliveryId,
      source: 'generic',
      status: 'PROCESSED',
      receivedAt: expect.any(String),
      processedAt: expect.any(String),
      accepted: res.body.accepted.map((a: any) => ({ ...a, status: 'PROGRESSING' })),
      ignored: [],
    });
    expect(outcome.body.accepted.map((a: any) => a.service).sort()).toEqual(['web', 'worker']);
    for (const a of outcome.body.accepted) expect((await h.store.get(a.rolloutId)).image.tag).toBe('v2');
    // A duplicate delivery is answered the same way; its outcome says what it found.
    const again = await h.push(sha256('build 2'), 'v2');
    await h.orchestrator.deliveriesIdle();
    const dup = (await h.delivery(again.body.deliveryId)).body;
    expect(dup.accepted).toEqual([]);
    expect(dup.ignored.map((i: any) => i.reason)).toEqual(Array(2).fill(expect.stringMatching(/^duplicate delivery: rollout \S+ already deploys this digest/)));
  });

  it.each([
    { by: 'the store (another process): one refused write and one read', recentDeliveries: 0, calls: ['PutItem', 'GetItem'] },
    { by: 'the process that recorded it, from memory: no store call', recentDeliveries: undefined, calls: [] },
  ])('answers a repeat of a notification its sender identifies from the delivery recorded first, with no work again; by $by', async ({ recentDeliveries, calls }) => {
    const queue = new HeldQueue();
    const h = await setup({ queue, recentDeliveries });
    const envelope = (id: string, digest: string) => ({
      events: [{ id, action: 'push', target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, repository: 'team/web', tag: 'v8', url: `http://127.0.0.1:5000/v2/team/web/manifests/${digest}` }, request: { host: '127.0.0.1:5000' } }],
    });
    const first = await h.notify(envelope('event-1', sha256('build 8')));
    expect(first.status).toBe(202);
    expect(first.body.accepted).toHaveLength(2);
    // The registry retries (its answer was lost): the same answer, nothing handed on again.
    h.counter.calls.length = 0;
    const retry = await h.notify(envelope('event-1', sha256('build 8')));
    expect(h.counter.calls).toEqual(calls);
    expect(retry).toEqual(first);
    expect(queue.held).toEqual([first.body.deliveryId]);
    // Once processed, a repeat answers the outcome, still without work.
    await h.orchestrator.processDelivery(first.body.deliveryId);
    h.counter.calls.length = 0;
    const late = await h.notify(envelope('event-1', sha256('build 8')));
    expect(h.counter.calls).toEqual(calls);
    expect(late.body).toEqual({ deliveryId: first.body.deliveryId, accepted: first.body.accepted.map((a: any) => ({ ...a, status: 'PROGRESSING' })), ignored: [] });
    expect(queue.held).toEqual([first.body.deliveryId]);
    expect((await h.store.list({})).items).toHaveLength(2);
    // Another event, or other bytes under the same event id, is another delivery.
    const other = await h.notify(envelope('event-2', sha256('build 8')));
    const changed = await h.notify(envelope('event-1', sha256('build 9')));
    expect(new Set([first.body.deliveryId, other.body.deliveryId, changed.body.deliveryId]).size).toBe(3);
    expect(queue.held).toHaveLength(3);
  });

  it('ends a refused signature on the rollout, with its reason, as before the answer came first', async () => {
    const h = await setup();
    const digest = sha256('unsigned');
    h.verifier.set(digest, 'rejected');
    const res = await h.push(digest, 'v3');
    await h.orchestrator.deliveriesIdle();
    const outcome = (await h.delivery(res.body.deliveryId)).body;
    expect(outcome.accepted.map((a: any) => a.status)).toEqual(['REJECTED', 'REJECTED']);
    const rollout = await h.store.get(outcome.accepted[0].rolloutId);
    expect(rollout.status).toBe('REJECTED');
    expect(rollout.reason).toMatch(/not signed by any configured key/);
  });

  it('finishes a delivery whose work died with its process: dispatched again, it starts the rollout once', async () => {
    const queue = new HeldQueue();
    let now = new Date('2026-03-01T10:00:00Z');
    const h = await setup({ queue, clock: () => now });
    const res = await h.push(sha256('build 4'), 'v4');
    // The process "died": nothing worked on the delivery. A young one is left to its hand-over...
    expect(await h.orchestrator.sweep()).toMatchObject({ deliveries: [] });
    now = new Date('2026-03-01T10:01:01Z');
    // ...an old one is dispatched again by the watchdog, and its work runs (twice at once: still one rollout each).
    expect((await h.orchestrator.sweep()).deliveries).toEqual([res.body.deliveryId]);
    await Promise.all([h.orchestrator.processDelivery(res.body.deliveryId), h.orchestrator.processDelivery(res.body.deliveryId)]);
    const outcome = (await h.delivery(res.body.deliveryId)).body;
    expect(outcome.status).toBe('PROCESSED');
    expect(outcome.accepted.map((a: any) => a.rolloutId).sort()).toEqual(res.body.accepted.map((a: any) => a.rolloutId).sort());
    expect((await h.store.list({})).items).toHaveLength(2);
    expect(await h.store.receivedDeliveries()).toEqual([]);
  });

  it('keeps the first outcome when its work runs twice from the handed-on delivery (an asynchronous invocation delivered again)', async () => {
    const queue = new HeldQueue();
    const h = await setup({ queue });
    const digest = sha256('build 6');
    const res = await h.push(digest, 'v6');
    const received = queue.handed.get(res.body.deliveryId)!;
    expect(received).toMatchObject({ id: res.body.deliveryId });
    const first = await h.orchestrator.processDelivery(res.body.deliveryId, received);
    expect(first?.accepted.map((a) => a.rolloutId).sort()).toEqual(res.body.accepted.map((a: any) => a.rolloutId).sort());
    // Run again later, the same work would decide otherwise (the digest is stable by then): the first outcome stands.
    h.ecs.sets.get('stable')!.digest = digest;
    h.counter.calls.length = 0;
    const again = await h.orchestrator.processDelivery(res.body.deliveryId, received);
    expect(again).toEqual(first);
    expect(h.counter.calls.filter((c) => c === 'PutItem')).toHaveLength(1); // the refused outcome write
    expect((await h.delivery(res.body.deliveryId)).body).toMatchObject({ status: 'PROCESSED', accepted: first!.accepted, ignored: first!.ignored });
  });

  it('answers 503 with Retry-After when the delivery cannot be recorded, and no 5xx for good deliveries at once', async () => {
    const h = await setup();
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => h.push(sha256(`build ${i % 2}`), 'v5')));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(202));
    await h.orchestrator.deliveriesIdle();
    expect((await h.store.list({})).items).toHaveLength(4); // two digests, two services each
    const broken = await setup();
    (broken.store as any).deliveries.client = { send: async () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { name: 'Error' })) };
    const refused = await broken.push(sha256('build 6'), 'v6');
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(refused.body.detail).toMatch(/could not be recorded.*send it again/);
  });

  it('serves GET /deliveries/{id} to API callers only, and 404 for an unknown id', async () => {
    const h = await setup();
    const res = await h.push(sha256('build 7'), 'v7');
    expect((await h.delivery(res.body.deliveryId, WEBHOOK_TOKEN)).status).toBe(401);
    expect((await h.delivery('01m8wkf6v520rn4218svk8zfc6')).status).toBe(404);
    expect((await h.delivery('not-an-id')).status).toBe(404);
    await h.orchestrator.deliveriesIdle(); // its work, before the table goes
  });
});
