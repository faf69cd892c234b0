import { generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../../../shared/config/load-config';
import { ConfigError } from '../../../shared/errors';
import { configWith, PUBLIC_PEM } from './config-fixtures';

const pem = (key: { export(o: { type: 'spki'; format: 'pem' }): string | Buffer }) => key.export({ type: 'spki', format: 'pem' }).toString();

let dir: string;
let configFile: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'config-keys-'));
  configFile = join(dir, 'rollout.config.yaml');
  await mkdir(join(dir, 'keys'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function loadWithKeys(keys: unknown) {
  await writeFile(configFile, stringify(configWith({ verify: { keys } })));
  return loadConfig(configFile, {});
}

async function keyProblems(keys: unknown): Promise<readonly string[]> {
  const error = await loadWithKeys(keys).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigError);
  return (error as ConfigError).issues;
}

describe('verify.keys', () => {
  it('loads a key by its path relative to the config file, named by that path', async () => {
    await writeFile(join(dir, 'keys', 'web.pub'), `# cosign.pub\n${PUBLIC_PEM}`);
    const config = await loadWithKeys(['keys/web.pub']);
    expect(config.services.web?.verify.keys).toEqual([{ id: 'keys/web.pub', pem: PUBLIC_PEM }]);
  });

  it('loads a key by an absolute path', async () => {
    const file = join(dir, 'keys', 'abs.pub');
    await writeFile(file, PUBLIC_PEM);
    expect((await loadWithKeys([file])).services.web?.verify.keys).toEqual([{ id: file, pem: PUBLIC_PEM }]);
  });

  it('loads inline PEM keys, named by their place in the list', async () => {
    await writeFile(join(dir, 'keys', 'web.pub'), PUBLIC_PEM);
    const keys = (await loadWithKeys(['keys/web.pub', PUBLIC_PEM])).services.web?.verify.keys;
    expect(keys?.map((k) => k.id)).toEqual(['keys/web.pub', 'inline[1]']);
  });

  it.each([
    ['RSA', generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey],
    ['Ed25519', generateKeyPairSync('ed25519').publicKey],
  ])('accepts %s keys', async (_, key) => {
    expect((await loadWithKeys([pem(key)])).services.web?.verify.keys[0]?.pem).toBe(pem(key));
  });

  it('reports a key file that does not exist', async () => {
    expect(await keyProblems(['keys/web.pub'])).toEqual(['services.web.verify.keys[0]: cannot read keys/web.pub: ENOENT']);
  });

  it('reports a key path that is a directory', async () => {
    expect(await keyProblems(['keys'])).toEqual(['services.web.verify.keys[0]: cannot read keys: EISDIR']);
  });

  it('reports a file that is not a PEM public key', async () => {
    await writeFile(join(dir, 'keys', 'web.pub'), 'not a key\n');
    expect(await keyProblems(['keys/web.pub'])).toEqual(['services.web.verify.keys[0]: keys/web.pub: not a PEM public key']);
  });

  it('reports an inline PEM that does not parse', async () => {
    const broken = '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n';
    expect(await keyProblems([broken])).toEqual(['services.web.verify.keys[0]: not a PEM public key']);
  });

  it('refuses a private key, although a public key could be derived from it', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(await keyProblems([privatePem])).toEqual([
      'services.web.verify.keys[0]: is a private key: give the public key (cosign.pub) and keep the private key secret',
    ]);
  });

  it('refuses a file with several keys, so that each key has its own name', async () => {
    await writeFile(join(dir, 'keys', 'two.pub'), PUBLIC_PEM + PUBLIC_PEM);
    expect(await keyProblems(['keys/two.pub'])).toEqual([
      'services.web.verify.keys[0]: keys/two.pub: holds 2 PEM blocks: give one key per entry',
    ]);
  });

  it('refuses a key type cosign cannot sign with', async () => {
    expect(await keyProblems([pem(generateKeyPairSync('x25519').publicKey)])).toEqual([
      'services.web.verify.keys[0]: key type x25519 cannot verify cosign signatures: use an ECDSA, RSA or Ed25519 key',
    ]);
  });

  it.each([
    [[], 'services.web.verify.keys: must list at least one cosign public key'],
    [undefined, 'services.web.verify.keys: is required'],
    [[''], 'services.web.verify.keys[0]: must not be empty'],
    ['keys/web.pub', 'services.web.verify.keys: must be a list, not a string'],
  ])('refuses keys: %j', async (keys, problem) => {
    expect(await keyProblems(keys)).toEqual([problem]);
  });

  it('reports every bad key of the list at once', async () => {
    await writeFile(join(dir, 'keys', 'ok.pub'), PUBLIC_PEM);
    await writeFile(join(dir, 'keys', 'bad.pub'), 'garbage');
    expect(await keyProblems(['keys/missing.pub', 'keys/ok.pub', 'keys/bad.pub', 42])).toEqual([
      'services.web.verify.keys[0]: cannot read keys/missing.pub: ENOENT',
      'services.web.verify.keys[2]: keys/bad.pub: not a PEM public key',
      'services.web.verify.keys[3]: must be a string, not a number',
    ]);
  });
});
