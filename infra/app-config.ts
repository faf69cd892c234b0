/** What the CDK app (app.ts) reads from its context and environment; apart so it can be tested without synthesizing. */
import { existsSync } from 'node:fs';
import type { App } from 'aws-cdk-lib';
import { DEFAULT_CONFIG_FILE } from '../shared/config/load-config';

export const EXAMPLE_CONFIG = 'examples/rollout.config.yaml';

/** `-c config=<file>`, else ROLLOUT_CONFIG, else rollout.config.yaml when it exists, else the example. */
export function configFileFor(app: App, env: NodeJS.ProcessEnv = process.env, exists: (file: string) => boolean = existsSync): string {
  const fromContext: unknown = app.node.tryGetContext('config');
  if (typeof fromContext === 'string' && fromContext !== '') return fromContext;
  if (env.ROLLOUT_CONFIG) return env.ROLLOUT_CONFIG;
  return exists(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : EXAMPLE_CONFIG;
}

/** `-c name='{"host":"secret"}'`: a JSON object of strings (empty when absent). */
export function contextObject(app: App, name: string): Record<string, string> {
  const value: unknown = app.node.tryGetContext(name);
  let parsed: unknown = value ?? {};
  try {
    if (typeof value === 'string') parsed = JSON.parse(value);
  } catch {
    parsed = null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || Object.values(parsed).some((v) => typeof v !== 'string')) {
    throw new Error(`context ${name} must be a JSON object of strings, like {"docker.io":"rollout/dockerhub-password"}`);
  }
  return parsed as Record<string, string>;
}

/**
 * The environment the config is loaded with at synth. Registry passwords come from Secrets Manager in
 * AWS, never from the synth machine, so a `passwordEnv` variable need not be set here: a placeholder
 * satisfies the loader (and never leaves this process: the bundled config names the variable only).
 */
export function synthEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return new Proxy(env, { get: (target, name: string) => target[name] ?? 'set-at-deploy-time' });
}
