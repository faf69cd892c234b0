/**
 * Which pushes deploy: tag mutation between push and deploy, tags pushed again, semver ranges,
 * newer-than-stable, and cosign's own tags, through the webhook routes.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseRange } from '../../../shared/config/semver';
import { createRollout } from '../../../shared/core/create-rollout';
import { WEBHOOK_TOKEN, manifestBytes, service, sha256, stubRegistry, webhookHarness } from './webhook-harness';

afterEach(() => vi.unstubAllGlobals());

const range = (source: string) => {
  const parsed = parseRange(source);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.range;
};

const hubPush = (tag: string) => ({ push_data: { tag }, repository: { repo_name: 'team/web' } });

describe('tag mutation between push and deploy', () => {
  it('deploys the digest the tag had when the webhook arrived, pinned in ECS, even if the tag moves on', async () => {
    const tags = new Map([['registry-1.docker.io/team/web:v1', manifestBytes('first build')]]);
    stubRegistry(tags);
    const h = webhookHarness({ services: [service('web', 'docker.io/team/web')] });
    const createCanary = vi.spyOn(h.ecs, 'createCanary');
    const res = await h.processed(await h.post(`/webhooks/dockerhub?token=${WEBHOOK_TOKEN}`, hubPush('v1')));
    tags.set('registry-1.docker.io/team/web:v1', manifestBytes('someone re-tagged v1'));
    const id = res.accepted[0].rolloutId;
    // The workflow drives the rollout after the tag moved: it still deploys what was resolved then.
    await h.orchestrator.advance(id);
    expect((await h.store.get(id)).image.digest).toBe(sha256(manifestBytes('first build')));
    expect((createCanary.mock.calls[0] as unknown[] | undefined)?.[1]).toMatchObject({ image: `docker.io/team/web@${sha256(manifestBytes('first build'))}` });
  });

  it('starts a new rollout when the same tag is pushed again with a new digest, and none for a repeat', async () => {
    const tags = new Map([['registry-1.docker.io/team/web:latest', manifestBytes('build 1')]]);
    stubRegistry(tags);
    const h = webhookHarness({ services: [service('web', 'docker.io/team/web')] });
    const deliver = async () => h.processed(await h.post(`/webhooks/dockerhub?token=${WEBHOOK_TOKEN}`, hubPush('latest')));
    const first = await deliver();
    const repeat = await deliver();
    tags.set('registry-1.docker.io/team/web:latest', manifestBytes('build 2'));
    const second = await deliver();
    expect(first.accepted).toHaveLength(1);
    expect(repeat.ignored[0].reason).toMatch(/^duplicate delivery/);
    expect(second.accepted).toHaveLength(1);
    expect((await h.store.get(second.accepted[0].rolloutId)).image.digest).toBe(sha256(manifestBytes('build 2')));
  });
});

describe('semver ranges', () => {
  it('deploys only versions in the range, v-prefixed or not, and refuses the rest by name', async () => {
    const h = webhookHarness({ services: [service('web', '127.0.0.1:5000/team/web', { tagPolicy: { semver: range('^1.4.0'), newerThanStable: false } })] });
    const push = (tag: string | null) => h.post('/webhooks/generic', { image: `127.0.0.1:5000/team/web@${sha256(`build ${tag}`)}`, ...(tag ? { tag } : {}) }, h.bearer);
    // The range needs only the tag: decided in the answer itself.
    expect((await h.processed(await push('v1.5.2'))).accepted).toHaveLength(1);
    expect((await push('2.0.0')).body.ignored[0].reason).toBe('tag 2.0.0 is not in the semver range ^1.4.0');
    expect((await push('1.6.0-rc.1')).body.ignored[0].reason).toBe('tag 1.6.0-rc.1 is not in the semver range ^1.4.0');
    expect((await push('latest')).body.ignored[0].reason).toMatch(/^tag latest is not a semantic version/);
    expect((await push(null)).body.ignored[0].reason).toMatch(/^push by digest without a tag/);
  });
});

describe('only newer than stable', () => {
  const STABLE = sha256('stable build');

  /** web watches versions; worker, built from the same image, does not. ECS runs STABLE, which rollout r-0 deployed as `stableTag`. */
  function harness(stableTag: string | null) {
    const h = webhookHarness({
      services: [
        service('web', '127.0.0.1:5000/team/app', { tagPolicy: { semver: null, newerThanStable: true } }),
        service('worker', '127.0.0.1:5000/team/app'),
      ],
    });
    h.ecs.sets.get('stable')!.digest = STABLE;
    const deployed = createRollout({ id: 'r-0', service: 'web', image: { registry: '127.0.0.1:5000', repository: 'team/app', tag: stableTag, digest: STABLE }, steps: [], source: 'earlier' }, new Date('2026-01-01T00:00:00Z'));
    h.store.rollouts.set('r-0', { ...deployed, status: 'SUCCEEDED' });
    // Newer than stable needs the store and ECS: decided after the answer, in the delivery's outcome.
    const push = async (tag: string) => h.processed(await h.post('/webhooks/generic', { image: `127.0.0.1:5000/team/app@${sha256(`build ${tag}`)}`, tag }, h.bearer));
    return { h, push };
  }

  it('finds the stable version from the rollout that deployed it, and deploys only newer ones', async () => {
    const { h, push } = harness('v1.4.0');
    const newer = await push('v1.4.1');
    expect(newer.accepted.map((a: any) => a.service).sort()).toEqual(['web', 'worker']);
    expect(h.store.rollouts.size).toBe(3);
  });

  it('holds an older or equal version back from the service that asks it, not from its siblings', async () => {
    const { h, push } = harness('v1.4.0');
    for (const tag of ['v1.3.9', 'v1.4.0', '1.4.0_rebuild']) {
      const res = await push(tag);
      expect(res.ignored).toEqual([
        expect.objectContaining({ service: 'web', reason: `tag ${tag} is not newer than the stable v1.4.0 of web (rollout r-0 deployed it)` }),
      ]);
      // worker, built from the same image, has no newerThanStable policy: it deploys.
      expect(res.accepted.map((a: any) => a.service)).toEqual(['worker']);
    }
    expect([...h.store.rollouts.values()].filter((r) => r.service === 'web')).toHaveLength(1);
  });

  it('deploys when the stable version is unknown, and says so in the rollout’s first event', async () => {
    const { h, push } = harness(null);
    const res = await push('v0.0.1');
    const web = res.accepted.find((a: any) => a.service === 'web');
    const rollout = await h.store.get(web.rolloutId);
    expect(rollout.events[0]?.message).toMatch(/newer-than-stable not checked for web: the stable version is unknown \(rollout r-0 deployed the stable sha256:\w+ without a tag\)/);
  });

  it('refuses a tag that is not a version, since it cannot be compared', async () => {
    const { push } = harness('v1.4.0');
    const res = await push('latest');
    expect(res.ignored[0]).toMatchObject({ service: 'web', reason: expect.stringMatching(/^tag latest is not a semantic version/) });
  });
});

describe("cosign's own tags never deploy", () => {
  it.each(['sha256-' + 'a'.repeat(64) + '.att', 'sha256-' + 'a'.repeat(64) + '.sbom', 'v1.sig', 'release.att'])('%s', async (tag) => {
    const h = webhookHarness({ services: [service('web', '127.0.0.1:5000/team/web')] });
    const res = await h.post('/webhooks/generic', { image: `127.0.0.1:5000/team/web@${sha256(tag)}`, tag }, h.bearer);
    expect(res.body.ignored[0].reason).toBe(`tag ${tag} is a cosign artifact`);
    expect(await h.untouched()).toBe(true);
  });

  it('the referrers index tag sha256-<hex> (Notation, cosign v3) deploys nothing: it only nudges a rollout waiting for a signature', async () => {
    const tag = 'sha256-' + 'a'.repeat(64);
    const h = webhookHarness({ services: [service('web', '127.0.0.1:5000/team/web')] });
    // A signature is looked at after the answer: the delivery's outcome says what became of it.
    const outcome = await h.processed(await h.post('/webhooks/generic', { image: `127.0.0.1:5000/team/web@${sha256(tag)}`, tag }, h.bearer));
    expect(outcome.accepted).toEqual([]);
    expect(outcome.ignored[0].reason).toBe(`signature for sha256:${'a'.repeat(64)}, which no rollout of web waits for`);
    expect(await h.untouched()).toBe(true);
  });

  it('while a signature tag (.sig of a digest) pushed through a tag-only sender still reaches the rollout waiting for it', async () => {
    const digest = sha256('unsigned yet');
    const sigTag = `${digest.replace(':', '-')}.sig`;
    stubRegistry(new Map([[`registry-1.docker.io/team/web:v1`, 'x'], [`registry-1.docker.io/team/web:${sigTag}`, manifestBytes('signature')]]));
    const h = webhookHarness({ services: [service('web', 'docker.io/team/web')] });
    h.verifier.set(digest, 'missing');
    const pushed = await h.processed(await h.post('/webhooks/generic', { image: `docker.io/team/web@${digest}`, tag: 'v1' }, h.bearer));
    expect(pushed.accepted[0].status).toBe('PENDING');
    h.verifier.set(digest, 'verified');
    const sig = await h.processed(await h.post(`/webhooks/dockerhub?token=${WEBHOOK_TOKEN}`, hubPush(sigTag)));
    expect(sig.accepted).toEqual([{ rolloutId: pushed.accepted[0].rolloutId, service: 'web', status: expect.not.stringMatching(/^PENDING$/) }]);
  });
});
