/**
 * Property-based tests over every webhook route: whatever arrives (arbitrary JSON, arbitrary text,
 * the senders' real payloads with any part replaced by a value of any type, huge strings, wrong
 * content types, wrong or missing credentials), the answer is 202 or a 4xx problem, never a 5xx,
 * and nothing is written to the store, ECS is not called and no registry is asked.
 *
 * The configured service is one no generated body can name, so that "nothing written" holds for the
 * well-formed pushes too; the sender tests show what a matching push does.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WEBHOOK_ROUTES } from '../../../shared/http/webhook-routes';
import { ROLLOUT_ID_PATTERN } from '../../../shared/core/ids';
import { WEBHOOK_TOKEN, fixture, service, sign, webhookHarness } from './webhook-harness';

const RUNS = 200;

const SAMPLES: Record<string, readonly string[]> = {
  registry: ['distribution/distribution-docs-envelope-push-manifest-and-layers.json', 'distribution/gitlab-container-registry-envelope-push-tag.json'],
  ecr: ['aws/eventbridge-ecr-image-action-push-untagged-oci.json', 'aws/eventbridge-ecr-image-action-push-docs.json'],
  generic: [],
  dockerhub: ['dockerhub/dockerhub-docs-push.json', 'dockerhub/dockerhub-keel-test-push.json'],
  github: ['github/github-package-published-ghcr-multiarch-real.json', 'github/github-registry-package-published-docker-octokit.json'],
  quay: ['quay/quay-repo-push-docs.json'],
  harbor: ['harbor/harbor-push-artifact-default.json', 'harbor/harbor-push-artifact-cloudevents.json', 'harbor/harbor-push-artifact-default-tagged.json'],
  acr: ['acr/acr-push-docs-2017.json', 'acr/acr-push-docs-current-masked.json'],
};
const GENERIC_SAMPLE = { image: `127.0.0.1:5000/team/web@sha256:${'a'.repeat(64)}`, tag: 'v1', source: 'ci' };

/** Every path to a value inside `doc`, the root included. */
function paths(doc: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const here = [prefix];
  if (Array.isArray(doc)) return here.concat(...doc.map((v, i) => paths(v, [...prefix, i])));
  if (doc && typeof doc === 'object') return here.concat(...Object.entries(doc).map(([k, v]) => paths(v, [...prefix, k])));
  return here;
}

function replaceAt(doc: unknown, path: readonly (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy: any = structuredClone(doc);
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key];
  node[path[path.length - 1]!] = value;
  return copy;
}

const huge = fc.integer({ min: 50_000, max: 200_000 }).map((n) => 'x'.repeat(n));
const anyValue = fc.oneof({ weight: 8, arbitrary: fc.jsonValue({ maxDepth: 3 }) }, { weight: 1, arbitrary: huge }, { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 64 }) });

/** A real payload of the sender with one part (or the whole) replaced by anything. */
function mutatedSample(route: string) {
  const docs = (SAMPLES[route] ?? []).map((f) => fixture(f).json as unknown).concat(route === 'generic' ? [GENERIC_SAMPLE] : []);
  return fc.constantFrom(...docs).chain((doc) => {
    const all = paths(doc);
    return fc.tuple(fc.constantFrom(...all), anyValue).map(([path, value]) => JSON.stringify(replaceAt(doc, path, value)));
  });
}

const body = (route: string) =>
  fc.oneof(
    { weight: 4, arbitrary: mutatedSample(route) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
    { weight: 1, arbitrary: fc.constantFrom('', '{', '[]', 'null', '{"events":', '\u0000', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}') },
    { weight: 1, arbitrary: huge.map((s) => JSON.stringify({ image: s, events: [{ action: s }], push_data: { tag: s } })) },
  );

function contentType(allowed: readonly string[]) {
  return fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...allowed) }, { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/xml', '', 'application/json-seq', 'multipart/form-data') }, { weight: 1, arbitrary: fc.string({ maxLength: 40 }) });
}

const goodAuth = (route: string, text: string): Record<string, string> =>
  route === 'github' ? { 'x-hub-signature-256': sign(WEBHOOK_TOKEN, text) } : { authorization: `Bearer ${WEBHOOK_TOKEN}` };

const badAuth = fc.oneof(
  fc.constant<Record<string, string>>({}),
  fc.string({ maxLength: 100 }).map((s) => ({ authorization: s })),
  fc.string({ maxLength: 100 }).map((s) => ({ authorization: `Bearer ${s}` })),
  fc.constant({ authorization: `Bearer ${WEBHOOK_TOKEN}x` }),
  fc.constant({ authorization: `Basic ${Buffer.from(`u:${WEBHOOK_TOKEN}`).toString('base64')}` }),
  fc.string({ maxLength: 100 }).map((s) => ({ 'x-hub-signature-256': `sha256=${s}` })),
  fc.string({ maxLength: 80 }).map((s) => ({ 'x-hub-signature-256': sign(s, 'another body') })),
);

const h = webhookHarness({ services: [service('never', '127.0.0.1:5000/pbt/never-generated')] });
const fetchCalls = vi.fn(async () => new Response('no registry here', { status: 500 }));
beforeAll(() => vi.stubGlobal('fetch', fetchCalls));
afterAll(() => vi.unstubAllGlobals());

/** Headers as HTTP allows them: a generated value that fetch refuses is no request at all. */
const sendable = (headers: Record<string, string>) => Object.values(headers).every((v) => /^[\t\x20-\x7e\x80-\xff]*$/.test(v) && v.trim() === v);

async function expectHarmless(res: { status: number; body: any; contentType: string | null }) {
  if (res.status === 202) {
    expect(res.body).toEqual({ deliveryId: expect.stringMatching(ROLLOUT_ID_PATTERN), accepted: [], ignored: expect.any(Array) });
  } else {
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.contentType).toMatch(/^application\/problem\+json/);
    expect(res.body.detail).toEqual(expect.any(String));
  }
  expect(await h.untouched()).toBe(true);
  expect(fetchCalls).not.toHaveBeenCalled();
}

describe.each(WEBHOOK_ROUTES.map((r) => [r.source, r] as const))('POST /webhooks/%s', (source, route) => {
  it('answers any authenticated body with 202 or a 4xx, and changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(body(source), contentType(route.contentTypes), async (text, type) => {
        const res = await h.post(`/webhooks/${source}`, text, { ...goodAuth(source, text), 'content-type': type });
        const tooLarge = Buffer.byteLength(text) > 1024 * 1024;
        if (tooLarge) expect(res.status).toBe(413);
        else if (!route.contentTypes.includes(type.split(';')[0]!.trim().toLowerCase())) expect(res.status).toBe(415);
        await expectHarmless(res);
      }),
      { numRuns: RUNS },
    );
  });

  it('answers 401 to a wrong or missing credential, whatever the body, and changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(body(source), badAuth, fc.constantFrom('', '?token=', '?token=wrong', `?token=${WEBHOOK_TOKEN.slice(1)}`), async (text, auth, query) => {
        fc.pre(sendable(auth));
        const res = await h.post(`/webhooks/${source}${query}`, text, auth);
        // The app-wide body limit answers first, before anything is read.
        expect(res.status).toBe(Buffer.byteLength(text) > 1024 * 1024 ? 413 : 401);
        await expectHarmless(res);
      }),
      { numRuns: RUNS / 4 },
    );
  });

  it('answers 413 to a body over 1 MB before reading it, and 415 to a wrong content type', async () => {
    const big = `{"x":"${'x'.repeat(1024 * 1024)}"}`;
    await expectHarmless(await h.post(`/webhooks/${source}`, big, goodAuth(source, big)));
    expect((await h.post(`/webhooks/${source}`, big, goodAuth(source, big))).status).toBe(413);
    const wrongType = await h.post(`/webhooks/${source}`, '{}', { ...goodAuth(source, '{}'), 'content-type': 'text/plain' });
    expect(wrongType.status).toBe(415);
    expect(wrongType.body.detail).toMatch(/content type "text\/plain" is not accepted here; send one of/);
  });
});
