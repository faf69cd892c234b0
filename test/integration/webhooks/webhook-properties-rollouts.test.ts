/**
 * The rollout-writing path, fuzzed against the real DynamoDB store (dynalite): generated registry
 * events that match a configured service, with ids, tags, hosts and digests of any size and content,
 * and operator commands with any `by`, comment and reason. Whatever arrives, the answer is a 2xx or a
 * 4xx (never a 5xx: a 600 KB event id once made the store refuse the item and the API answer 500),
 * nothing oversized is stored, and nothing with a control character is stored or answered.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Orchestrator } from '../../../shared/orchestration/orchestrator';
import { createApp } from '../../../shared/http/app';
import { FailureLimiter } from '../../../shared/http/rate-limit';
import { useDynalite } from '../../helpers/dynamodb';
import { ScriptedVerifier } from '../../helpers/scripted-verifier';
import { FakeEcs, RecordingWorkflow } from '../../unit/orchestration/fakes';
import { API_TOKEN, WEBHOOK_TOKEN, service } from './webhook-harness';
import { appConfig } from '../../helpers/local-config';

const RUNS = 40;
const HOST = '127.0.0.1:5000';
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
/** Longest string any stored rollout may hold (a comment is at most 2000; an event message quotes one). */
const MAX_STORED_STRING = 2600;

const dynamo = useDynalite();

async function setup() {
  const { store } = await dynamo.newStore();
  const config = appConfig([service('web', `${HOST}/team/web`, { steps: [{ setWeight: 10 }, { pause: {} }, { setWeight: 100 }] })]);
  const ecs = new FakeEcs();
  const orchestrator = new Orchestrator({ config, store, ecs, verifier: new ScriptedVerifier(), workflow: new RecordingWorkflow(), options: { signatureRecheckMs: [] } });
  const app = createApp({ orchestrator, webhookToken: WEBHOOK_TOKEN, apiToken: API_TOKEN, authFailures: new FailureLimiter({ maxFailures: Number.POSITIVE_INFINITY }) });
  const request = async (method: string, path: string, body: unknown, token: string) => {
    const res = await app.request(path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    return { status: res.status, text: await res.text() };
  };
  const stored = async () => (await store.list({ limit: 100 })).items;
  return { store, ecs, orchestrator, request, stored };
}

/** Every string in a value, keys included. */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) strings(v, out.concat(k));
  return out;
}

function expectClean(rollouts: readonly unknown[]) {
  for (const s of strings(rollouts)) {
    expect(s.length).toBeLessThanOrEqual(MAX_STORED_STRING);
    expect(s).not.toMatch(CONTROL);
  }
}

const nasty = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  { weight: 1, arbitrary: fc.constantFrom('\x1b]0;pwned\x07', '\x1b[2J', 'ok\rSUCCEEDED', '\u202Egnp.exe', 'a\u2028b', '\u009b31m') },
  { weight: 1, arbitrary: fc.integer({ min: 3000, max: 400_000 }).map((n) => 'x'.repeat(n)) },
);
const goodTag = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,20}$/);
const digest = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => `sha256:${Buffer.from(b).toString('hex')}`);

/** A distribution event for the configured service, with any field possibly replaced by anything. */
const matchingEvent = fc.record({
  id: fc.oneof(fc.uuid(), nasty),
  tag: fc.oneof({ weight: 3, arbitrary: goodTag }, { weight: 1, arbitrary: nasty }),
  host: fc.oneof({ weight: 4, arbitrary: fc.constant(HOST) }, { weight: 1, arbitrary: nasty }),
  digest: fc.oneof({ weight: 4, arbitrary: digest }, { weight: 1, arbitrary: nasty }),
  repository: fc.oneof({ weight: 5, arbitrary: fc.constant('team/web') }, { weight: 1, arbitrary: nasty }),
}).map((e) => ({
  id: e.id,
  action: 'push',
  target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: e.digest, repository: e.repository, tag: e.tag, url: `https://${HOST}/v2/team/web/manifests/x` },
  request: { host: e.host },
}));

describe('the rollout-writing path, fuzzed against DynamoDB', () => {
  it('stores nothing oversized or unescaped from any registry event that names a configured service', async () => {
    const { request, stored, orchestrator } = await setup();
    await fc.assert(
      fc.asyncProperty(fc.array(matchingEvent, { minLength: 1, maxLength: 3 }), async (events) => {
        const body = JSON.stringify({ events });
        const res = await request('POST', '/webhooks/registry', body, WEBHOOK_TOKEN);
        if (Buffer.byteLength(body) > 1024 * 1024) expect(res.status).toBe(413);
        else expect(res.status).toBe(202);
        expect(res.text).not.toMatch(CONTROL);
        expect(res.text.length).toBeLessThan(20_000);
      }),
      { numRuns: RUNS },
    );
    // The answers only planned: the rollouts are written by each delivery's work, after it.
    await orchestrator.deliveriesIdle();
    const rollouts = await stored();
    expect(rollouts.length).toBeGreaterThan(0); // some generated events did start rollouts
    expectClean(rollouts);
  });

  it('stores nothing oversized or unescaped from any operator command', async () => {
    const { request, stored, orchestrator, ecs } = await setup();
    const started = await request('POST', '/webhooks/registry', { events: [{ id: 'e1', action: 'push', target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'1'.repeat(64)}`, repository: 'team/web', tag: 'v1' }, request: { host: HOST } }] }, WEBHOOK_TOKEN);
    const id = JSON.parse(started.text).accepted[0].rolloutId as string;
    await orchestrator.deliveriesIdle();
    await orchestrator.advance(id);
    ecs.settle();
    await orchestrator.advance(id);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('approve', 'reject', 'abort', 'promote'), nasty, fc.option(nasty), async (command, by, note) => {
        const body = command === 'abort' ? { by, reason: note } : command === 'promote' ? { by } : { by, comment: note };
        const res = await request('POST', `/rollouts/${id}/${command}`, body, API_TOKEN);
        expect(res.status === 200 || (res.status >= 400 && res.status < 500)).toBe(true);
        expect(res.text).not.toMatch(CONTROL);
      }),
      { numRuns: RUNS },
    );
    expectClean(await stored());
  });
});
