/**
 * Every sender's route with its real published payload (test/fixtures/webhooks/<sender>/): what deploys,
 * what is ignored and why, and the quirks each README entry lists.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WEBHOOK_TOKEN, fixture, manifestBytes, service, sha256, sign, stubRegistry, webhookHarness } from './webhook-harness';

afterEach(() => stubRegistry(new Map()).restore());

const ECR_HOST = '123456789012.dkr.ecr.us-east-1.amazonaws.com';

describe('POST /webhooks/ecr (EventBridge ECR Image Action)', () => {
  it('deploys an untagged push (image-tag "") by its digest', async () => {
    const h = webhookHarness({ services: [service('sidecar', `${ECR_HOST}/nudgebee_runbook_sidecar_agent`)] });
    const { json } = fixture('aws/eventbridge-ecr-image-action-push-untagged-oci.json');
    const res = await h.post('/webhooks/ecr', json, h.bearer);
    expect(res.status).toBe(202);
    expect(res.body.accepted).toEqual([{ rolloutId: expect.any(String), service: 'sidecar', status: expect.any(String) }]);
    const rollout = await h.rollout(res.body.accepted[0].rolloutId);
    expect(rollout.image).toMatchObject({ registry: ECR_HOST, tag: null, digest: json.detail['image-digest'] });
  });

  it('ignores the docs sample, whose digest has 60 hex characters, and a delete, each with its reason', async () => {
    const h = webhookHarness({ services: [service('web', '123456789012.dkr.ecr.us-west-2.amazonaws.com/my-repository-name')] });
    const push = await h.post('/webhooks/ecr', fixture('aws/eventbridge-ecr-image-action-push-docs.json').json, h.bearer);
    expect(push.status).toBe(202);
    expect(push.body).toEqual({ deliveryId: expect.any(String), accepted: [], ignored: [expect.objectContaining({ reason: expect.stringMatching(/^detail\.image-digest: "sha256:7f5b.*" is not sha256:<64 lower-case hex>$/) })] });
    const del = await h.post('/webhooks/ecr', fixture('aws/eventbridge-ecr-image-action-delete-docs.json').json, h.bearer);
    expect(del.body.ignored[0].reason).toBe('action-type DELETE is not a push');
    expect(await h.untouched()).toBe(true);
  });

  it('refuses another kind of event with 400 naming detail-type', async () => {
    const h = webhookHarness({ services: [service('web', `${ECR_HOST}/web`)] });
    const res = await h.post('/webhooks/ecr', fixture('aws/eventbridge-ecr-image-scan-docs.json').json, h.bearer);
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/detail-type/);
  });
});

describe('POST /webhooks/github (GHCR package events, X-Hub-Signature-256)', () => {
  const real = fixture('github/github-package-published-ghcr-multiarch-real.json');

  it('deploys the real GHCR capture: the tag and the index digest, signed with the shared token by default', async () => {
    const h = webhookHarness({ services: [service('www', 'ghcr.io/theryangeary/www')] });
    const headers = { 'x-github-event': 'package', 'x-github-delivery': 'd1', 'x-hub-signature-256': sign(WEBHOOK_TOKEN, real.text) };
    const res = await h.post('/webhooks/github', real.text, headers);
    expect(res.status).toBe(202);
    expect(res.body.accepted).toHaveLength(1);
    const rollout = await h.rollout(res.body.accepted[0].rolloutId);
    expect(rollout.image).toMatchObject({ registry: 'ghcr.io', repository: 'theryangeary/www', tag: '0e2a89b', digest: real.json.package.package_version.name });
  });

  it('takes the same content form-encoded (payload=…), signed over the form body', async () => {
    const h = webhookHarness({ services: [service('www', 'ghcr.io/theryangeary/www')] });
    const form = new URLSearchParams({ payload: real.text }).toString();
    const res = await h.post('/webhooks/github', form, { 'content-type': 'application/x-www-form-urlencoded', 'x-github-event': 'package', 'x-hub-signature-256': sign(WEBHOOK_TOKEN, form) });
    expect(res.body.accepted).toHaveLength(1);
  });

  it('ignores the octokit samples, whose container digests have 40 hex characters, under package and registry_package', async () => {
    const h = webhookHarness({ services: [service('hello', 'ghcr.io/codertocat/hello-world')] });
    for (const [file, event] of [['github/github-package-published-docker-octokit.json', 'package'], ['github/github-registry-package-published-docker-octokit.json', 'registry_package']] as const) {
      const { text } = fixture(file);
      const res = await h.post('/webhooks/github', text, { 'x-github-event': event, 'x-hub-signature-256': sign(WEBHOOK_TOKEN, text) });
      expect(res.status).toBe(202);
      expect(res.body.ignored).toEqual([
        { repository: 'codertocat/hello-world', tag: null, reason: `${event}.package_version.container_metadata.tag.digest: "sha256:6c62fb45fe66bfb1ea9a66abc38f6a0cc974292b" is not sha256:<64 lower-case hex>` },
      ]);
    }
    expect(await h.untouched()).toBe(true);
  });

  it('answers a ping and other events 202 with a reason, and a wrong or missing signature 401', async () => {
    const h = webhookHarness({ services: [service('www', 'ghcr.io/theryangeary/www')] });
    const ping = '{"zen":"Keep it logically awesome.","hook_id":1}';
    const pong = await h.post('/webhooks/github', ping, { 'x-github-event': 'ping', 'x-hub-signature-256': sign(WEBHOOK_TOKEN, ping) });
    expect(pong.body.ignored[0].reason).toBe('X-GitHub-Event "ping" is not a package event');
    expect((await h.post('/webhooks/github', real.text, { 'x-hub-signature-256': sign('another secret', real.text) })).status).toBe(401);
    expect((await h.post('/webhooks/github', real.text, h.bearer)).status).toBe(401);
    expect(await h.untouched()).toBe(true);
  });
});

describe('POST /webhooks/dockerhub and /webhooks/quay (tags only: resolved at once)', () => {
  it('resolves the Docker Hub docs push from the registry and deploys exactly that digest', async () => {
    const body = manifestBytes('testhook latest');
    const registry = stubRegistry(new Map([['registry-1.docker.io/svendowideit/testhook:latest', body]]));
    const h = webhookHarness({ services: [service('hook', 'docker.io/svendowideit/testhook')] });
    const res = await h.post(`/webhooks/dockerhub?token=${WEBHOOK_TOKEN}`, fixture('dockerhub/dockerhub-docs-push.json').json);
    expect(res.status).toBe(202);
    const rollout = await h.rollout(res.body.accepted[0].rolloutId);
    expect(rollout.image).toMatchObject({ registry: 'docker.io', repository: 'svendowideit/testhook', tag: 'latest', digest: sha256(body) });
    // Only the configured registry was asked: never the payload's callback_url or repo_url.
    expect(registry.fetched).toEqual(['https://registry-1.docker.io/v2/svendowideit/testhook/manifests/latest']);
  });

  it('resolves the keel payload (images: []) too, and ignores a tag the registry does not have', async () => {
    stubRegistry(new Map([['registry-1.docker.io/karolisr/keel:0.1.7', manifestBytes('keel')]]));
    const h = webhookHarness({ services: [service('keel', 'docker.io/karolisr/keel')] });
    const ok = await h.post('/webhooks/dockerhub', fixture('dockerhub/dockerhub-keel-test-push.json').json, h.bearer);
    expect(ok.body.accepted).toHaveLength(1);
    const gone = { push_data: { tag: '0.1.8' }, repository: { repo_name: 'karolisr/keel' } };
    const res = await h.post(`/webhooks/dockerhub?token=${WEBHOOK_TOKEN}`, gone);
    expect(res.body.ignored).toEqual([{ repository: 'karolisr/keel', tag: '0.1.8', reason: 'docker.io/karolisr/keel:0.1.8 is not in the registry: the tag was deleted or never pushed there' }]);
  });

  it('resolves each of Quay updated_tags from quay.io', async () => {
    const body = manifestBytes('quay latest');
    stubRegistry(new Map([['quay.io/dgangaia/test:latest', body]]));
    const h = webhookHarness({ services: [service('test', 'quay.io/dgangaia/test')] });
    const res = await h.post(`/webhooks/quay?token=${WEBHOOK_TOKEN}`, fixture('quay/quay-repo-push-docs.json').json);
    expect(res.status).toBe(202);
    expect((await h.rollout(res.body.accepted[0].rolloutId)).image).toMatchObject({ registry: 'quay.io', repository: 'dgangaia/test', tag: 'latest', digest: sha256(body) });
  });

  it('asks no registry for an unconfigured repository or a tag no service deploys', async () => {
    const registry = stubRegistry(new Map());
    const h = webhookHarness({ services: [service('keel', 'docker.io/karolisr/keel', { tags: /^v\d/ })] });
    const unknown = await h.post(`/webhooks/dockerhub?token=${WEBHOOK_TOKEN}`, fixture('dockerhub/dockerhub-docs-push.json').json);
    expect(unknown.body.ignored[0].reason).toBe('no configured service deploys docker.io/svendowideit/testhook');
    const refused = await h.post(`/webhooks/dockerhub?token=${WEBHOOK_TOKEN}`, fixture('dockerhub/dockerhub-keel-test-push.json').json);
    expect(refused.body.ignored[0]).toMatchObject({ service: 'keel', reason: 'tag 0.1.7 does not match ^v\\d' });
    expect(registry.fetched).toEqual([]);
  });
});

describe('POST /webhooks/harbor (Default and CloudEvents)', () => {
  it('deploys a push by digest (the digest in tag) as untagged, in both formats, once', async () => {
    const h = webhookHarness({ services: [service('alpine', 'localhost/harbor/alpine')] });
    const plain = await h.processed(await h.post('/webhooks/harbor', fixture('harbor/harbor-push-artifact-default.json').json, h.bearer));
    const cloud = await h.processed(await h.post('/webhooks/harbor', fixture('harbor/harbor-push-artifact-cloudevents.json').text, { ...h.bearer, 'content-type': 'application/cloudevents+json' }));
    expect(plain.accepted).toHaveLength(1);
    expect((await h.rollout(plain.accepted[0].rolloutId)).image).toMatchObject({ registry: 'localhost', tag: null, digest: `sha256:954b378c375d852eb3c63ab88978f640b4348b01c1b3456a024a81536dafbbf4` });
    // The same image announced again in the other format is a duplicate delivery.
    expect(cloud.accepted).toEqual([]);
    expect(cloud.ignored[0].reason).toMatch(/^duplicate delivery/);
  });

  it('deploys a tagged push with its tag; ignores pulls and deletes; takes the bare token Harbor sends', async () => {
    const h = webhookHarness({ services: [service('debian', 'hub.harbor.com/test-webhook/debian'), service('alpine', 'localhost/harbor/alpine')] });
    const tagged = await h.post('/webhooks/harbor', fixture('harbor/harbor-push-artifact-default-tagged.json').json, { authorization: WEBHOOK_TOKEN });
    expect((await h.rollout(tagged.body.accepted[0].rolloutId)).image).toMatchObject({ registry: 'hub.harbor.com', repository: 'test-webhook/debian', tag: 'latest' });
    const pull = await h.post('/webhooks/harbor', fixture('harbor/harbor-pull-artifact-default.json').json, h.bearer);
    const del = await h.post('/webhooks/harbor', fixture('harbor/harbor-delete-artifact-default.json').json, h.bearer);
    expect(pull.body.ignored).toEqual([{ repository: 'harbor/alpine', reason: 'type "PULL_ARTIFACT" is not an artifact push' }]);
    expect(del.body.ignored).toEqual([{ repository: 'harbor/alpine', reason: 'type "DELETE_ARTIFACT" is not an artifact push' }]);
  });
});

describe('POST /webhooks/acr (one event, no envelope)', () => {
  it('deploys the 2017 docs push, and ignores the masked sample by its digest', async () => {
    const h = webhookHarness({ services: [service('hello', 'myregistry.azurecr.io/hello-world')] });
    const ok = await h.post('/webhooks/acr', fixture('acr/acr-push-docs-2017.json').json, h.bearer);
    expect((await h.rollout(ok.body.accepted[0].rolloutId)).image).toMatchObject({ registry: 'myregistry.azurecr.io', tag: 'v1', digest: 'sha256:80f0d5c8786bb9e621a45ece0db56d11cdc624ad20da9fe62e9d25490f331d7d' });
    const masked = await h.post('/webhooks/acr', fixture('acr/acr-push-docs-current-masked.json').json, h.bearer);
    expect(masked.body.ignored).toEqual([expect.objectContaining({ reason: 'target.digest: "sha256:xxxxd5c8786bb9e621a45ece0dbxxxx1cdc624ad20da9fe62e9d25490f33xxxx" is not sha256:<64 lower-case hex>' })]);
    const ping = await h.post('/webhooks/acr', { id: 'p', timestamp: '2024-01-01T00:00:00Z', action: 'ping' }, h.bearer);
    expect(ping.body.ignored).toEqual([{ reason: 'action "ping" is not a push' }]);
  });
});

describe('POST /webhooks/generic (CI)', () => {
  it('deploys an image pinned by digest, with its tag and source', async () => {
    const h = webhookHarness({ services: [service('web', '127.0.0.1:5000/team/web')] });
    const digest = sha256('ci build 7');
    const res = await h.post('/webhooks/generic', { image: `127.0.0.1:5000/team/web@${digest}`, tag: 'v1.2.3', source: 'pipeline 42' }, h.bearer);
    const rollout = await h.rollout(res.body.accepted[0].rolloutId);
    expect(rollout.image).toMatchObject({ tag: 'v1.2.3', digest });
    expect(rollout.events[0]?.message).toMatch(/generic push: pipeline 42/);
  });

  it('refuses an image without a digest, a sha512 digest or an unknown field with 400 naming the field', async () => {
    const h = webhookHarness({ services: [service('web', '127.0.0.1:5000/team/web')] });
    const cases: [unknown, RegExp][] = [
      [{ image: '127.0.0.1:5000/team/web:v1' }, /image: must be pinned by a sha256 digest/],
      [{ image: `127.0.0.1:5000/team/web@sha512:${'a'.repeat(128)}` }, /image: must be pinned by a sha256 digest/],
      [{ image: `127.0.0.1:5000/team/web@${sha256('x')}`, tagg: 'v1' }, /tagg/],
      [{ image: `127.0.0.1:5000/team/web:v1@${sha256('x')}`, tag: 'v2' }, /tag: differs from the tag in image/],
      [{}, /image/],
    ];
    for (const [body, detail] of cases) {
      const res = await h.post('/webhooks/generic', body as object, h.bearer);
      expect(res.status).toBe(400);
      expect(res.body.detail).toMatch(detail);
    }
    expect(await h.untouched()).toBe(true);
  });
});

describe('POST /webhooks/registry keeps distribution, GitLab and Harbor-registry envelopes', () => {
  it('deploys GitLab’s push of latest with the bare token GitLab sends, and refuses the wrong one', async () => {
    const h = webhookHarness({ services: [service('test', 'registry.test:5000/root/test')] });
    const { json } = fixture('distribution/gitlab-container-registry-envelope-push-tag.json');
    const headers = { 'content-type': 'application/vnd.docker.distribution.events.v1+json' };
    expect((await h.post('/webhooks/registry', json, { ...headers, authorization: 'not-the-token' })).status).toBe(401);
    const res = await h.post('/webhooks/registry', json, { ...headers, authorization: WEBHOOK_TOKEN });
    expect(res.status).toBe(202);
    expect((await h.rollout(res.body.accepted[0].rolloutId)).image).toMatchObject({ registry: 'registry.test:5000', tag: 'latest', digest: json.events[0].target.digest });
  });
});
