import { createPublicKey } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configFilePath, loadConfig } from '../../../shared/config/load-config';
import { ConfigError } from '../../../shared/errors';
import { CONFIG_FILE, load, problems, PUBLIC_PEM } from './config-fixtures';

const EXAMPLE = resolve('examples/rollout.config.yaml');

describe('the example config', () => {
  it('loads, with both services as documented', async () => {
    const config = await loadConfig(EXAMPLE, {});
    expect(config.file).toBe(EXAMPLE);
    expect(config.registries).toEqual({ '127.0.0.1:5000': { insecure: true } });
    expect(config.services.web).toMatchObject({
      name: 'web',
      cluster: 'demo',
      service: 'web',
      container: 'app',
      image: '127.0.0.1:5000/team/web',
      registry: '127.0.0.1:5000',
      repository: 'team/web',
      steps: [{ setWeight: 20 }, { pause: { duration: 10 } }, { setWeight: 50 }, { pause: {} }, { setWeight: 100 }],
      alarms: ['web-5xx', 'web-p99-latency'],
      local: { desiredCount: 10, image: null },
    });
    expect(config.services.web?.tags?.source).toBe('^v[0-9]+');
    expect(config.services.web?.verify.keys.map((k) => k.id)).toEqual(['keys/cosign.pub']);
    expect(config.services.worker).toMatchObject({
      image: '127.0.0.1:5000/team/worker',
      tags: null,
      steps: [{ setWeight: 50 }, { pause: { duration: 5 } }, { setWeight: 100 }],
      alarms: [],
      local: { desiredCount: 4, image: null },
    });
  });

  it('ships a P-256 public key and no private key', async () => {
    const text = await readFile(resolve('examples/keys/cosign.pub'), 'utf8');
    expect(text).not.toContain('PRIVATE');
    const key = createPublicKey(text);
    expect(key.type).toBe('public');
    expect(key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });
});

describe('loadConfig', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'config-load-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports a missing file', async () => {
    const file = join(dir, 'missing.yaml');
    const error = await loadConfig(file, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ file, issues: [`cannot read ${file}: ENOENT`] });
  });

  it('returns the absolute path of the file it read', async () => {
    const file = join(dir, 'rollout.config.yaml');
    await writeFile(
      file,
      `services:\n  web:\n    cluster: c\n    service: s\n    image: ghcr.io/acme/web\n    verify: { keys: [${JSON.stringify(PUBLIC_PEM)}] }\n    steps: [{ setWeight: 100 }]\n`,
    );
    expect((await loadConfig(file, {})).file).toBe(file);
  });
});

describe('parseConfig', () => {
  it.each([
    ['services:\n  web: [1, 2\n  api: 3\n', 'line 3, column 3: Flow sequence in block collection must be sufficiently indented and end with a ]'],
    ['services:\n  web:\n    cluster: demo\n   service: web\n', 'line 4, column 1: All mapping items must start at the same column'],
    ['services:\n\tweb: {}\n', 'line 2, column 1: Tabs are not allowed as indentation'],
    ['services: {}\n---\nservices: {}\n', "line 2, column 1: holds several YAML documents ('---'): the config is one document"],
  ])('reports the YAML syntax error in %j with its line and column', async (yaml, problem) => {
    expect(await problems(yaml)).toEqual([problem]);
  });

  it('reports a key given twice', async () => {
    expect(await problems('services:\n  web: {}\n  web: {}\n')).toEqual(['line 3, column 3: Map keys must be unique']);
  });

  it('reports an empty file', async () => {
    expect(await problems('# nothing yet\n')).toEqual(['the file is empty: it must configure services']);
  });

  it('lets services share settings through YAML anchors and merge keys', async () => {
    const shared = `
registries: { 127.0.0.1:5000: { insecure: true } }
services:
  web: &web
    cluster: demo
    service: web
    image: 127.0.0.1:5000/team/web
    verify: { keys: [${JSON.stringify(PUBLIC_PEM)}] }
    steps: &steps [{ setWeight: 50 }, { pause: {} }, { setWeight: 100 }]
  worker:
    <<: *web
    service: worker
    steps: *steps
`;
    const config = await load(shared);
    expect(config.services.worker).toMatchObject({ cluster: 'demo', service: 'worker', steps: config.services.web?.steps });
  });

  it('reports every problem of an invalid file at once, each with its path, in file order', async () => {
    const yaml = `
registries:
  127.0.0.1:5000: { insecure: maybe }
services:
  web:
    cluster: demo
    service: web
    image: 127.0.0.1:5000/team/web:v1
    tags: '(unclosed'
    verify: { keys: [keys/web.pub] }
    steps:
      - setWeight: 20
      - pause: { duration: 1.5m }
      - setWeight: 150
      - stepz: 1
    alarms: [web-5xx, '']
  my-api:
    cluster: demo
    image: registry.example.com/api
    verify: { keys: [${JSON.stringify(PUBLIC_PEM)}] }
    steps: []
    local: { desiredCount: 0 }
`;
    expect(await problems(yaml)).toEqual([
      'registries["127.0.0.1:5000"].insecure: must be true or false, not a string',
      "services.web.image: must not include a tag (':v1'): images are chosen by pushes, not by config; write '127.0.0.1:5000/team/web'",
      'services.web.tags: is not a valid regular expression: Unterminated group',
      'services.web.verify.keys[0]: cannot read keys/web.pub: ENOENT',
      "services.web.steps[1].pause.duration: '1.5m' has a fraction: durations are whole seconds (write 1m30s, not 1.5m)",
      'services.web.steps[2].setWeight: must be between 0 and 100',
      'services.web.steps[3]: must be one of setWeight or pause',
      "services.web.steps[3]: unknown key 'stepz'",
      'services.web.alarms[1]: must not be empty',
      'services.my-api.service: is required',
      'services.my-api.image: registry registry.example.com is not listed under registries (list it; add insecure: true if it serves plain HTTP)',
      'services.my-api.steps: must list at least one step, like - setWeight: 100',
      'services.my-api.local.desiredCount: must be between 1 and 100',
    ]);
  });

  it('throws a ConfigError whose message names the file and lists the problems', async () => {
    const error = await load({ services: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(`invalid configuration in ${CONFIG_FILE}:\n  - services: must configure at least one service`);
  });
});

describe('configFilePath', () => {
  it('takes ROLLOUT_CONFIG, defaulting to rollout.config.yaml', () => {
    expect(configFilePath({ ROLLOUT_CONFIG: '/etc/rollout.yaml' })).toBe('/etc/rollout.yaml');
    expect(configFilePath({})).toBe('rollout.config.yaml');
  });
});
