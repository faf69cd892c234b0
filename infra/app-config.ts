/** What the CDK app (app.ts) reads from its context and environment; apart so it can be tested without synthesizing. */
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import type { App } from 'aws-cdk-lib';
import { DEFAULT_CONFIG_FILE } from '../shared/config/load-config';
import type { AppConfig } from '../shared/config/types';

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

/** The context flag that synthesizes a config the guard below refuses, for trying the stack out. */
export const ALLOW_EXAMPLE_CONFIG = 'allowExampleConfig';

/** `localhost`, `127.x.y.z`, `::1` (bracketed or not), with or without a port. */
export function isLoopbackHost(host: string): boolean {
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : isIP(host) === 6 ? host : host.replace(/:\d+$/, '');
  const lower = name.toLowerCase();
  if (lower === 'localhost' || lower.endsWith('.localhost')) return true;
  if (isIP(lower) === 4) return lower.startsWith('127.');
  if (isIP(lower) === 6) return lower === '::1' || lower === '0:0:0:0:0:0:0:1' || lower.startsWith('::ffff:127.');
  return false;
}

/**
 * Why this config must not be deployed as it is (empty when it may): the example file itself (cluster
 * `demo`, a registry on 127.0.0.1), a registry on a loopback address (nothing in AWS can reach the
 * laptop it names), or a registry marked insecure (images and signatures over plain HTTP).
 */
export function deployBlockers(file: string, config: AppConfig, cwd: string = process.cwd()): string[] {
  const reasons: string[] = [];
  if (resolve(cwd, file) === resolve(cwd, EXAMPLE_CONFIG)) reasons.push('it is the example config, made for local mode');
  const hosts = [...new Set([...Object.keys(config.registries), ...Object.values(config.services).map((s) => s.registry)])];
  for (const host of hosts) {
    if (isLoopbackHost(host)) reasons.push(`registry ${host} is a loopback address, which nothing in AWS can reach`);
    if (config.registries[host]?.insecure) reasons.push(`registry ${host} is marked insecure (plain HTTP)`);
  }
  return reasons;
}

/** The message `cdk synth` and `cdk deploy` stop with, naming the file and the ways on. */
export function deployBlockedMessage(file: string, reasons: readonly string[]): string {
  return [
    `Refusing to synthesize ${file} for AWS:`,
    ...reasons.map((reason) => `  - ${reason}`),
    'Write a config for your account (docs/configuration.md; the deploy walkthrough is in the README) and pass it with',
    '-c config=<file> (or ROLLOUT_CONFIG=<file>), or create rollout.config.yaml.',
    `To synthesize this one anyway, for trying the stack out, add -c ${ALLOW_EXAMPLE_CONFIG}=true.`,
  ].join('\n');
}

/** `-c allowExampleConfig=true` (the context value arrives as a string from the command line). */
export function allowsUnsafeConfig(app: App): boolean {
  const value: unknown = app.node.tryGetContext(ALLOW_EXAMPLE_CONFIG);
  return value === true || value === 'true';
}

/** `-c alarmTopicArn=<SNS topic ARN>`: where the orchestrator's own alarms notify. */
export function alarmTopicArn(app: App): { alarmTopicArn?: string } {
  const value: unknown = app.node.tryGetContext('alarmTopicArn');
  if (value === undefined || value === '') return {};
  if (typeof value !== 'string' || !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/.test(value)) {
    throw new Error(`context alarmTopicArn must be the ARN of an SNS topic, like arn:aws:sns:eu-west-1:123456789012:ops-alerts; got ${JSON.stringify(value)}`);
  }
  return { alarmTopicArn: value };
}
