/**
 * The SDK clients are built with their middleware stack cached per command class
 * (shared/adapters/sdk-client-defaults.ts): calls in flight together still each get their own answer,
 * and middleware added when a client is built still runs on every call after the first. A client signing
 * with one signer (`withOneSigner`) signs every call as SigV4 says, with the credentials of the moment.
 */
import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { HttpResponse, type HttpRequest } from '@smithy/core/transport';
import { createHash, createHmac } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynaliteClient, startDynalite, type RunningDynalite } from '../../../local/dynamodb/dynalite-server';
import type { InProcessHandler } from '../../../local/sdk/in-process-handler';
import { SDK_CLIENT_DEFAULTS, withOneSigner } from '../../../shared/adapters/sdk-client-defaults';

let dynamo: RunningDynalite;
beforeAll(async () => {
  dynamo = await startDynalite({ tableName: 'sdk-defaults' });
});
afterAll(async () => {
  await dynamo.close();
});

const key = (i: number) => ({ pk: { S: `item-${i}` }, sk: { S: 'x' } });

describe('SDK clients with a cached middleware stack', () => {
  it('local mode builds its clients with the defaults', () => {
    expect(SDK_CLIENT_DEFAULTS.cacheMiddleware).toBe(true);
    expect(dynamo.client.config.cacheMiddleware).toBe(true);
    // One signer for all its calls: the provider answers the same one each time.
    const signer = (dynamo.client.config as unknown as { signer: () => Promise<unknown> }).signer;
    expect(signer()).toBe(signer());
  });

  it('keeps calls in flight together apart: each gets its own item and its own refusal', async () => {
    const { client, tableName } = dynamo;
    const n = 40;
    await Promise.all(Array.from({ length: n }, (_, i) => client.send(new PutItemCommand({ TableName: tableName, Item: { ...key(i), value: { N: String(i) } } }))));
    // Puts of new items and conditional puts over existing ones, interleaved: only the latter are refused.
    const puts = await Promise.allSettled(
      Array.from({ length: 2 * n }, (_, i) =>
        client.send(new PutItemCommand({ TableName: tableName, Item: { ...key(i), value: { N: String(1000 + i) } }, ConditionExpression: 'attribute_not_exists(pk)' })),
      ),
    );
    expect(puts.map((p) => p.status)).toEqual(Array.from({ length: 2 * n }, (_, i) => (i < n ? 'rejected' : 'fulfilled')));
    for (const p of puts.slice(0, n)) expect((p as PromiseRejectedResult).reason).toBeInstanceOf(ConditionalCheckFailedException);
    const got = await Promise.all(Array.from({ length: 2 * n }, (_, i) => client.send(new GetItemCommand({ TableName: tableName, Key: key(i), ConsistentRead: true }))));
    expect(got.map((g) => Number(g.Item?.['value']?.N))).toEqual(Array.from({ length: 2 * n }, (_, i) => (i < n ? i : 1000 + i)));
  });

  it('runs the middleware a client was built with on every call, not only the first', async () => {
    // A handler whose every request fails once with a reset connection before it reaches the store:
    // only the client's retry-once middleware (a client of one attempt) gets each call through.
    let attempts = 0;
    const flaky = {
      metadata: { handlerProtocol: 'http/1.1' },
      handle: async (_request: HttpRequest) => {
        attempts += 1;
        if (attempts % 2 === 1) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        return { response: new HttpResponse({ statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: Readable.from([Buffer.from('{}')]) }) };
      },
      updateHttpClientConfig() {},
      httpHandlerConfigs: () => ({}),
      destroy() {},
    };
    const client = dynaliteClient('http://127.0.0.1:9', flaky as unknown as InProcessHandler);
    try {
      for (let i = 0; i < 3; i++) await client.send(new GetItemCommand({ TableName: 't', Key: key(i) }));
      expect(attempts).toBe(6);
    } finally {
      client.destroy();
    }
  });
});

/** What a request handler saw: the request as signed. */
function recordingHandler(seen: HttpRequest[]) {
  return {
    metadata: { handlerProtocol: 'http/1.1' },
    handle: async (request: HttpRequest) => {
      seen.push(request);
      return { response: new HttpResponse({ statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: Readable.from([Buffer.from('{}')]) }) };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
    destroy() {},
  };
}

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
/** RFC 3986 percent-encoding, as SigV4 applies it to each path segment and query member. */
const uriEncode = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * Checks a request's SigV4 signature from the specification (AWS General Reference, "Create a signed AWS
 * API request"), not from the SDK: the canonical request (the path's segments encoded once more, as for
 * every service but S3) of the headers it says it signed, the string to sign and the derived key; and
 * that the host, the date and a session token are among the signed headers. Answers the credential scope
 * and key id it was signed for.
 */
function verifySigV4(request: HttpRequest, secretFor: (accessKeyId: string) => string): { accessKeyId: string; scope: string } {
  const auth = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8}\/[^/]+\/[^/]+\/aws4_request), SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(String(request.headers['authorization']));
  if (!auth) throw new Error(`not a SigV4 authorization: ${request.headers['authorization']}`);
  const [, accessKeyId, scope, signedHeaders, signature] = auth as unknown as [string, string, string, string, string];
  const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), String(v).trim()]));
  const signed = signedHeaders.split(';');
  expect(signed).toEqual(expect.arrayContaining(['host', 'x-amz-date', ...('x-amz-security-token' in headers ? ['x-amz-security-token'] : [])]));
  // The SDK's JSON body is a Uint8Array (a subclass that also answers string methods): hash its bytes.
  const raw = request.body as string | Uint8Array | undefined;
  const body = raw === undefined ? Buffer.alloc(0) : typeof raw === 'string' ? Buffer.from(raw, 'utf8') : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const path = request.path.split('/').map(uriEncode).join('/');
  const query = Object.entries(request.query ?? {}).map(([k, v]) => `${uriEncode(k)}=${uriEncode(String(v))}`).sort().join('&');
  const canonical = [request.method, path, query, ...signed.map((h) => `${h}:${headers[h]}`), '', signedHeaders, sha256(body)].join('\n');
  const amzDate = headers['x-amz-date']!;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const [day, region, service] = scope.split('/') as [string, string, string];
  const key = hmac(hmac(hmac(hmac(`AWS4${secretFor(accessKeyId)}`, day), region), service), 'aws4_request');
  expect(amzDate.slice(0, 8)).toBe(day);
  expect(createHmac('sha256', key).update(toSign, 'utf8').digest('hex')).toBe(signature);
  return { accessKeyId, scope };
}

describe('SDK clients signing with one signer (withOneSigner)', () => {
  it('signs every call as the SDK does, for each client its own region and service, with the credentials of the moment', async () => {
    const functionArn = 'arn:aws:lambda:eu-west-1:123456789012:function:intake';
    /** The calls' signatures (each checked), on clients built as the SDK builds them or signing with one signer. */
    const run = async (oneSigner: boolean) => {
      const seen: HttpRequest[] = [];
      // Credentials with a session token that expire within the SDK's refresh window: calls after the first fetch them again.
      let issued = 0;
      const credentials = async () => {
        issued += 1;
        return { accessKeyId: `KEY${issued}`, secretAccessKey: `secret-${issued}`, sessionToken: `token-${issued}`, expiration: new Date(Date.now() + 1000) };
      };
      const built = <C extends { config: object }>(client: C) => (oneSigner ? withOneSigner(client) : client);
      const common = { ...SDK_CLIENT_DEFAULTS, endpoint: 'http://127.0.0.1:9', requestHandler: recordingHandler(seen), credentials, maxAttempts: 1 };
      const dynamodb = built(new DynamoDBClient({ ...common, region: 'us-east-1' }));
      const ecs = built(new ECSClient({ ...common, region: 'eu-west-1' }));
      // A REST path whose segment SigV4 encodes once more (the function's ARN).
      const lambda = built(new LambdaClient({ ...common, region: 'eu-west-1' }));
      // A client whose signer is not built yet, with two calls in flight at once.
      const fresh = built(new DynamoDBClient({ ...common, region: 'us-west-2' }));
      try {
        for (let i = 0; i < 3; i++) {
          await dynamodb.send(new GetItemCommand({ TableName: 't', Key: key(i) }));
          await ecs.send(new DescribeServicesCommand({ cluster: 'c', services: [`s${i}`] }));
        }
        await lambda.send(new InvokeCommand({ FunctionName: functionArn, InvocationType: 'Event', Payload: Buffer.from('{"delivery":"d-1"}') }));
        await Promise.all([0, 1].map((i) => fresh.send(new GetItemCommand({ TableName: 't', Key: key(i) }))));
        // Credentials set on a client after its first calls sign its next call.
        dynamodb.config.credentials = { accessKeyId: 'KEYSET', secretAccessKey: 'secret-SET' } as never;
        await dynamodb.send(new GetItemCommand({ TableName: 't', Key: key(9) }));
      } finally {
        for (const client of [dynamodb, ecs, lambda, fresh]) client.destroy();
      }
      expect(seen[6]!.path).toBe(`/2015-03-31/functions/${encodeURIComponent(functionArn)}/invocations`);
      return seen.map((request) => verifySigV4(request, (id) => `secret-${id.slice(3)}`)).map(({ accessKeyId, scope }) => `${accessKeyId} ${scope.split('/').slice(1).join('/')}`);
    };
    const withOne = await run(true);
    expect(withOne).toEqual(await run(false));
    expect(withOne.map((call) => call.split(' ')[1])).toEqual([
      ...Array.from({ length: 3 }, () => ['us-east-1/dynamodb/aws4_request', 'eu-west-1/ecs/aws4_request']).flat(),
      'eu-west-1/lambda/aws4_request',
      'us-west-2/dynamodb/aws4_request',
      'us-west-2/dynamodb/aws4_request',
      'us-east-1/dynamodb/aws4_request',
    ]);
    // Each sequential call was signed with the key fetched for it, none with one kept from an earlier call.
    expect(new Set(withOne.slice(0, 7).map((call) => call.split(' ')[0])).size).toBe(7);
    expect(withOne.at(-1)!.split(' ')[0]).toBe('KEYSET');
  });

  it('keeps no failed signer: the call after a failure builds it again', async () => {
    const seen: HttpRequest[] = [];
    const client = new DynamoDBClient({ ...SDK_CLIENT_DEFAULTS, endpoint: 'http://127.0.0.1:9', requestHandler: recordingHandler(seen), region: 'us-east-1', credentials: { accessKeyId: 'KEY1', secretAccessKey: 'secret-1' }, maxAttempts: 1 });
    const config = client.config as unknown as { signer: (...args: unknown[]) => Promise<unknown> };
    const sdkSigner = config.signer;
    let builds = 0;
    config.signer = (...args) => (++builds === 1 ? Promise.reject(new Error('region provider failed')) : sdkSigner(...args));
    withOneSigner(client);
    try {
      await expect(client.send(new GetItemCommand({ TableName: 't', Key: key(0) }))).rejects.toThrow('region provider failed');
      await client.send(new GetItemCommand({ TableName: 't', Key: key(1) }));
      await client.send(new GetItemCommand({ TableName: 't', Key: key(2) }));
    } finally {
      client.destroy();
    }
    expect(builds).toBe(2);
    expect(seen.map((request) => verifySigV4(request, () => 'secret-1').accessKeyId)).toEqual(['KEY1', 'KEY1']);
  });
});
