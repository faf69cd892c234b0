/** Tag policies: the semver range in tagDeploys, cosign tags, and how newer-than-stable finds the stable version. */
import { describe, expect, it } from 'vitest';
import { tagDeploys } from '../../../shared/webhooks/image-push';
import { parseRange } from '../../../shared/config/semver';
import { type StableReader, findStableTag, newerThanStableVerdict } from '../../../shared/webhooks/tag-policy';
import { createRollout } from '../../../shared/core/create-rollout';
import type { Rollout } from '../../../shared/core/rollout';
import { serviceConfig } from '../../helpers/local-config';

const D = (n: number) => `sha256:${String(n).padStart(64, '0')}`;
const range = (s: string) => {
  const parsed = parseRange(s);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.range;
};

function rollout(id: string, tag: string | null, digest: string, status: Rollout['status'] = 'SUCCEEDED'): Rollout {
  return { ...createRollout({ id, service: 'web', image: { registry: 'r', repository: 'team/web', tag, digest }, steps: [], source: 's' }, new Date()), status };
}

function reader(stable: string | null, stableImage: string | null, rollouts: Rollout[] = []): StableReader & { queries: unknown[] } {
  const queries: unknown[] = [];
  return {
    queries,
    describeService: async () => ({ stable, stableImage }),
    list: async (q) => {
      queries.push(q);
      return { items: rollouts.filter((r) => r.status === q.status), nextCursor: null };
    },
  };
}

describe('tagDeploys', () => {
  const web = serviceConfig('web', { tags: /^v/, tagPolicy: { semver: range('>=1.2.0 <2'), newerThanStable: false } });
  it.each([
    ['v1.2.0', true],
    ['v2.0.0', false],
    ['1.5.0', false],
    ['vlatest', false],
    [`sha256-${'a'.repeat(64)}.sig`, false],
  ])('%s deploys: %s (regex, then range)', (tag, deploys) => {
    expect(tagDeploys(web, tag).deploys).toBe(deploys);
  });

  it('refuses cosign artifacts before any other rule, with or without tag rules', () => {
    for (const tag of ['x.att', 'sha256-abc', `sha256-${'b'.repeat(64)}.sbom`]) {
      expect(tagDeploys(serviceConfig('any'), tag)).toEqual({ deploys: false, reason: `tag ${tag} is a cosign artifact` });
    }
  });
});

describe('findStableTag', () => {
  it('takes the tag in the image ECS runs, when there is one', async () => {
    const r = reader(null, '127.0.0.1:5000/team/web:v1.0.0');
    expect(await findStableTag(r, 'web')).toEqual({ digest: null, tag: 'v1.0.0', how: 'ECS runs 127.0.0.1:5000/team/web:v1.0.0' });
    expect(r.queries).toEqual([]);
  });

  it('otherwise finds the succeeded rollout that deployed the stable digest', async () => {
    const r = reader(D(2), `r/team/web@${D(2)}`, [rollout('r-3', 'v3', D(3), 'ROLLED_BACK'), rollout('r-2', 'v2', D(2)), rollout('r-1', 'v1', D(1))]);
    expect(await findStableTag(r, 'web')).toEqual({ digest: D(2), tag: 'v2', how: 'rollout r-2 deployed it' });
    expect(r.queries).toEqual([{ service: 'web', status: 'SUCCEEDED', limit: 20 }]);
  });

  it('says why the version is unknown', async () => {
    expect((await findStableTag(reader(null, null), 'web')).how).toBe('ECS reports no stable image digest for web');
    expect((await findStableTag(reader(D(9), `r/team/web@${D(9)}`, [rollout('r-1', 'v1', D(1))]), 'web')).how).toMatch(/none of the last 20 succeeded rollouts of web deployed the stable/);
    expect((await findStableTag(reader(D(1), null, [rollout('r-1', null, D(1))]), 'web')).how).toMatch(/rollout r-1 deployed the stable .* without a tag/);
  });
});

describe('newerThanStableVerdict', () => {
  const web = serviceConfig('web', { tagPolicy: { semver: null, newerThanStable: true } });
  const stable = (tag: string | null) => ({ digest: D(1), tag, how: 'test' });
  it.each([
    ['v1.2.4', 'v1.2.3', true],
    ['1.3.0-rc.1', '1.2.9', true],
    ['1.3.0-rc.1', '1.3.0', false],
    ['1.3.0', '1.3.0-rc.1', true],
    ['v1.2.3', '1.2.3', false],
    ['1.2.2', '1.2.3', false],
  ])('%s over stable %s deploys: %s', (tag, current, deploys) => {
    expect(newerThanStableVerdict(web, tag, stable(current)).deploys).toBe(deploys);
  });

  it('deploys with a note when the stable version is unknown or not a version', () => {
    expect(newerThanStableVerdict(web, '1.0.0', stable(null))).toEqual({ deploys: true, note: 'newer-than-stable not checked for web: the stable version is unknown (test)' });
    expect(newerThanStableVerdict(web, '1.0.0', stable('initial'))).toMatchObject({ deploys: true, note: expect.stringMatching(/stable tag initial is not a semantic version/) });
  });

  it('refuses what cannot be compared, and does nothing for a service without the policy', () => {
    expect(newerThanStableVerdict(web, null, stable('1.0.0')).deploys).toBe(false);
    expect(newerThanStableVerdict(web, 'latest', stable('1.0.0')).deploys).toBe(false);
    expect(newerThanStableVerdict(serviceConfig('other'), '0.0.1', stable('9.9.9'))).toEqual({ deploys: true });
  });
});
