/**
 * The CDK app (cdk.json): `npx cdk synth|deploy [-c config=<file>]`. Loads the config file local mode
 * reads (docs/configuration.md; see app-config.ts for which one), refuses the example config and
 * registries AWS cannot reach safely unless `-c allowExampleConfig=true`, builds RolloutOrchestratorStack for the account
 * and region of the CLI's credentials, and runs cdk-nag's AwsSolutions checks over it.
 */
import { App, Validations } from 'aws-cdk-lib';
import { loadConfig } from '../shared/config/load-config';
import type { AppConfig } from '../shared/config/types';
import { ConfigError } from '../shared/errors';
import { alarmTopicArn, allowsUnsafeConfig, configFileFor, contextObject, deployBlockedMessage, deployBlockers, synthEnvironment } from './app-config';

const app = new App();
const file = configFileFor(app);
let config: AppConfig;
try {
  config = await loadConfig(file, synthEnvironment());
} catch (error) {
  // Every problem, by path, as local mode prints them; no stack trace for a config mistake.
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
// Safe defaults: a plain `cdk deploy` must not ship the example (or any registry AWS cannot reach safely).
const blockers = deployBlockers(file, config);
if (blockers.length > 0 && !allowsUnsafeConfig(app)) {
  console.error(deployBlockedMessage(file, blockers));
  process.exit(1);
}
// The stack's constructs and cdk-nag load once the config has passed: a config mistake is told in a
// second or two, not after every construct library has loaded.
const [{ RolloutOrchestratorStack }, { AwsSolutionsChecks }] = await Promise.all([import('./rollout-orchestrator-stack'), import('cdk-nag')]);
new RolloutOrchestratorStack(app, 'RolloutOrchestratorStack', {
  config,
  secrets: contextObject(app, 'secrets'),
  registryPasswordSecrets: contextObject(app, 'registryPasswordSecrets'),
  ...alarmTopicArn(app),
  description: `ECS rollout orchestrator: signed images from registry webhooks to canary task sets (config ${file})`,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
