/**
 * Points the AWS SDK's clients, by environment, at local stand-ins, so that Lambda entry points run
 * unchanged in-process: the SDK reads AWS_ENDPOINT_URL_<SERVICE> for each client it builds.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSecretsManagerStandIn } from './secrets-manager-stand-in';

export interface AwsEndpoints {
  readonly dynamodb: string;
  readonly ecs: string;
  readonly sfn: string;
  readonly secretsManager: string;
  readonly cloudwatch?: string;
  readonly lambda?: string;
}

export function useAwsEndpoints(endpoints: AwsEndpoints, extra: Record<string, string> = {}): () => void {
  const vars: Record<string, string> = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_ECS: endpoints.ecs,
    AWS_ENDPOINT_URL_SFN: endpoints.sfn,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoints.secretsManager,
    ...(endpoints.cloudwatch ? { AWS_ENDPOINT_URL_CLOUDWATCH: endpoints.cloudwatch } : {}),
    ...(endpoints.lambda ? { AWS_ENDPOINT_URL_LAMBDA: endpoints.lambda } : {}),
    ...extra,
  };
  const previous = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  return () => {
    for (const [k, v] of Object.entries(previous)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

/** Secrets Manager (secrets-manager-stand-in.ts) holding a fixed set of secrets, by name. */
export async function startSecretsStub(secrets: Record<string, string>): Promise<{ endpoint: string; close(): Promise<void> }> {
  return startSecretsManagerStandIn(secrets);
}

/** CloudWatch's DescribeAlarms (AWS JSON 1.0) answering from a map the test changes. */
export async function startCloudWatchStub(states: Record<string, string>): Promise<{ endpoint: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { AlarmNames?: string[] };
      const alarms = (body.AlarmNames ?? []).filter((n) => n in states).map((n) => ({ AlarmName: n, StateValue: states[n] }));
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify({ MetricAlarms: alarms, CompositeAlarms: [] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(() => r())) };
}

/**
 * Lambda's Invoke (REST-JSON, `POST /2015-03-31/functions/{name}/invocations`) for asynchronous
 * invocations only (`X-Amz-Invocation-Type: Event`, answered 202 as Lambda does once it has queued the
 * event), running the named handler in process after the answer. `idle()` resolves when every
 * invocation has finished.
 */
export async function startLambdaInvokeStub(functions: Record<string, (event: unknown) => Promise<unknown>>): Promise<{ endpoint: string; idle(): Promise<void>; close(): Promise<void> }> {
  const running = new Set<Promise<unknown>>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const m = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(req.url ?? '');
      const handler = m ? functions[decodeURIComponent(m[1]!)] : undefined;
      if (req.method !== 'POST' || !handler) {
        res.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'ResourceNotFoundException' }).end(JSON.stringify({ Type: 'User', message: `Function not found: ${req.url}` }));
        return;
      }
      if (req.headers['x-amz-invocation-type'] !== 'Event') {
        res.writeHead(400, { 'content-type': 'application/json', 'x-amzn-errortype': 'InvalidParameterValueException' }).end(JSON.stringify({ Type: 'User', message: 'this stub takes asynchronous invocations only' }));
        return;
      }
      const event = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as unknown;
      res.writeHead(202).end();
      const run = handler(event).catch(() => undefined);
      running.add(run);
      void run.finally(() => running.delete(run));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    idle: async () => {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}
