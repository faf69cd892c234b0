/**
 * Authentication per source (forged webhooks, replays, approval forgery): what the config's
 * `webhooks:` section changes, and what each sender's route accepts by default.
 */
import { describe, expect, it } from 'vitest';
import { Secret, type WebhooksConfig } from '../../../shared/config/webhooks-schema';
import { API_TOKEN, WEBHOOK_TOKEN, fixture, service, sha256, sign, webhookHarness } from './webhook-harness';

const GITHUB_SECRET = 'github-secret-0123456789abcdef';
const HUB_TOKEN = 'dockerhub-token-0123456789abcdef';
const CI_SECRET = 'ci-secret-0123456789abcdef';
const ECR_TOKEN = 'ecr-token-0123456789abcdef';

const webhooks: WebhooksConfig = {
  github: { enabled: true, auth: { kind: 'hmac', secret: new Secret(GITHUB_SECRET), env: 'GH', signatureHeader: 'X-Hub-Signature-256', timestampHeader: null } },
  dockerhub: { enabled: true, auth: { kind: 'token', token: new Secret(HUB_TOKEN), env: 'HUB' } },
  generic: { enabled: true, auth: { kind: 'hmac', secret: new Secret(CI_SECRET), env: 'CI', signatureHeader: 'X-Signature-256', timestampHeader: 'X-Rollout-Timestamp' } },
  ecr: { enabled: true, auth: { kind: 'token', token: new Secret(ECR_TOKEN), env: 'ECR' } },
  quay: { enabled: false, auth: null },
};

const web = service('web', '127.0.0.1:5000/team/web');
const genericBody = (seed: string) => JSON.stringify({ image: `127.0.0.1:5000/team/web@${sha256(seed)}`, tag: 'v1' });
const signedAt = (body: string, at: number, secret = CI_SECRET) => ({ 'x-rollout-timestamp': String(at), 'x-signature-256': sign(secret, `${at}.${body}`) });
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('per-source authentication from the config', () => {
  it('checks GitHub deliveries against the configured secret, and no longer against the shared token', async () => {
    const h = webhookHarness({ services: [service('www', 'ghcr.io/theryangeary/www')], webhooks });
    const { text } = fixture('github/github-package-published-ghcr-multiarch-real.json');
    const forged = await h.post('/webhooks/github', text, { 'x-github-event': 'package', 'x-hub-signature-256': sign(WEBHOOK_TOKEN, text) });
    expect(forged.status).toBe(401);
    expect(forged.body.detail).toBe('invalid X-Hub-Signature-256: it is not the HMAC-SHA256 of the body with the github webhook secret');
    // One byte changed after signing: the signature no longer holds.
    const tampered = await h.post('/webhooks/github', text.replace('0e2a89b', '0e2a89c'), { 'x-github-event': 'package', 'x-hub-signature-256': sign(GITHUB_SECRET, text) });
    expect(tampered.status).toBe(401);
    const ok = await h.post('/webhooks/github', text, { 'x-github-event': 'package', 'x-hub-signature-256': sign(GITHUB_SECRET, text) });
    expect(ok.status).toBe(202);
  });

  it('takes Docker Hub’s own token in the URL or the header, and refuses the shared one there', async () => {
    const h = webhookHarness({ services: [web], webhooks });
    const body = { push_data: { tag: 'v1' }, repository: { repo_name: 'team/unknown' } };
    expect((await h.post(`/webhooks/dockerhub?token=${HUB_TOKEN}`, body)).status).toBe(202);
    expect((await h.post('/webhooks/dockerhub', body, { authorization: `Bearer ${HUB_TOKEN}` })).status).toBe(202);
    expect((await h.post(`/webhooks/dockerhub?token=${WEBHOOK_TOKEN}`, body)).status).toBe(401);
    const missing = await h.post('/webhooks/dockerhub', body);
    expect(missing.status).toBe(401);
    expect(missing.body.detail).toBe('missing Authorization header: send "Bearer <dockerhub webhook token>" or add ?token=<dockerhub webhook token> to the URL');
  });

  it('accepts ?token= only where the sender cannot set a header', async () => {
    const h = webhookHarness({ services: [web] });
    for (const route of ['registry', 'ecr', 'generic', 'harbor', 'acr']) {
      const res = await h.post(`/webhooks/${route}?token=${WEBHOOK_TOKEN}`, {});
      expect(res.status, route).toBe(401);
    }
  });

  it('keeps each source’s credential to its own route: the ECR token opens no other', async () => {
    const h = webhookHarness({ services: [web], webhooks });
    expect((await h.post('/webhooks/ecr', {}, { authorization: `Bearer ${ECR_TOKEN}` })).status).toBe(400);
    expect((await h.post('/webhooks/ecr', {}, { authorization: `Bearer ${WEBHOOK_TOKEN}` })).status).toBe(401);
    expect((await h.post('/webhooks/registry', {}, { authorization: `Bearer ${ECR_TOKEN}` })).status).toBe(401);
    expect((await h.post('/webhooks/registry', { events: [] }, { authorization: `Bearer ${WEBHOOK_TOKEN}` })).status).toBe(202);
  });

  it('answers 404 for a source the config disables', async () => {
    const h = webhookHarness({ services: [web], webhooks });
    expect((await h.post(`/webhooks/quay?token=${WEBHOOK_TOKEN}`, fixture('quay/quay-repo-push-docs.json').json)).status).toBe(404);
  });
});

describe('replay: a signed timestamp with a five-minute window', () => {
  it('accepts a fresh delivery and refuses one signed 6 minutes ago or ahead', async () => {
    const h = webhookHarness({ services: [web], webhooks });
    const body = genericBody('fresh');
    expect((await h.post('/webhooks/generic', body, signedAt(body, nowSeconds()))).status).toBe(202);
    for (const at of [nowSeconds() - 360, nowSeconds() + 360]) {
      const res = await h.post('/webhooks/generic', genericBody(`late ${at}`), signedAt(genericBody(`late ${at}`), at));
      expect(res.status).toBe(401);
      expect(res.body.detail).toMatch(/more than 5 minutes from now: a late, early or replayed delivery/);
    }
  });

  it('refuses a captured delivery whose timestamp was moved: the timestamp is signed with the body', async () => {
    const h = webhookHarness({ services: [web], webhooks });
    const body = genericBody('captured');
    const old = nowSeconds() - 3600;
    const captured = signedAt(body, old);
    const replayed = await h.post('/webhooks/generic', body, { ...captured, 'x-rollout-timestamp': String(nowSeconds()) });
    expect(replayed.status).toBe(401);
    const unsigned = await h.post('/webhooks/generic', body, { 'x-signature-256': sign(CI_SECRET, body) });
    expect(unsigned.status).toBe(401);
    expect(unsigned.body.detail).toMatch(/missing or malformed X-Rollout-Timestamp/);
    expect(await h.untouched()).toBe(true);
  });

  it('makes a replay inside the window, or from any other source, a duplicate: one rollout per (service, digest)', async () => {
    const h = webhookHarness({ services: [web] });
    const digest = sha256('one image');
    const bodies: [string, unknown, Record<string, string>][] = [
      ['/webhooks/generic', { image: `127.0.0.1:5000/team/web@${digest}`, tag: 'v1' }, h.bearer],
      ['/webhooks/generic', { image: `127.0.0.1:5000/team/web@${digest}`, tag: 'v1' }, h.bearer],
      ['/webhooks/acr', { action: 'push', target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, repository: 'team/web', tag: 'v1' }, request: { host: '127.0.0.1:5000' } }, h.bearer],
      ['/webhooks/registry', { events: [{ action: 'push', target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, repository: 'team/web' }, request: { host: '127.0.0.1:5000' } }] }, h.bearer],
    ];
    const answers = [];
    // Each delivery's outcome, once its work is done: the answers only plan.
    for (const [path, body, headers] of bodies) answers.push(await h.processed(await h.post(path, body as object, headers)));
    expect(answers.flatMap((a) => a.accepted)).toHaveLength(1);
    expect(answers.slice(1).map((a) => a.ignored[0].reason)).toEqual(Array(3).fill(expect.stringMatching(/^duplicate delivery: rollout \S+ already deploys this digest/)));
    expect(h.store.rollouts.size).toBe(1);
  });
});

describe('approval forgery', () => {
  it('gives webhook credentials no power over rollouts: approve, abort and promote need the API token', async () => {
    const h = webhookHarness({ services: [service('web', '127.0.0.1:5000/team/web', { steps: [{ setWeight: 50 }, { pause: {} }, { setWeight: 100 }] })] });
    const pushed = await h.post('/webhooks/generic', { image: `127.0.0.1:5000/team/web@${sha256('paused')}` }, h.bearer);
    const id = pushed.body.accepted[0].rolloutId;
    for (const action of ['approve', 'abort', 'promote', 'reject']) {
      for (const authorization of [`Bearer ${WEBHOOK_TOKEN}`, WEBHOOK_TOKEN]) {
        const res = await h.app.request(`/rollouts/${id}/${action}`, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: '{"by":"mallory"}' });
        expect(res.status, `${action} with ${authorization.slice(0, 6)}`).toBe(401);
      }
    }
    // A webhook route cannot be made to approve either: its body is a push, nothing else.
    const sneaky = await h.post('/webhooks/generic', { image: `127.0.0.1:5000/team/web@${sha256('paused')}`, approve: true, by: 'mallory' }, h.bearer);
    expect(sneaky.status).toBe(400);
    expect((await h.store.get(id)).approvals).toEqual([]);
    const approved = await h.app.request(`/rollouts/${id}/approve`, { method: 'POST', headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' }, body: '{"by":"ann"}' });
    expect(approved.status).not.toBe(401);
  });
});
