import { describe, expect, it } from 'vitest';
import { parseImageName, parseImageReference, registryHostProblem } from '../../../shared/config/image-name';
import { isEcrHost, isImplicitRegistry } from '../../../shared/config/known-registries';

describe('registryHostProblem', () => {
  it.each(['localhost', 'localhost:5000', '127.0.0.1:5000', 'registry.example.com', 'my-registry.internal:443', '[::1]:5000', 'docker.io'])(
    'accepts %s',
    (host) => {
      expect(registryHostProblem(host)).toBeNull();
    },
  );

  it.each([
    ['', /must not be empty/],
    ['https://registry.example.com', /without a scheme: write 'registry.example.com'/],
    ['registry.example.com/team', /without a path/],
    ['Registry.Example.com', /must be lower case: write 'registry.example.com'/],
    ['127.0.0.1:0', /invalid port '0'/],
    ['127.0.0.1:65536', /invalid port '65536'/],
    ['127.0.0.1:', /invalid port ''/],
    ['registry:http', /invalid port 'http'/],
    ['999.1.1.1', /not a valid IPv4 address/],
    ['reg..example.com', /empty label/],
    ['-reg.example.com', /'-reg' must be 1-63 letters/],
    ['reg_1.example.com', /'reg_1' must be 1-63 letters/],
    ['::1', /IPv6 address must be written in brackets/],
    ['[zz::1]', /not a valid IPv6 address/],
  ])('refuses %j', (host, message) => {
    expect(registryHostProblem(host)).toMatch(message);
  });
});

describe('parseImageName', () => {
  it.each([
    ['127.0.0.1:5000/team/web', '127.0.0.1:5000', 'team/web'],
    ['localhost/web', 'localhost', 'web'],
    ['ghcr.io/acme/api-server', 'ghcr.io', 'acme/api-server'],
    ['123456789012.dkr.ecr.eu-west-1.amazonaws.com/web', '123456789012.dkr.ecr.eu-west-1.amazonaws.com', 'web'],
    ['registry.example.com/a.b/c_d/e__f/g---h', 'registry.example.com', 'a.b/c_d/e__f/g---h'],
  ])('splits %s into registry and repository', (image, registry, repository) => {
    expect(parseImageName(image)).toEqual({ ok: true, value: { registry, repository } });
  });

  it.each([
    ['127.0.0.1:5000/team/web:v1', /must not include a tag \(':v1'\): images are chosen by pushes, not by config; write '127.0.0.1:5000\/team\/web'/],
    ['127.0.0.1:5000/team/web@sha256:' + 'a'.repeat(64), /must not include a digest .*images are chosen by pushes, not by config/],
    ['team/web', /must start with a registry host .* write docker.io\/team\/web/],
    ['nginx', /must start with a registry host/],
    ['127.0.0.1:5000', /must name a repository after the registry host/],
    ['127.0.0.1:5000/', /must name a repository/],
    ['127.0.0.1:5000/team//web', /empty path component/],
    ['127.0.0.1:5000/team/web/', /empty path component/],
    ['127.0.0.1:5000/Team/web', /repository must be lower case: write 'team\/web'/],
    ['127.0.0.1:5000/team/-web', /repository component '-web' is not valid/],
    ['127.0.0.1:5000/team/web.', /repository component 'web.' is not valid/],
    ['127.0.0.1:5000/a___b', /repository component 'a___b' is not valid/],
    ['Registry.io/team/web', /invalid registry host 'Registry.io': must be lower case/],
    ['https://registry.io/team/web', /invalid registry host 'https:'/],
    [`registry.io/${'a'.repeat(250)}`, /is 262 characters long: image names are at most 255/],
  ])('refuses %s', (image, message) => {
    const parsed = parseImageName(image);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.message).toMatch(message);
  });
});

describe('parseImageReference', () => {
  const digest = `sha256:${'0'.repeat(64)}`;

  it('reads a tag, a digest, or both', () => {
    expect(parseImageReference('127.0.0.1:5000/team/web:v1')).toEqual({
      ok: true,
      value: { registry: '127.0.0.1:5000', repository: 'team/web', tag: 'v1' },
    });
    expect(parseImageReference(`127.0.0.1:5000/team/web@${digest}`)).toEqual({
      ok: true,
      value: { registry: '127.0.0.1:5000', repository: 'team/web', digest },
    });
    expect(parseImageReference(`127.0.0.1:5000/team/web:v1@${digest}`)).toMatchObject({ ok: true, value: { tag: 'v1', digest } });
  });

  it.each([
    ['127.0.0.1:5000/team/web', /must name a tag or a digest/],
    ['127.0.0.1:5000/team/web@sha256:abc', /invalid digest 'sha256:abc'/],
    ['127.0.0.1:5000/team/web:.v1', /invalid tag '.v1'/],
    ['127.0.0.1:5000/team/web@a@b', /'@' at most once/],
    ['web:v1', /must start with a registry host/],
  ])('refuses %s', (reference, message) => {
    const parsed = parseImageReference(reference);
    expect(parsed.ok ? '' : parsed.message).toMatch(message);
  });
});

describe('registries that need no entry', () => {
  it.each([
    '123456789012.dkr.ecr.us-east-1.amazonaws.com',
    '123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com',
    '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn',
  ])('recognises the ECR host %s', (host) => {
    expect(isEcrHost(host)).toBe(true);
    expect(isImplicitRegistry(host)).toBe(true);
  });

  it.each(['docker.io', 'ghcr.io', 'quay.io', 'public.ecr.aws', 'europe-west1-docker.pkg.dev', 'acme.azurecr.io'])(
    'treats %s as a public HTTPS registry',
    (host) => {
      expect(isImplicitRegistry(host)).toBe(true);
    },
  );

  it.each(['127.0.0.1:5000', 'localhost:5000', 'registry.example.com', '12345.dkr.ecr.us-east-1.amazonaws.com', 'ghcr.io:5000', 'docker.io.evil.com'])(
    'requires %s to be listed',
    (host) => {
      expect(isImplicitRegistry(host)).toBe(false);
    },
  );
});
