/**
 * The SDK clients are built with their middleware stack cached per command class
 * (shared/adapters/sdk-client-defaults.ts): calls in flight together still each get their own answer,
 * and middleware added when a client is built still runs on every call after the first.
 */
import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { HttpResponse, type HttpRequest } from '@smithy/core/transport';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynaliteClient, startDynalite, type RunningDynalite } from '../../../local/dynamodb/dynalite-server';
import type { InProcessHandler } from '../../../local/sdk/in-process-handler';
import { SDK_CLIENT_DEFAULTS } from '../../../shared/adapters/sdk-client-defaults';

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
