import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { configFileFor, contextObject, EXAMPLE_CONFIG, synthEnvironment } from '../../infra/app-config';

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
