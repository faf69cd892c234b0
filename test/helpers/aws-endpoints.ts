/**
 * Points the AWS SDK's clients, by environment, at local stand-ins, so that Lambda entry points run
 * unchanged in-process: the SDK reads AWS_ENDPOINT_URL_<SERVICE> for each client it builds.
 */
import { serveWire } from '../../local/sdk/loopback-server';
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
  return serveWire((request) => {
    const body = JSON.parse(request.body || '{}') as { AlarmNames?: string[] };
    const alarms = (body.AlarmNames ?? []).filter((n) => n in states).map((n) => ({ AlarmName: n, StateValue: states[n] }));
    return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: JSON.stringify({ MetricAlarms: alarms, CompositeAlarms: [] }) };
  });
}

/**
 * Lambda's Invoke (REST-JSON, `POST /2015-03-31/functions/{name}/invocations`) for asynchronous
 * invocations only (`X-Amz-Invocation-Type: Event`, answered 202 as Lambda does once it has queued the
 * event), running the named handler in process after the answer. `idle()` resolves when every
 * invocation has finished.
 */
export async function startLambdaInvokeStub(functions: Record<string, (event: unknown) => Promise<unknown>>): Promise<{ endpoint: string; idle(): Promise<void>; close(): Promise<void> }> {
  const running = new Set<Promise<unknown>>();
  const server = await serveWire((request) => {
    const m = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(request.path);
    const handler = m ? functions[decodeURIComponent(m[1]!)] : undefined;
    if (request.method !== 'POST' || !handler) {
      return { status: 404, headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'ResourceNotFoundException' }, body: JSON.stringify({ Type: 'User', message: `Function not found: ${request.path}` }) };
    }
    if (request.headers['x-amz-invocation-type'] !== 'Event') {
      return { status: 400, headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'InvalidParameterValueException' }, body: JSON.stringify({ Type: 'User', message: 'this stub takes asynchronous invocations only' }) };
    }
    const event = JSON.parse(request.body || '{}') as unknown;
    // Lambda answers once the event is queued; the handler runs after the answer.
    const run = new Promise((r) => setImmediate(r)).then(() => handler(event)).catch(() => undefined);
    running.add(run);
    void run.finally(() => running.delete(run));
    return { status: 202 };
  });
  return {
    endpoint: server.endpoint,
    idle: async () => {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
    close: () => server.close(),
  };
}
