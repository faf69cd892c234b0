/**
 * Threat-model cases that are not about authentication itself: SSRF through URLs in webhook bodies,
 * and secrets leaking into logs or answers.
 */
import { inspect } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jsonLogger } from '../../../shared/observability/logger';
import { Secret, type WebhooksConfig } from '../../../shared/config/webhooks-schema';
import type { TagResolver } from '../../../shared/webhooks/resolve-tag';
import { pushEnvelope } from '../../helpers/local-config';
import { WEBHOOK_TOKEN, fixture, manifestBytes, service, sha256, sign, stubRegistry, webhookHarness } from './webhook-harness';

afterEach(() => vi.unstubAllGlobals());

const METADATA = 'http://169.254.169.254/latest/meta-data/iam/security-credentials/';

describe('SSRF: URLs in webhook bodies are never fetched', () => {
  it('fetches only the configured registries, whatever URLs and hosts the bodies name', async () => {
    const registry = stubRegistry(new Map([['registry-1.docker.io/team/web:v1', manifestBytes('web')], ['quay.io/team/web:v1', manifestBytes('web')]]));
    const h = webhookHarness({ services: [service('hub', 'docker.io/team/web'), service('quay', 'quay.io/team/web'), service('local', '127.0.0.1:5000/team/web')] });
    const digest = sha256('ssrf');
    const deliveries: [string, unknown][] = [
      ['dockerhub', { callback_url: METADATA, push_data: { tag: 'v1' }, repository: { repo_name: 'team/web', repo_url: METADATA } }],
      ['quay', { repository: 'team/web', docker_url: 'quay.io/team/web', homepage: METADATA, updated_tags: ['v1'] }],
      ['quay', { repository: 'team/web', docker_url: '169.254.169.254/team/web', updated_tags: ['v1'] }],
      ['registry', { events: [{ action: 'push', target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, repository: 'team/web', tag: 'v1', url: `${METADATA}v2/team/web/manifests/v1` } }] }],
      ['harbor', { type: 'PUSH_ARTIFACT', event_data: { resources: [{ digest, tag: 'v1', resource_url: '169.254.169.254/team/web:v1' }], repository: { repo_full_name: 'team/web' } } }],
      ['acr', { action: 'push', target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, repository: 'team/web', tag: 'v1', url: METADATA }, request: { host: 'metadata.google.internal' } }],
      ['generic', { image: `169.254.169.254/team/web@${digest}` }],
    ];
    for (const [route, body] of deliveries) {
      const res = await h.post(`/webhooks/${route}?token=${WEBHOOK_TOKEN}`, body as object, h.bearer);
      expect(res.status, route).toBe(202);
    }
    const { text } = fixture('github/github-package-published-ghcr-multiarch-real.json');
    const github = text.replace('ghcr.io/theryangeary/www:0e2a89b', '169.254.169.254/theryangeary/www:0e2a89b');
    expect((await h.post('/webhooks/github', github, { 'x-hub-signature-256': sign(WEBHOOK_TOKEN, github) })).status).toBe(202);

    expect(new Set(registry.fetched.map((u) => new URL(u).host))).toEqual(new Set(['registry-1.docker.io', 'quay.io']));
    // The bodies naming other hosts matched no configured service, so nothing was deployed for them.
    const hosts = [...h.store.rollouts.values()].map((r) => r.image.registry).sort();
    expect(hosts).toEqual(['docker.io', 'quay.io']);
  });
});

describe('secrets stay out of logs and answers', () => {
  const SECRETS = { github: 'github-secret-LEAKCHECK-0001', hub: 'hub-token-LEAKCHECK-0002', shared: WEBHOOK_TOKEN };
  const webhooks: WebhooksConfig = {
    github: { enabled: true, auth: { kind: 'hmac', secret: new Secret(SECRETS.github), env: 'GH', signatureHeader: 'X-Hub-Signature-256', timestampHeader: null } },
    dockerhub: { enabled: true, auth: { kind: 'token', token: new Secret(SECRETS.hub), env: 'HUB' } },
  };

  it('never writes a configured secret or a presented credential, on success, refusal or failure', async () => {
    const lines: string[] = [];
    const h = webhookHarness({ services: [service('hub', 'docker.io/team/web'), service('www', 'ghcr.io/theryangeary/www')], webhooks, logger: jsonLogger((l) => lines.push(l), 'info') });
    // The registry fails, so the delivery ends in a logged 502 as well.
    vi.stubGlobal('fetch', vi.fn(async () => new Response('down', { status: 503 })));
    const guesses = ['guess-LEAKCHECK-0003', SECRETS.shared];
    const answers = [
      await h.post(`/webhooks/dockerhub?token=${SECRETS.hub}`, { push_data: { tag: 'v1' }, repository: { repo_name: 'team/web' } }),
      await h.post(`/webhooks/dockerhub?token=${guesses[0]}`, { push_data: { tag: 'v1' }, repository: { repo_name: 'team/web' } }),
      await h.post('/webhooks/dockerhub', {}, { authorization: `Bearer ${guesses[0]}` }),
      await h.post('/webhooks/github', '{}', { 'x-hub-signature-256': sign(guesses[1]!, '{}') }),
      await h.post('/webhooks/github', fixture('github/github-package-published-ghcr-multiarch-real.json').text, { 'x-hub-signature-256': sign(SECRETS.github, fixture('github/github-package-published-ghcr-multiarch-real.json').text) }),
    ];
    expect(answers.map((a) => a.status)).toEqual([502, 401, 401, 401, 202]);
    const everything = [...lines, ...answers.map((a) => JSON.stringify(a.body))].join('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const secret of [...Object.values(SECRETS), ...guesses, 'LEAKCHECK']) expect(everything).not.toContain(secret);
  });

  it('prints the loaded config with its secrets redacted', () => {
    const shown = [JSON.stringify(webhooks), inspect(webhooks, { depth: 10 }), String(webhooks.github?.auth && 'secret' in webhooks.github.auth ? webhooks.github.auth.secret : '')].join('\n');
    expect(shown).toContain('[redacted]');
    expect(shown).not.toContain('LEAKCHECK');
  });
});

describe('a tag a sender claims', () => {
  const digest = `sha256:${'ab'.repeat(32)}`;
  /** The registry's word: `team/web:dev-build` is the signed image; `v99` does not exist there. */
  const registry: TagResolver = { resolve: async (_host, _config, repository, tag) => (repository === 'team/web' && tag === 'dev-build' ? digest : repository === 'team/web' && tag === 'v1' ? digest : null) };
  const harness = () => webhookHarness({ services: [service('web', '127.0.0.1:5000/team/web', { tags: /^v[0-9]+/ })], tags: registry });
  const deliver = (h: ReturnType<typeof webhookHarness>, tag: string) =>
    h.post('/webhooks/registry', pushEnvelope('team/web', tag, digest), { ...h.bearer, 'content-type': 'application/vnd.docker.distribution.events.v1+json' });

  it('is confirmed with the registry before a tag rule lets it deploy: a signed dev build sent as v99 deploys nothing', async () => {
    const h = harness();
    const res = await deliver(h, 'v99');
    expect(res.status).toBe(202);
    // The answer plans a rollout on the tag's word; the registry's answer, after it, refuses it.
    const outcome = await h.processed(res);
    expect(outcome.accepted).toEqual([]);
    expect(outcome.ignored[0].reason).toMatch(/127\.0\.0\.1:5000\/team\/web:v99 is not in the registry/);
    expect(h.store.rollouts.size).toBe(0);
    expect(h.ecs.calls).toEqual([]);
  });

  it('deploys when the registry says the tag is that digest', async () => {
    const h = harness();
    const res = await deliver(h, 'v1');
    const outcome = await h.processed(res);
    expect(outcome.accepted).toEqual(res.body.accepted.map((a: { rolloutId: string }) => expect.objectContaining({ rolloutId: a.rolloutId })));
    expect(outcome.accepted).toHaveLength(1);
  });
});
