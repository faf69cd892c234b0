/** Sender parsers on the edge cases their published samples do not show. */
import { describe, expect, it } from 'vitest';
import { genericPushSchema, parseGenericPush } from '../../../shared/webhooks/acr-generic';
import { splitReference } from '../../../shared/webhooks/delivery';
import { githubPackageEventSchema, parseGithubPackageEvent } from '../../../shared/webhooks/github';
import { harborSchemaFor, parseHarborEvent } from '../../../shared/webhooks/harbor';
import { parseQuayPush, quayPushSchema } from '../../../shared/webhooks/tag-only';

const DIGEST = `sha256:${'c'.repeat(64)}`;

describe('splitReference', () => {
  it.each([
    ['ghcr.io/Owner/www:0e2a89b', { host: 'ghcr.io', repository: 'Owner/www' }],
    ['localhost/harbor/alpine@sha256:abc', { host: 'localhost', repository: 'harbor/alpine' }],
    ['host:5000/a/b:v1@sha256:abc', { host: 'host:5000', repository: 'a/b' }],
    ['ghcr.io/Codertocat/hello-world:', { host: 'ghcr.io', repository: 'Codertocat/hello-world' }],
    ['no-slash', null],
    ['http://x/y', null],
  ])('%s', (reference, expected) => {
    expect(splitReference(reference)).toEqual(expected);
  });
});

describe('Harbor', () => {
  const event = (resource: Record<string, unknown>, type = 'PUSH_ARTIFACT') => ({ type, event_data: { resources: [resource], repository: { repo_full_name: 'team/web' } } });
  const parse = (body: unknown) => parseHarborEvent(harborSchemaFor(body).parse(body));

  it('refuses a resource without a resource_url, or one in another repository, by its path', () => {
    expect(parse(event({ digest: DIGEST, tag: 'v1' })).ignored[0]?.reason).toBe('event_data.resources[0].resource_url: null does not name the registry');
    expect(parse(event({ digest: DIGEST, tag: 'v1', resource_url: 'h.io/team/other:v1' })).ignored[0]?.reason).toBe('event_data.resources[0].resource_url: "h.io/team/other:v1" is not in repository team/web');
    expect(parse(event({ digest: DIGEST, tag: 'bad tag', resource_url: 'h.io/team/web:v1' })).ignored[0]?.reason).toBe('event_data.resources[0].tag: "bad tag" is not a tag');
  });

  it('ignores CloudEvents other than harbor.artifact.pushed', () => {
    const body = { specversion: '1.0', id: 'e', type: 'harbor.tag.created', data: event({}).event_data };
    expect(parse(body).ignored).toEqual([{ repository: 'team/web', reason: 'type "harbor.tag.created" is not an artifact push' }]);
  });
});

describe('Quay', () => {
  const parse = (body: unknown) => parseQuayPush(quayPushSchema.parse(body));
  it('keeps the good tags of a list, and names the bad one', () => {
    const out = parse({ repository: 'team/web', docker_url: 'quay.example.com/team/web', updated_tags: ['v1', '-bad', 'v2', 'v1'] });
    expect(out.tagged.map((t) => `${t.registry}/${t.repository}:${t.tag}`)).toEqual(['quay.example.com/team/web:v1', 'quay.example.com/team/web:v2']);
    expect(out.ignored).toEqual([{ repository: 'team/web', reason: 'updated_tags[1]: "-bad" is not a tag' }]);
  });

  it('refuses a docker_url that names another repository, and an empty tag list', () => {
    expect(parse({ repository: 'team/web', docker_url: 'quay.io/team/other', updated_tags: ['v1'] }).ignored[0]?.reason).toMatch(/does not name repository "team\/web"/);
    expect(parse({ repository: 'team/web', updated_tags: [] }).ignored[0]?.reason).toBe('updated_tags is empty: no tag was pushed');
  });
});

describe('GitHub', () => {
  const pkg = (overrides: Record<string, unknown> = {}) => ({
    name: 'Web',
    namespace: 'Acme',
    package_type: 'CONTAINER',
    package_version: { name: DIGEST, container_metadata: { tag: { name: 'v1', digest: DIGEST } } },
    ...overrides,
  });
  const parse = (body: unknown) => parseGithubPackageEvent(githubPackageEventSchema.parse(body), 'guid');

  it('names the image ghcr.io/<namespace>/<name> in lower case when no package_url is given', () => {
    expect(parse({ action: 'published', registry_package: pkg() }).pushes).toEqual([{ registry: 'ghcr.io', repository: 'acme/web', tag: 'v1', digest: DIGEST, source: 'GitHub registry_package event guid' }]);
  });

  it('ignores other actions and other package types', () => {
    expect(parse({ action: 'updated', package: pkg() }).ignored[0]?.reason).toBe('action "updated" is not a publish');
    expect(parse({ action: 'published', package: pkg({ package_type: 'npm', ecosystem: 'npm' }) }).ignored[0]?.reason).toBe('package.package_type "npm" is not a container image');
  });

  it('needs package or registry_package, by name', () => {
    const result = githubPackageEventSchema.safeParse({ action: 'published' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['package']);
  });
});

describe('generic', () => {
  it('takes the tag from the reference when the body gives none', () => {
    const body = genericPushSchema.parse({ image: `127.0.0.1:5000/team/web:v7@${DIGEST}` });
    expect(parseGenericPush(body).pushes[0]).toMatchObject({ registry: '127.0.0.1:5000', repository: 'team/web', tag: 'v7', digest: DIGEST, source: 'generic push' });
  });
});
