/**
 * The floor the function bundles are measured against (BENCHMARKS.md, cold-start), and held to by
 * test/infra/function-bundles.test.ts: the most any one function should load at start.
 */

/**
 * The floor: a bare Hono Lambda handler importing and constructing the DynamoDB, Step Functions and ECS
 * clients, whose route makes one DynamoDB Query. `secrets`: its route first reads the two token secrets,
 * as the api's first request does (then it imports the Secrets Manager client too).
 */
export function floorSource(secrets: boolean): string {
  return [
    "import { Hono } from 'hono';",
    "import { handle } from 'hono/aws-lambda';",
    "import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';",
    "import { SFNClient } from '@aws-sdk/client-sfn';",
    "import { ECSClient } from '@aws-sdk/client-ecs';",
    ...(secrets ? ["import { SecretsManagerClient, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';", 'const secrets = new SecretsManagerClient({});'] : []),
    'const dynamo = new DynamoDBClient({});',
    'globalThis.__benchClients = [dynamo, new SFNClient({}), new ECSClient({})];',
    'const app = new Hono();',
    "app.get('/probe/:id', async (c) => {",
    secrets ? "  await Promise.all(['webhook-secret', 'api-secret'].map((id) => secrets.send(new GetSecretValueCommand({ SecretId: id }))));" : '',
    "  const out = await dynamo.send(new QueryCommand({ TableName: 'rollouts', KeyConditionExpression: '#pk = :pk', ExpressionAttributeNames: { '#pk': 'pk' }, ExpressionAttributeValues: { ':pk': { S: 'ROLLOUT#' + c.req.param('id') } }, ConsistentRead: true }));",
    '  return c.json({ items: out.Items?.length ?? 0 });',
    '});',
    'export const handler = handle(app);',
  ].join('\n');
}
