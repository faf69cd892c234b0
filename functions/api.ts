/** The HTTP API on Lambda (API Gateway HTTP API or a Function URL): the same Hono app as local mode. */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { LambdaEvent, LambdaContext } from 'hono/aws-lambda';
import { handle } from 'hono/aws-lambda';
import { createApp } from '../shared/http/app';
import { ENV, getOperatorDeps, getOrchestrator, logger, requireEnv } from './runtime';

const secrets = new SecretsManagerClient({});

async function secret(envName: string): Promise<string> {
  const arn = requireEnv(envName);
  const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: arn }));
  if (!SecretString) throw new Error(`secret ${arn} (${envName}) is empty`);
  return SecretString;
}

let app: Promise<ReturnType<typeof handle>> | undefined;

function getHandler() {
  app ??= (async () => {
    const [orchestrator, webhookToken, apiToken, operator] = await Promise.all([
      getOrchestrator(),
      secret(ENV.webhookTokenSecret),
      secret(ENV.apiTokenSecret),
      getOperatorDeps(),
    ]);
    return handle(createApp({ orchestrator, webhookToken, apiToken, logger, ...operator }));
  })();
  app.catch(() => {
    app = undefined;
  });
  return app;
}

export async function handler(event: LambdaEvent, context: LambdaContext) {
  return (await getHandler())(event, context);
}
