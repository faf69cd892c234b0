import { describe, expect, it } from 'vitest';
import { configWith, load, problems } from './config-fixtures';
import { Secret } from '../../../shared/config/secret';

const LOCAL = '127.0.0.1:5000';
const withRegistries = (registries: unknown, image?: string) =>
  configWith(image === undefined ? {} : { image }, { registries });

describe('registries', () => {
  it('reads insecure, defaulting to false, and an entry left empty', async () => {
    const config = await load(withRegistries({ [LOCAL]: { insecure: true }, 'registry.example.com': null, 'localhost:5000': {} }));
    expect(config.registries).toEqual({
      [LOCAL]: { insecure: true },
      'registry.example.com': { insecure: false },
      'localhost:5000': { insecure: false },
    });
  });

  it.each([
    '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/web',
    'ghcr.io/acme/web',
    'docker.io/acme/web',
    'quay.io/acme/web',
  ])('lets %s be used unlisted, as HTTPS without credentials', async (image) => {
    const config = await load(withRegistries(undefined, image));
    const host = image.split('/')[0] ?? '';
    expect(config.registries).toEqual({ [host]: { insecure: false } });
    expect(config.services.web?.registry).toBe(host);
  });

  it('keeps a listed entry for a public registry, e.g. Docker Hub credentials', async () => {
    const config = await load(withRegistries({ 'docker.io': { username: 'ci', password: 'secret' } }, 'docker.io/acme/web'));
    expect(config.registries['docker.io']).toEqual({ insecure: false, username: 'ci', password: expect.any(Secret) });
    expect(await config.registries['docker.io']!.password!.value()).toBe('secret');
  });

  it('refuses an image whose registry is neither listed nor well known', async () => {
    expect(await problems(withRegistries({ [LOCAL]: {} }, '127.0.0.1:5001/team/web'))).toEqual([
      'services.web.image: registry 127.0.0.1:5001 is not listed under registries (list it; add insecure: true if it serves plain HTTP)',
    ]);
  });

  it('reads the password from the environment variable named by passwordEnv', async () => {
    const config = await load(withRegistries({ [LOCAL]: { username: 'ci', passwordEnv: 'REG_PASSWORD' } }), {
      env: { REG_PASSWORD: 's3cret' },
    });
    expect(config.registries[LOCAL]).toEqual({ insecure: false, username: 'ci', password: expect.any(Secret), passwordEnv: 'REG_PASSWORD' });
    expect(await config.registries[LOCAL]!.password!.value()).toBe('s3cret');
  });

  it.each([
    [{}, 'registries["127.0.0.1:5000"].passwordEnv: environment variable REG_PASSWORD is not set'],
    [{ REG_PASSWORD: '' }, 'registries["127.0.0.1:5000"].passwordEnv: environment variable REG_PASSWORD is empty'],
  ])('reports a missing password variable (env %j)', async (env, problem) => {
    expect(await problems(withRegistries({ [LOCAL]: { username: 'ci', passwordEnv: 'REG_PASSWORD' } }), { env })).toEqual([problem]);
  });

  it('reports a missing password variable along with the entry’s other problems', async () => {
    const registries = { [LOCAL]: { insecure: 'yes', username: 'ci', passwordEnv: 'REG_PASSWORD' } };
    expect(await problems(withRegistries(registries))).toEqual([
      'registries["127.0.0.1:5000"].insecure: must be true or false, not a string',
      'registries["127.0.0.1:5000"].passwordEnv: environment variable REG_PASSWORD is not set',
    ]);
  });

  it.each([
    [{ 'https://registry.example.com': {} }, `registries["https://registry.example.com"]: registry host must be a host[:port] without a scheme: write 'registry.example.com'`],
    [{ 'Registry.example.com': {} }, `registries["Registry.example.com"]: registry host must be lower case: write 'registry.example.com'`],
    [{ 'registry.example.com:99999': {} }, `registries["registry.example.com:99999"]: registry host has an invalid port '99999': it must be a number from 1 to 65535`],
    [{ [LOCAL]: { insecur: true } }, `registries["127.0.0.1:5000"]: unknown key 'insecur' (did you mean 'insecure'?)`],
    [{ [LOCAL]: { password: 'x', passwordEnv: 'X' } }, `registries["127.0.0.1:5000"].passwordEnv: give either password or passwordEnv, not both`],
    [{ [LOCAL]: { username: 'ci' } }, `registries["127.0.0.1:5000"]: password or passwordEnv is required with username`],
    [{ [LOCAL]: { password: 'x' } }, `registries["127.0.0.1:5000"].username: is required with a password`],
    [{ [LOCAL]: { username: 'ci', passwordEnv: 'REG-PASSWORD' } }, `registries["127.0.0.1:5000"].passwordEnv: must be an environment variable name, like REGISTRY_PASSWORD`],
    [{ [LOCAL]: { username: '' , password: 'x'} }, `registries["127.0.0.1:5000"].username: must not be empty`],
    [[LOCAL], 'registries: must be a mapping, not a list'],
  ])('refuses %j', async (registries, problem) => {
    const env = { X: 'x' };
    const found = await problems(withRegistries(registries), { env });
    expect(found).toContain(problem);
  });

  it('never repeats a password in a problem', async () => {
    const found = await problems(withRegistries({ [LOCAL]: { password: 'hunter2-secret', passwordEnv: 'X' } }), { env: { X: 'y' } });
    expect(found.join('\n')).not.toContain('hunter2-secret');
  });
});
