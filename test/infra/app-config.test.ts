import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import {
  allowsUnsafeConfig,
  configFileFor,
  contextObject,
  deployBlockedMessage,
  deployBlockers,
  EXAMPLE_CONFIG,
  isLoopbackHost,
  synthEnvironment,
} from '../../infra/app-config';
import { PROJECT_ROOT } from '../../infra/rollout-functions';
import { loadConfig } from '../../shared/config/load-config';
import { configFrom } from './infra-fixtures';

const app = (context: Record<string, unknown> = {}) => new App({ context });

describe('the config file the app deploys', () => {
  it('is -c config=<file> first, then ROLLOUT_CONFIG', () => {
    expect(configFileFor(app({ config: 'prod.yaml' }), { ROLLOUT_CONFIG: 'env.yaml' })).toBe('prod.yaml');
    expect(configFileFor(app(), { ROLLOUT_CONFIG: 'env.yaml' })).toBe('env.yaml');
  });

  it('is rollout.config.yaml when it exists, else the example', () => {
    expect(configFileFor(app(), {}, () => true)).toBe('rollout.config.yaml');
    expect(configFileFor(app(), {}, () => false)).toBe(EXAMPLE_CONFIG);
  });
});

describe('the registry password secrets context', () => {
  it('is a JSON object of secret names, empty when absent', () => {
    expect(contextObject(app({ registryPasswordSecrets: '{"docker.io":"rollout/hub"}' }), 'registryPasswordSecrets')).toEqual({ 'docker.io': 'rollout/hub' });
    expect(contextObject(app(), 'registryPasswordSecrets')).toEqual({});
  });

  it.each(['not json', '["rollout/hub"]', '{"docker.io":1}'])('refuses %s', (value) => {
    expect(() => contextObject(app({ registryPasswordSecrets: value }), 'registryPasswordSecrets')).toThrow(/JSON object of strings/);
  });
});

describe('the synth environment', () => {
  it('keeps set variables and gives a placeholder for unset ones', () => {
    const env = synthEnvironment({ SET: 'value' });
    expect(env.SET).toBe('value');
    expect(env.HUB_PASSWORD).toBe('set-at-deploy-time');
  });
});

describe('the deploy guard', () => {
  it('refuses the example config: its file, its loopback registry and plain HTTP, and says how to go on', async () => {
    const config = await loadConfig(EXAMPLE_CONFIG, synthEnvironment({}));
    const reasons = deployBlockers(EXAMPLE_CONFIG, config);
    expect(reasons).toEqual([
      'it is the example config, made for local mode',
      'registry 127.0.0.1:5000 is a loopback address, which nothing in AWS can reach',
      'registry 127.0.0.1:5000 is marked insecure (plain HTTP)',
    ]);
    const message = deployBlockedMessage(EXAMPLE_CONFIG, reasons);
    expect(message).toContain(`Refusing to synthesize ${EXAMPLE_CONFIG} for AWS`);
    expect(message).toContain('-c allowExampleConfig=true');
    expect(message).toContain('-c config=<file>');
  });

  it('refuses any registry on a loopback address, and an insecure one anywhere; passes ECR and HTTPS registries', async () => {
    const yaml = (registries: string, image: string) =>
      `registries:\n${registries}services:\n  web:\n    cluster: prod\n    service: web\n    image: ${image}/team/web\n    verify: { keys: [keys/web.pub] }\n    steps: [{ setWeight: 100 }]\n`;
    const blockers = async (registries: string, image: string) => deployBlockers('prod.yaml', await configFrom(yaml(registries, image)));
    expect(await blockers('  {}\n', '123456789012.dkr.ecr.eu-west-1.amazonaws.com')).toEqual([]);
    expect(await blockers('  registry.example.com: {}\n', 'registry.example.com')).toEqual([]);
    expect(await blockers('  localhost:5000: {}\n', 'localhost:5000')).toEqual(['registry localhost:5000 is a loopback address, which nothing in AWS can reach']);
    expect(await blockers('  registry.internal:5000: { insecure: true }\n', 'registry.internal:5000')).toEqual(['registry registry.internal:5000 is marked insecure (plain HTTP)']);
    expect(['127.0.0.1', '127.1.2.3:443', 'localhost', '[::1]:5000', '::1'].every(isLoopbackHost)).toBe(true);
    expect(['10.0.0.1:5000', 'registry.example.com', '[2001:db8::1]:5000', 'ghcr.io'].some(isLoopbackHost)).toBe(false);
  });

  it('stops `cdk synth` of the example with the message and exit code 1, before anything is synthesized', () => {
    const out = mkdtempSync(join(tmpdir(), 'rollout-app-'));
    const run = spawnSync(join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'), ['infra/app.ts'], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ config: EXAMPLE_CONFIG }), CDK_OUTDIR: out },
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`Refusing to synthesize ${EXAMPLE_CONFIG} for AWS`);
    expect(run.stderr).toContain('-c allowExampleConfig=true');
    expect(readdirSync(out)).toEqual([]);
  }, 60_000);

  it('lets -c allowExampleConfig=true through', () => {
    const app = (context: Record<string, unknown>) => new App({ context });
    expect(allowsUnsafeConfig(app({ allowExampleConfig: 'true' }))).toBe(true);
    expect(allowsUnsafeConfig(app({ allowExampleConfig: true }))).toBe(true);
    expect(allowsUnsafeConfig(app({}))).toBe(false);
    expect(allowsUnsafeConfig(app({ allowExampleConfig: 'yes' }))).toBe(false);
  });
});
