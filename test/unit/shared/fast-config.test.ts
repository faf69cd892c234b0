/**
 * `withFastConfig` (shared/adapters/sdk-client-defaults.ts): every client type of ours, built by
 * `sdkClient`, keeps its configuration with fast properties, where the SDK alone leaves a dictionary;
 * the configuration is the same object, with the same properties in the same order and the same
 * values; and it stays fast through calls. V8's own predicate (`%HasFastProperties`) tells, so this file
 * turns on V8's natives syntax for its process (vitest.config.ts, `OWN_PROCESS_TESTS`).
 */
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SignerClient } from '@aws-sdk/client-signer';
import { HttpResponse } from '@smithy/core/transport';
import { describe, expect, it } from 'vitest';
import { SDK_CLIENT_DEFAULTS, sdkClient, withOneSigner } from '../../../shared/adapters/sdk-client-defaults';

setFlagsFromString('--allow-natives-syntax');
const hasFastProperties = new Function('object', 'return %HasFastProperties(object)') as (object: object) => boolean;

const CLIENTS = [DynamoDBClient, ECSClient, SFNClient, SignerClient, CloudWatchClient, ElasticLoadBalancingV2Client, LambdaClient, SecretsManagerClient, ECRClient] as const;
const OPTIONS = { region: 'eu-west-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } };
type AnyClient = { config: Record<string, unknown>; destroy(): void };

describe('withFastConfig', () => {
  it.each(CLIENTS.map((Client) => [Client.name, Client] as const))('%s: fast properties, where the SDK leaves a dictionary', (_name, Client) => {
    const Build = Client as unknown as new (options: object) => AnyClient;
    const ours = sdkClient(Build, OPTIONS);
    // Built as sdkClient builds it, without the last step.
    const asBefore = withOneSigner(new Build({ ...SDK_CLIENT_DEFAULTS, ...OPTIONS }));
    expect(hasFastProperties(asBefore.config)).toBe(false);
    expect(hasFastProperties(ours.config)).toBe(true);
    // The same properties, in the same order, with the same values (functions are each client's own).
    const keys = Object.keys(ours.config);
    expect(keys.length).toBeGreaterThan(40);
    expect(keys).toEqual(Object.keys(asBefore.config));
    for (const key of keys) {
      const [value, before] = [ours.config[key], asBefore.config[key]];
      if (typeof value === 'function' || (typeof value === 'object' && value !== null)) expect(typeof value, key).toBe(typeof before);
      else expect(value, key).toEqual(before);
    }
    ours.destroy();
    asBefore.destroy();
  });

  it('keeps the configuration fast through calls, and the calls answer as before', async () => {
    const requestHandler = {
      handle: async () => ({ response: new HttpResponse({ statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: Readable.from([Buffer.from('{"Item":{"id":{"S":"a"}}}')]) }) }),
      updateHttpClientConfig() {},
      httpHandlerConfigs: () => ({}),
    };
    const client = sdkClient(DynamoDBClient, { ...OPTIONS, endpoint: 'http://127.0.0.1:9', requestHandler });
    const config = client.config;
    for (let i = 0; i < 50; i++) {
      const answer = await client.send(new GetItemCommand({ TableName: 't', Key: { id: { S: 'a' } } }));
      expect(answer.Item).toEqual({ id: { S: 'a' } });
    }
    expect(client.config).toBe(config);
    expect(hasFastProperties(client.config)).toBe(true);
    client.destroy();
  });
});
