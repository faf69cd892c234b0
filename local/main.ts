/**
 * `npm start`: the orchestrator as one local process with embedded DynamoDB, ECS and alarms.
 * Environment (docs/environment.md): PORT, ROLLOUT_CONFIG, ROLLOUT_WEBHOOK_TOKEN, ROLLOUT_API_TOKEN, ROLLOUT_DATA_DIR.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { jsonLogger } from '../shared/observability/logger';
import { loadConfig } from '../shared/config/load-config';
import { ConfigError } from '../shared/errors';
import { startLocalStack } from './local-stack';
import { coarseSteps } from '../shared/core/traffic-split';
import { startupBanner } from './startup-banner';
import { EnvironmentSecrets } from '../shared/adapters/environment/environment-secrets';

export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ROLLOUT_CONFIG) return resolve(env.ROLLOUT_CONFIG);
  // The default is rollout.config.yaml; a fresh checkout has only the example.
  return existsSync('rollout.config.yaml') ? resolve('rollout.config.yaml') : resolve('examples/rollout.config.yaml');
}

function parsePort(value: string | undefined): number {
  if (value === undefined || value === '') return 3000;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be a whole number from 0 to 65535, not ${JSON.stringify(value)}`);
  }
  return port;
}

async function main(): Promise<void> {
  const env = process.env;
  // Local mode's secrets are environment variables, read through the same port Lambda reads Secrets Manager with.
  const secrets = new EnvironmentSecrets(env);
  const given = async (variable: string) => (secrets.problem(variable) === null ? await secrets.read(variable) : undefined);
  const [webhookToken, apiToken] = [await given('ROLLOUT_WEBHOOK_TOKEN'), await given('ROLLOUT_API_TOKEN')];
  const configFile = defaultConfigPath(env);
  const config = await loadConfig(configFile, env, secrets);
  const dataDir = resolve(env.ROLLOUT_DATA_DIR || '.data');
  const stack = await startLocalStack({
    config,
    dataDir,
    port: parsePort(env.PORT),
    ...(env.HOST ? { host: env.HOST } : {}),
    ...(webhookToken ? { webhookToken } : {}),
    ...(apiToken ? { apiToken } : {}),
    logger: jsonLogger(),
  });
  process.stderr.write(
    startupBanner({
      url: stack.url,
      configFile,
      services: Object.keys(config.services),
      dataDir,
      webhookToken: stack.webhookToken,
      apiToken: stack.apiToken,
      generatedTokens: stack.generatedTokens,
      resumed: stack.resumed,
      endpoints: stack.endpoints,
    }),
  );

  // Task counts cannot express every step: say which, once, at start (each rollout's events say it again).
  for (const service of Object.values(config.services)) {
    if (service.traffic) continue;
    const coarse = coarseSteps(service.steps.map((s) => ('setWeight' in s ? s.setWeight : null)), service.local.desiredCount);
    for (const { step, weight, share } of coarse) {
      process.stderr.write(
        `note: services.${service.name}.steps[${step}]: setWeight ${weight} gives the canary ${share}% of traffic with ${service.local.desiredCount} task(s) (traffic follows task counts; traffic.alb makes it exact)\n`,
      );
    }
  }

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n${signal}: stopping; active rollouts resume on the next start\n`);
    stack.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`error while stopping: ${String(e)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((e: unknown) => {
  if (e instanceof ConfigError) {
    process.stderr.write(`${e.message}\n`);
  } else {
    process.stderr.write(`cannot start: ${e instanceof Error ? e.message : String(e)}\n`);
  }
  process.exit(1);
});
