/**
 * A dependency that fails for a while (DynamoDB throttling, a service error, a reset connection) makes
 * the API answer 503 with Retry-After, never 500, and changes nothing. First what the real AWS SDK
 * throws for each failure at the wire (a loopback server answering as DynamoDB does), then the API
 * over local mode with the store's client failing with exactly those errors.
 */
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../../local/local-stack';
import { silentLogger } from '../../../shared/observability/logger';
import { unavailableDependency } from '../../../shared/http/unavailable-dependency';
import { type ApiClient, apiClient, expectProblem, waitFor } from '../../helpers/http';
import { appConfig, digestOf, pushEnvelope, serviceConfig } from '../../helpers/local-config';
import { ScriptedVerifier } from '../../helpers/scripted-verifier';

/** How the loopback "DynamoDB" answers the next request. */
type Answer = { status: number; type?: string; message?: string } | 'reset';

let answer: Answer = { status: 200 };
let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (answer === 'reset') return req.socket.destroy();
      const body = answer.type ? JSON.stringify({ __type: answer.type, message: answer.message ?? 'failed' }) : '';
      res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'req-1' }).end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** What a real DynamoDB client (one attempt, no retries) throws for `a`. */
async function thrownFor(a: Answer): Promise<Error> {
  answer = a;
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: 'k', secretAccessKey: 's' } });
  try {
    await client.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'x' } } }));
  } catch (e) {
    return e as Error;
  } finally {
    client.destroy();
  }
  throw new Error('the call did not fail');
}

describe('what counts as a dependency unavailable for now', () => {
  it.each([
    ['throttled', { status: 400, type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException' }, 'ProvisionedThroughputExceededException'],
    ['throttled (account level)', { status: 400, type: 'com.amazon.coral.availability#ThrottlingException' }, 'ThrottlingException'],
    ['the request limit', { status: 400, type: 'com.amazonaws.dynamodb.v20120810#RequestLimitExceeded' }, 'RequestLimitExceeded'],
    ['an internal error', { status: 500, type: 'com.amazonaws.dynamodb.v20120810#InternalServerError' }, 'InternalServerError'],
    ['unavailable, no body', { status: 503 }, expect.any(String)],
  ] as const)('%s: recognised from what the SDK throws', async (_what, a, expected) => {
    expect(unavailableDependency(await thrownFor(a))).toEqual(expected);
  });

  it('a connection reset mid-request: recognised (the SDK reports it as a timeout)', async () => {
    expect(unavailableDependency(await thrownFor('reset'))).toMatch(/^(E[A-Z]+|TimeoutError)$/);
  });

  it('a refused connection: recognised', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const client = new DynamoDBClient({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: 'k', secretAccessKey: 's' } });
    const err = await client.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'x' } } })).catch((e: unknown) => e);
    client.destroy();
    expect(unavailableDependency(err)).toBe('ECONNREFUSED');
  });

  it.each([
    ['a validation error (our bug)', { status: 400, type: 'com.amazon.coral.validate#ValidationException' }],
    ['a missing table', { status: 400, type: 'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException' }],
    ['a missing grant', { status: 400, type: 'com.amazon.coral.service#AccessDeniedException' }],
    ['a failed condition', { status: 400, type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException' }],
  ] as const)('%s: not a passing failure (stays a 500, or is handled where it is expected)', async (_what, a) => {
    expect(unavailableDependency(await thrownFor(a))).toBeNull();
  });

  it('a failure wrapped by an adapter is recognised through its cause', async () => {
    const cause = await thrownFor({ status: 400, type: 'com.amazon.coral.availability#ThrottlingException' });
    expect(unavailableDependency(new Error('saving the rollout failed', { cause }))).toBe('ThrottlingException');
    expect(unavailableDependency(new Error('plain'))).toBeNull();
    expect(unavailableDependency('a string')).toBeNull();
  });
});

describe('the API while the store is unavailable', () => {
  let stack: LocalStack;
  let api: ApiClient;
  let restoreSend: () => void;
  /** The error every store call of these operations throws while set (null: the store works). */
  let fault: { readonly operations: readonly string[]; readonly error: Error } | null = null;

  beforeAll(async () => {
    const config = appConfig([serviceConfig('gate', { steps: [{ setWeight: 50 }, { pause: {} }, { setWeight: 100 }] })]);
    stack = await startLocalStack({ config, port: 0, taskStartMs: 10, steadyPollMs: 10, verifier: new ScriptedVerifier(), logger: silentLogger, webhookToken: 'hook-token', apiToken: 'api-token' });
    api = apiClient(stack.url, stack.apiToken);
    const prototype = DynamoDBClient.prototype as unknown as { send: (...args: unknown[]) => unknown };
    const send = prototype.send;
    prototype.send = function (this: unknown, ...args: unknown[]) {
      const operation = (args[0] as object).constructor.name.replace(/Command$/, '');
      if (fault && (fault.operations.includes('*') || fault.operations.includes(operation))) return Promise.reject(fault.error);
      return send.apply(this, args);
    };
    restoreSend = () => {
      prototype.send = send;
    };
  }, 60_000);
  afterAll(async () => {
    fault = null;
    restoreSend?.();
    await stack?.stop();
  });

  /** A fetch that keeps the headers (Retry-After). */
  const raw = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${stack.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${stack.apiToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, contentType: res.headers.get('content-type'), retryAfter: res.headers.get('retry-after'), body: (await res.json()) as any };
  };

  async function pausedRollout(digest: number): Promise<string> {
    const res = await apiClient(stack.url, stack.webhookToken)('POST', '/webhooks/registry', pushEnvelope('team/gate', `v${digest}`, digestOf(digest)));
    expect(res.status).toBe(202);
    const id: string = res.body.accepted[0].rolloutId;
    await waitFor(`rollout ${id} paused`, async () => (await api('GET', `/rollouts/${id}`)).body?.status === 'PAUSED' || undefined);
    return id;
  }

  it('a read of a throttled store is a 503 with Retry-After, then works again', async () => {
    const id = await pausedRollout(0x5e01);
    fault = { operations: ['GetItem', 'Query'], error: await thrownFor({ status: 400, type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException' }) };
    try {
      const res = await raw('GET', `/rollouts/${id}`);
      expectProblem(res, 503, /unavailable for now \(ProvisionedThroughputExceededException\); try again later/);
      expect(res.retryAfter).toBe('5');
      expect(res.body.title).toBe('Service unavailable');
      expectProblem(await raw('GET', '/rollouts?service=gate'), 503);
    } finally {
      fault = null;
    }
    expect((await api('GET', `/rollouts/${id}`)).body.status).toBe('PAUSED');
  });

  it('a command whose save fails is a 503 and changes nothing; sent again, it is carried out', async () => {
    const id = await pausedRollout(0x5e02);
    const before = (await api('GET', `/rollouts/${id}`)).body;
    fault = { operations: ['PutItem', 'UpdateItem', 'BatchWriteItem', 'TransactWriteItems'], error: await thrownFor({ status: 500, type: 'com.amazonaws.dynamodb.v20120810#InternalServerError' }) };
    try {
      const res = await raw('POST', `/rollouts/${id}/abort`, { by: 'ann', reason: 'store down' });
      expectProblem(res, 503, /InternalServerError/);
      expect(res.retryAfter).toBe('5');
    } finally {
      fault = null;
    }
    // Nothing the abort would have written (the workflow's own save of its approval wait may land meanwhile).
    const after = (await api('GET', `/rollouts/${id}`)).body;
    expect(after).toMatchObject({ status: 'PAUSED', events: before.events });

    const again = await api('POST', `/rollouts/${id}/abort`, { by: 'ann', reason: 'store back' });
    expect(again.status).toBe(200);
    expect(['ROLLING_BACK', 'ROLLED_BACK']).toContain(again.body.status);
  });

  it('a connection to the store that is reset is a 503, not a 500', async () => {
    fault = { operations: ['*'], error: await thrownFor('reset') };
    try {
      const res = await raw('GET', '/rollouts');
      expectProblem(res, 503, /unavailable for now \((E[A-Z]+|TimeoutError)\)/);
      expect(res.retryAfter).toBe('5');
    } finally {
      fault = null;
    }
    expect((await api('GET', '/rollouts')).status).toBe(200);
  });
});
