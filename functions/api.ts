/**
 * The HTTP API on Lambda (API Gateway HTTP API or a Function URL): the same Hono app as local mode.
 * It serves the webhooks (intake, with supersede's rollback), the operators' commands and the queries.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { LambdaContext, LambdaEvent } from 'hono/aws-lambda';
import { handle } from 'hono/aws-lambda';
import { createApp } from '../shared/http/app';
import { functionRoot } from './wiring/compose';
import { ENV, requireEnv } from './wiring/environment';

const root = functionRoot('api', ['store', 'ecs', 'verifier', 'workflow', 'tags', 'deliveries']);
let secrets: SecretsManagerClient | undefined;

async function secret(envName: string): Promise<string> {
  const arn = requireEnv(envName);
  secrets ??= new SecretsManagerClient({});
  const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: arn }));
  if (!SecretString) throw new Error(`secret ${arn} (${envName}) is empty`);
  return SecretString;
}

let app: Promise<ReturnType<typeof handle>> | undefined;

function getHandler() {
  app ??= (async () => {
    const [{ orchestrator, operatorDeps }, webhookToken, apiToken] = await Promise.all([root.get(), secret(ENV.webhookTokenSecret), secret(ENV.apiTokenSecret)]);
    return handle(createApp({ orchestrator, webhookToken, apiToken, logger: root.logger, ...operatorDeps }));
  })();
  app.catch(() => {
    app = undefined;
  });
  return app;
}

export async function handler(event: LambdaEvent, context: LambdaContext) {
  root.begin(context);
  return (await getHandler())(event, context);
}
