/**
 * What every Lambda shares: AWS clients and the orchestrator, built once per execution environment
 * (cold start) and reused by every invocation. Handlers stay thin: parse, call the orchestrator, answer.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ECSClient } from '@aws-sdk/client-ecs';
import { SFNClient } from '@aws-sdk/client-sfn';
import { CloudWatchAlarms } from '../shared/adapters/cloudwatch/cloudwatch-alarms';
import { DynamoRolloutStore } from '../shared/adapters/dynamodb/dynamo-rollout-store';
import { EcsTaskSetDeployer } from '../shared/adapters/ecs/ecs-task-set-deployer';
import { StepFunctionsWorkflow } from '../shared/adapters/step-functions/step-functions-workflow';
import { jsonLogger } from '../shared/observability/logger';
import { Orchestrator } from '../shared/orchestration/orchestrator';
import { loadConfig } from '../shared/config/load-config';
import type { OperatorDeps } from '../shared/http/dashboard';
import { wireOperatorFeatures } from '../shared/observability/operator-wiring';
import { CosignSignatureVerifier } from '../shared/signature/cosign-signature-verifier';

/** Environment the stack sets on every function. */
export const ENV = {
  table: 'ROLLOUT_TABLE_NAME',
  stateMachine: 'ROLLOUT_STATE_MACHINE_ARN',
  config: 'ROLLOUT_CONFIG',
  webhookTokenSecret: 'ROLLOUT_WEBHOOK_TOKEN_SECRET_ARN',
  apiTokenSecret: 'ROLLOUT_API_TOKEN_SECRET_ARN',
} as const;

export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new Error(`environment variable ${name} is not set; the stack sets it on every function`);
  return value;
}

export const logger = jsonLogger();

let orchestrator: Promise<Orchestrator> | undefined;
let operatorDeps: OperatorDeps = {};

/** The orchestrator of this execution environment; the config file ships inside the bundle. */
export function getOrchestrator(env: NodeJS.ProcessEnv = process.env): Promise<Orchestrator> {
  orchestrator ??= (async () => {
    const config = await loadConfig(requireEnv(ENV.config, env), env);
    const store = new DynamoRolloutStore({ client: new DynamoDBClient({}), tableName: requireEnv(ENV.table, env) });
    const built = new Orchestrator({
      config,
      store,
      ecs: new EcsTaskSetDeployer({ client: new ECSClient({}) }),
      verifier: new CosignSignatureVerifier({ registries: config.registries }),
      workflow: new StepFunctionsWorkflow({ client: new SFNClient({}), stateMachineArn: requireEnv(ENV.stateMachine, env) }),
      alarms: new CloudWatchAlarms({ client: new CloudWatchClient({}) }),
      logger,
      options: { steadyPollSeconds: 10 },
    });
    // Rollout event logs, EMF metrics and notifications ride on every function's orchestrator.
    operatorDeps = wireOperatorFeatures({ mode: 'lambda', orchestrator: built, store, config, logger, env }).appDeps;
    return built;
  })();
  // A failed start is not cached: the next invocation tries again.
  orchestrator.catch(() => {
    orchestrator = undefined;
  });
  return orchestrator;
}

/** What createApp needs beyond the orchestrator and tokens (approval links): spread it into the app's deps. */
export async function getOperatorDeps(env: NodeJS.ProcessEnv = process.env): Promise<OperatorDeps> {
  await getOrchestrator(env);
  return operatorDeps;
}
