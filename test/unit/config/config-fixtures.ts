/** Builders for config tests: a valid service to vary one field at a time, and helpers to collect problems. */
import { generateKeyPairSync } from 'node:crypto';
import { stringify } from 'yaml';
import { expect } from 'vitest';
import { parseConfig, type ParseConfigOptions } from '../../../shared/config/load-config';
import type { AppConfig } from '../../../shared/config/types';
import { ConfigError } from '../../../shared/errors';

/** A real P-256 public key; the private half stays in memory and is dropped. */
export const PUBLIC_PEM = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .publicKey.export({ type: 'spki', format: 'pem' })
  .toString();

export const CONFIG_FILE = '/config/rollout.config.yaml';

export function validService(): Record<string, unknown> {
  return {
    cluster: 'demo',
    service: 'web',
    image: '127.0.0.1:5000/team/web',
    verify: { keys: [PUBLIC_PEM] },
    steps: [{ setWeight: 50 }, { setWeight: 100 }],
  };
}

/** A config with one service `web`: `patch` replaces its fields (undefined removes one), `top` the top level. */
export function configWith(patch: Record<string, unknown> = {}, top: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    registries: { '127.0.0.1:5000': { insecure: true } },
    services: { web: { ...validService(), ...patch } },
    ...top,
  };
}

type Options = Partial<ParseConfigOptions>;

const noFiles = (path: string): Promise<string> =>
  Promise.reject(Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' }));

export function load(doc: unknown, options: Options = {}): Promise<AppConfig> {
  const text = typeof doc === 'string' ? doc : stringify(doc);
  return parseConfig(text, { file: CONFIG_FILE, env: {}, readFile: noFiles, ...options });
}

/** The problems a config is refused with; fails the test when it loads. */
export async function problems(doc: unknown, options: Options = {}): Promise<readonly string[]> {
  const error = await load(doc, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return (error as ConfigError).issues;
}
