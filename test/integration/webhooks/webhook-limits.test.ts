/**
 * Every text field a sender controls has a maximum length and a character set, checked at the edge:
 * an event whose field breaks them is ignored with its reason in the 202 answer, and the other events of
 * the delivery go on (a registry retries a refused delivery for ever and holds back its later ones).
 * Nothing oversized or with control characters reaches the store, the answer or a log line.
 */
import { describe, expect, it } from 'vitest';
import type { Logger } from '../../../shared/observability/logger';
import { API_TOKEN, service, webhookHarness } from './webhook-harness';

const HOST = '127.0.0.1:5000';
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const ESC = '\x1b]0;pwned\x07\x1b[2J';
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;

function event(id: string, n: number, extra: { tag?: string; host?: string; repository?: string } = {}) {
  return {
    id,
    action: 'push',
    target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digest(n), repository: extra.repository ?? 'team/web', tag: extra.tag ?? 'v1', url: `https://${HOST}/v2/team/web/manifests/${digest(n)}` },
    request: { host: extra.host ?? HOST },
  };
}

function recordingLogger() {
  const lines: string[] = [];
  const log = (level: string) => (message: string, fields?: object) => void lines.push(JSON.stringify({ level, message, ...fields }));
  const logger = { info: log('info'), warn: log('warn'), error: log('error'), debug: log('debug'), child: () => logger } as unknown as Logger;
  return { logger, lines };
}

const setup = () => {
  const { logger, lines } = recordingLogger();
  const h = webhookHarness({ services: [service('web', `${HOST}/team/web`, { steps: [{ setWeight: 10 }, { pause: {} }, { setWeight: 100 }] })], logger });
  return { h, lines };
};

async function storedText(h: ReturnType<typeof webhookHarness>) {
  return JSON.stringify([...h.store.rollouts.values()]);
}

describe('text limits on webhook deliveries', () => {
  it('ignores an event whose id is 600 KB, with its reason, and deploys the other event of the envelope', async () => {
    const { h, lines } = setup();
    const res = await h.post('/webhooks/registry', { events: [event('x'.repeat(600_000), 1), event('e-2', 2)] }, h.bearer);
    expect(res.status).toBe(202);
    expect(res.body.accepted).toHaveLength(1);
    expect(res.body.ignored).toEqual([expect.objectContaining({ reason: expect.stringMatching(/^events\[0\]\.id: "x{80}…" is not a delivery id/) })]);
    expect(JSON.stringify(res.body).length).toBeLessThan(2000);
    const rollout = await h.store.get(res.body.accepted[0].rolloutId);
    expect(rollout.image.digest).toBe(digest(2));
    expect((await storedText(h)).length).toBeLessThan(20_000);
    expect(lines.join('\n').length).toBeLessThan(20_000);
  });

  it.each([
    ['an id with escape sequences', event(`e${ESC}`, 1)],
    ['a host with escape sequences', event('e-1', 1, { host: `evil${ESC}` })],
    ['a tag of 129 characters', event('e-1', 1, { tag: 'v'.repeat(129) })],
    ['a tag starting with a dot', event('e-1', 1, { tag: '.v1' })],
  ])('ignores an event with %s and stores nothing of it', async (_what, bad) => {
    const { h } = setup();
    const res = await h.post('/webhooks/registry', { events: [bad, event('e-2', 2)] }, h.bearer);
    expect(res.status).toBe(202);
    expect(res.body.ignored).toHaveLength(1);
    expect(res.body.accepted).toHaveLength(1);
    expect(JSON.stringify(res.body)).not.toMatch(CONTROL);
    expect(await storedText(h)).not.toMatch(CONTROL);
  });

  it('answers with short, escaped reasons whatever the size of what was sent', async () => {
    const { h } = setup();
    const huge = `${ESC}${'y'.repeat(100_000)}`;
    const events = [
      { ...event('e-1', 1), action: huge },
      { ...event('e-2', 2), target: { ...event('e-2', 2).target, mediaType: huge } },
      { ...event('e-3', 3), target: { ...event('e-3', 3).target, digest: huge } },
      event('e-4', 4, { repository: huge.toLowerCase() }),
    ];
    const res = await h.post('/webhooks/registry', { events }, h.bearer);
    expect(res.status).toBe(202);
    expect(res.body.ignored).toHaveLength(4);
    for (const ignored of res.body.ignored) expect(JSON.stringify(ignored).length).toBeLessThan(600);
    expect(JSON.stringify(res.body)).not.toContain('\x1b');
    expect(await h.untouched()).toBe(true);
  });

  it('ignores an ECR push whose tag or event id is not one, and stores nothing of it', async () => {
    const ecrHost = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
    const h = webhookHarness({ services: [service('web', `${ecrHost}/web`)] });
    const ecr = (id: string, tag: string) => ({
      'detail-type': 'ECR Image Action',
      source: 'aws.ecr',
      id,
      account: '123456789012',
      region: 'us-east-1',
      detail: { 'action-type': 'PUSH', result: 'SUCCESS', 'repository-name': 'web', 'image-digest': digest(7), 'image-tag': tag },
    });
    for (const body of [ecr('ok-id', `v1${ESC}`), ecr('ok-id', 'v'.repeat(200)), ecr('x'.repeat(5000), 'v1')]) {
      const res = await h.post('/webhooks/ecr', body, h.bearer);
      expect(res.status).toBe(202);
      expect(res.body.accepted).toEqual([]);
      expect(res.body.ignored[0].reason).toEqual(expect.any(String));
      expect(JSON.stringify(res.body)).not.toContain('\x1b');
    }
    expect(await h.untouched()).toBe(true);
  });

  it('ignores a Harbor CloudEvent or an ACR event whose id is not a delivery id', async () => {
    const h = webhookHarness({ services: [service('web', `${HOST}/team/web`)] });
    const harbor = {
      specversion: '1.0',
      id: `h${ESC}`,
      type: 'harbor.artifact.pushed',
      data: { resources: [{ digest: digest(3), tag: 'v1', resource_url: `${HOST}/team/web:v1` }], repository: { repo_full_name: 'team/web' } },
    };
    const res = await h.post('/webhooks/harbor', harbor, { ...h.bearer, 'content-type': 'application/cloudevents+json' });
    expect(res.status).toBe(202);
    expect(res.body.accepted).toEqual([]);
    const acr = await h.post('/webhooks/acr', event(`a${ESC}`, 4), h.bearer);
    expect(acr.status).toBe(202);
    expect(acr.body.accepted).toEqual([]);
    expect(await h.untouched()).toBe(true);
  });
});

describe('text limits on the API', () => {
  const paused = async () => {
    const { h } = setup();
    const res = await h.post('/webhooks/registry', { events: [event('e-1', 1)] }, h.bearer);
    const id = res.body.accepted[0].rolloutId as string;
    await h.orchestrator.advance(id);
    h.ecs.settle();
    await h.orchestrator.advance(id);
    expect((await h.store.get(id)).status).toBe('PAUSED');
    const call = async (method: string, path: string, body?: unknown) => {
      const r = await h.app.request(path, { method, headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      return { status: r.status, type: r.headers.get('content-type'), body: (await r.json()) as any };
    };
    return { h, id, call };
  };

  it.each([
    ['a comment with escape sequences', 'approve', { by: 'ann', comment: `ok${ESC}` }, /comment/],
    ['a comment over 2000 characters', 'approve', { by: 'ann', comment: 'c'.repeat(2001) }, /comment/],
    ['a by with a newline', 'approve', { by: 'ann\nSUCCEEDED', comment: null }, /by/],
    ['a by with a bidi override', 'approve', { by: 'ann\u202Egnp', comment: null }, /by/],
    ['a reason with a carriage return', 'abort', { by: 'ann', reason: 'x\rROLLED BACK by nobody' }, /reason/],
  ])('refuses %s with a 400 problem and writes nothing', async (_what, command, body, field) => {
    const { h, id, call } = await paused();
    const before = (await h.store.get(id)).version;
    const res = await call('POST', `/rollouts/${id}/${command}`, body);
    expect(res.status).toBe(400);
    expect(res.type).toMatch(/^application\/problem\+json/);
    expect(res.body.errors.join(' ')).toMatch(field);
    expect((await h.store.get(id)).version).toBe(before);
  });

  it('keeps ordinary text: accents, emoji, other scripts', async () => {
    const { id, call } = await paused();
    const res = await call('POST', `/rollouts/${id}/approve`, { by: 'Zoë Ångström', comment: 'sieht gut aus ✓ 良い' });
    expect(res.status).toBe(200);
    expect(res.body.approvals[0]).toMatchObject({ by: 'Zoë Ångström', comment: 'sieht gut aus ✓ 良い' });
  });

  it.each([
    ['a rollout id of 3000 characters', 'GET', `/rollouts/${'a'.repeat(3000)}`],
    ['a rollout id with a control character', 'GET', '/rollouts/01m8jb8yrx04r7fj816qgfdg9%1B'],
    ['a command on an id of 3000 characters', 'POST', `/rollouts/${'a'.repeat(3000)}/abort`],
    ['a service name of 300 characters', 'GET', `/services/${'s'.repeat(300)}`],
    ['a listing of a service name with controls', 'GET', '/rollouts?service=web%1B%5B2J'],
    ['an alarm name with controls', 'PUT', '/local/alarms/a%1B%5B2J'],
  ])('answers %s with a 4xx problem, never a 5xx', async (_what, method, path) => {
    const { call } = await paused();
    const res = await call(method, path, method === 'GET' ? undefined : { by: 'ann', state: 'OK' });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.type).toMatch(/^application\/problem\+json/);
    expect(res.body.detail.length).toBeLessThan(400);
    expect(res.body.detail).not.toMatch(CONTROL);
  });
});
