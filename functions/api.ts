/**
 * The HTTP API on Lambda (API Gateway HTTP API or a Function URL): the same Hono app as local mode.
 * It serves the webhooks (intake, with supersede's rollback), the operators' commands and the queries.
 * The two tokens are secrets of the stack, read through the function's SecretSource at each request
 * (cached briefly): one that cannot be read is answered 503 on the routes that need it.
 */
import type { LambdaContext, LambdaEvent } from 'hono/aws-lambda';
import { handle } from 'hono/aws-lambda';
import { createApp } from '../shared/http/app';
import { loadOnce } from '../shared/load-once';
import { TOKEN_VARIABLES } from './wiring/environment';
import { composedRoot } from './wiring/function-root';
import { lazyOrchestrator } from './wiring/lazy-orchestrator';

// The orchestrator loads with the first command or delivery: the reads need only the store.
const root = composedRoot('api', ['store', 'ecs', 'verifier', 'workflow', 'tags', 'deliveries'], lazyOrchestrator);

// Built by the first request; a failed build is not kept (the next request tries again).
const getHandler = loadOnce(async () => {
  const { orchestrator, operatorDeps, secrets } = await root.get();
  const webhookToken = () => secrets.read(TOKEN_VARIABLES.webhook);
  const apiToken = () => secrets.read(TOKEN_VARIABLES.api);
  return handle(createApp({ orchestrator, webhookToken, apiToken, logger: root.logger, ...operatorDeps }));
});

export async function handler(event: LambdaEvent, context: LambdaContext) {
  root.begin(context);
  return (await getHandler())(event, context);
}
