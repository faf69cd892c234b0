/**
 * Local mode's SDK clients reach the stand-ins of the process without a socket (local/sdk/in-process-handler.ts):
 * the same client, the same request, the same answer as over loopback, errors included.
 */
import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateClusterCommand, DescribeClustersCommand, DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { DescribeLoadBalancersCommand, DescribeTargetGroupsCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetRevocationStatusCommand, RevokeSignatureCommand, SignerClient } from '@aws-sdk/client-signer';
import { HttpRequest } from '@smithy/core/transport';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { dynaliteClient, startDynalite, type RunningDynalite } from '../../../local/dynamodb/dynalite-server';
import { startEcsEmulator, type RunningEcsEmulator } from '../../../local/ecs-emulator';
import { startElbV2StandIn } from '../../../local/elbv2-stand-in/server';
import { startSignerStandIn } from '../../../local/signer-stand-in';
import { InProcessHandler, httpResponseOf, wireRequestOf } from '../../../local/sdk/in-process-handler';
import { serveWire } from '../../../local/sdk/loopback-server';
import { startStepFunctionsEmulator } from '../../../local/step-functions-emulator/step-functions-emulator';
import { readFileSync } from 'node:fs';
import { COMMITTED_ASL_PATH } from '../../../local/step-functions-emulator/synthesize';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function ecs(): Promise<{ running: RunningEcsEmulator; inProcess: ECSClient; overLoopback: ECSClient }> {
  const running = await startEcsEmulator({ taskStartMs: 10 });
  const inProcess = new ECSClient({ endpoint: running.endpoint, requestHandler: running.requestHandler, region: 'us-east-1', credentials, maxAttempts: 1 });
  const overLoopback = new ECSClient({ endpoint: running.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  cleanups.push(() => running.close(), () => inProcess.destroy(), () => overLoopback.destroy());
  return { running, inProcess, overLoopback };
}

/** A request as a client hands one to its transport: for the tests of the transport alone. */
const aCall = () => new HttpRequest({ method: 'POST', hostname: 'x', path: '/', headers: {}, body: '{}' });

/** What a call gave: its answer without the request id, or its error's name, message and HTTP status. */
async function outcome(call: Promise<object>): Promise<unknown> {
  try {
    const { $metadata, ...answer } = (await call) as { $metadata: { httpStatusCode?: number } };
    return { status: $metadata.httpStatusCode, answer };
  } catch (e) {
    const error = e as Error & { $metadata?: { httpStatusCode?: number }; $fault?: string };
    return { status: error.$metadata?.httpStatusCode, error: error.name, message: error.message, fault: error.$fault };
  }
}

describe('the in-process transport of local mode', () => {
  it('gives an ECSClient the answers and the errors it gets over loopback', async () => {
    const { inProcess, overLoopback } = await ecs();
    await inProcess.send(new CreateClusterCommand({ clusterName: 'demo' }));
    const calls: ((client: ECSClient) => Promise<object>)[] = [
      (client) => client.send(new DescribeClustersCommand({ clusters: ['demo', 'missing'] })),
      (client) => client.send(new DescribeServicesCommand({ cluster: 'missing', services: ['web'] })),
      // A request the emulator refuses at the wire (an empty service list).
      (client) => client.send(new DescribeServicesCommand({ cluster: 'demo', services: [] })),
    ];
    for (const call of calls) expect(await outcome(call(inProcess))).toEqual(await outcome(call(overLoopback)));
    expect(await outcome(inProcess.send(new DescribeServicesCommand({ cluster: 'missing', services: ['web'] })))).toMatchObject({ status: 400, error: 'ClusterNotFoundException' });
  });

  it("gives the DynamoDB client dynalite's answers by message: items, and a refused condition as ConditionalCheckFailedException", async () => {
    const dynamo: RunningDynalite = await startDynalite({ tableName: 'transport' });
    cleanups.push(() => dynamo.close());
    const overLoopback = dynaliteClient(dynamo.endpoint);
    cleanups.push(() => overLoopback.destroy());
    const Item = { pk: { S: 'SERVICE#web' }, sk: { S: 'LOCK' }, rolloutId: { S: 'r1' } };
    const put = () => new PutItemCommand({ TableName: 'transport', Item, ConditionExpression: 'attribute_not_exists(pk)' });

    await dynamo.client.send(put());
    const refused = dynamo.client.send(put());
    await expect(refused).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    expect(await outcome(dynamo.client.send(put()))).toEqual(await outcome(overLoopback.send(put())));
    const read = () => new GetItemCommand({ TableName: 'transport', Key: { pk: Item.pk, sk: Item.sk }, ConsistentRead: true });
    expect((await dynamo.client.send(read())).Item).toEqual(Item);
    expect(await outcome(dynamo.client.send(read()))).toEqual(await outcome(overLoopback.send(read())));
    // A table it does not have: the same error either way.
    const missing = () => new GetItemCommand({ TableName: 'missing', Key: { pk: Item.pk, sk: Item.sk } });
    expect(await outcome(dynamo.client.send(missing()))).toMatchObject({ status: 400, error: 'ResourceNotFoundException' });
    expect(await outcome(dynamo.client.send(missing()))).toEqual(await outcome(overLoopback.send(missing())));
  });

  it("gives an SFNClient the Step Functions stand-in's errors", async () => {
    const running = await startStepFunctionsEmulator({ definition: JSON.parse(readFileSync(COMMITTED_ASL_PATH, 'utf8')) as Record<string, unknown>, handlers: {} });
    const inProcess = new SFNClient({ endpoint: running.endpoint, requestHandler: running.requestHandler, region: 'us-east-1', credentials, maxAttempts: 1 });
    const overLoopback = new SFNClient({ endpoint: running.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    cleanups.push(() => running.close(), () => inProcess.destroy(), () => overLoopback.destroy());
    const describe = () => new DescribeExecutionCommand({ executionArn: `${running.emulator.stateMachineArn.replace(':stateMachine:', ':execution:')}:missing` });
    const here = await outcome(inProcess.send(describe()));
    expect(here).toMatchObject({ status: 400, error: 'ExecutionDoesNotExist' });
    expect(here).toEqual(await outcome(overLoopback.send(describe())));
  });

  it("gives an ELBv2 client (the AWS Query wire, a form body) the stand-in's answers and errors", async () => {
    const running = await startElbV2StandIn();
    const inProcess = new ElasticLoadBalancingV2Client({ endpoint: running.endpoint, requestHandler: running.requestHandler, region: 'us-east-1', credentials, maxAttempts: 1 });
    const overLoopback = new ElasticLoadBalancingV2Client({ endpoint: running.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    cleanups.push(() => running.close(), () => inProcess.destroy(), () => overLoopback.destroy());
    running.standIn.seedLoadBalancer({ name: 'front' });
    const group = running.standIn.seedTargetGroup({ name: 'front-blue' }).arn;
    const calls: ((client: ElasticLoadBalancingV2Client) => Promise<object>)[] = [
      (client) => client.send(new DescribeLoadBalancersCommand({ Names: ['front'] })),
      (client) => client.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [group] })),
      (client) => client.send(new DescribeLoadBalancersCommand({ Names: ['missing'] })),
    ];
    for (const call of calls) expect(await outcome(call(inProcess))).toEqual(await outcome(call(overLoopback)));
    expect(await outcome(calls[2]!(inProcess))).toMatchObject({ status: 400, error: 'LoadBalancerNotFoundException' });
  });

  it("gives a SignerClient (REST, a query string) the stand-in's revocation answers", async () => {
    const running = await startSignerStandIn();
    // GetRevocationStatus carries the host prefix `data-`, which a loopback endpoint cannot take.
    const inProcess = new SignerClient({ endpoint: running.endpoint, requestHandler: running.requestHandler, region: 'us-east-1', credentials, disableHostPrefix: true, maxAttempts: 1 });
    const overLoopback = new SignerClient({ endpoint: running.endpoint, region: 'us-east-1', credentials, disableHostPrefix: true, maxAttempts: 1 });
    cleanups.push(() => running.close(), () => inProcess.destroy(), () => overLoopback.destroy());
    const profileVersionArn = 'arn:aws:signer:us-east-1:000000000000:/signing-profiles/web/Ab1cD2eF3g';
    const jobArn = 'arn:aws:signer:us-east-1:000000000000:/signing-jobs/0e4d5c6b-1a2f-4e3d-9c8b-7a6f5e4d3c2b';
    const status = (client: SignerClient) =>
      client.send(new GetRevocationStatusCommand({ signatureTimestamp: new Date('2026-11-01T00:00:00Z'), platformId: 'Notation-OCI-SHA384-ECDSA', profileVersionArn, jobArn, certificateHashes: ['a1b2', 'c3d4 e5'] }));
    expect(await outcome(status(inProcess))).toEqual(await outcome(status(overLoopback)));
    await inProcess.send(new RevokeSignatureCommand({ jobId: '0e4d5c6b-1a2f-4e3d-9c8b-7a6f5e4d3c2b', reason: 'test' }));
    const revoked = await outcome(status(inProcess));
    expect(revoked).toEqual(await outcome(status(overLoopback)));
    expect(revoked).toMatchObject({ status: 200, answer: { revokedEntities: [jobArn] } });
  });

  it('answers on a later turn of the event loop, as a socket does: a caller looping over calls lets timers run', async () => {
    const handler = new InProcessHandler(() => ({ status: 200, body: '{}' }));
    const order: string[] = [];
    setImmediate(() => order.push('timer'));
    await handler.handle(aCall());
    order.push('answer');
    expect(order).toEqual(['timer', 'answer']);
  });

  it('hands many waiting calls their answers one turn of the event loop each, so a timer due meanwhile is not held behind them all', async () => {
    const order: string[] = [];
    const handler = new InProcessHandler(() => {
      // Each answer, and the caller's work after it, takes a while, as a rollout's step does.
      const until = performance.now() + 2;
      while (performance.now() < until);
      order.push('answer');
      return { status: 200, body: '{}' };
    });
    // Called from a timer, so that the turn they wait for is known: the check phase of this same turn.
    const calls = await new Promise<Promise<unknown>[]>((resolve) =>
      setTimeout(() => {
        setTimeout(() => order.push('timer'), 1);
        resolve(Array.from({ length: 10 }, () => handler.handle(aCall())));
      }, 0),
    );
    await Promise.all(calls);
    // Handed back in one turn, all ten answers (20 ms) came before the timer.
    expect(order.indexOf('timer')).toBeGreaterThan(-1);
    expect(order.indexOf('timer')).toBeLessThan(4);
  });

  it("answers while a test fakes the clock: the turns run on node's own timers, so none is lost to a fake one", async () => {
    const handler = new InProcessHandler(() => ({ status: 200, body: '{}' }));
    const realSetTimeout = globalThis.setTimeout;
    vi.useFakeTimers();
    try {
      // Against a real clock: a turn lost to the fake one would hang the call.
      const lost = new Promise<string>((resolve) => realSetTimeout(() => resolve('no answer within 2 s'), 2000));
      const answered = handler.handle(aCall()).then(({ response }) => response.statusCode);
      expect(await Promise.race([answered, lost])).toBe(200);
    } finally {
      vi.useRealTimers();
    }
    expect((await handler.handle(aCall())).response.statusCode).toBe(200);
  });

  it('lets the calls handed to a dynalite server finish before it closes, refuses later ones as a closed port, and leaves the other servers of the thread alone', async () => {
    const a = await startDynalite({ tableName: 'closing' });
    const b = await startDynalite({ tableName: 'staying' });
    cleanups.push(() => b.close());
    const Key = { pk: { S: 'SERVICE#web' }, sk: { S: 'LOCK' } };
    await a.client.send(new PutItemCommand({ TableName: 'closing', Item: { ...Key, n: { N: '0' } } }));
    // Reads and writes in flight while the server closes (each a few store operations in dynalite).
    const inFlight = Array.from({ length: 20 }, (_, i) =>
      i % 2 === 0
        ? a.client.send(new GetItemCommand({ TableName: 'closing', Key, ConsistentRead: true }))
        : a.client.send(new PutItemCommand({ TableName: 'closing', Item: { ...Key, n: { N: String(i) } } })),
    );
    // Once the client has handed them over (its middleware takes a few turns), the server closes.
    await new Promise((resolve) => setTimeout(resolve, 0));
    const closed = a.close();
    const settled = await Promise.allSettled(inFlight);
    await closed;
    expect(settled.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : []))).toEqual([]);
    await expect(a.client.send(new GetItemCommand({ TableName: 'closing', Key }))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await b.client.send(new PutItemCommand({ TableName: 'staying', Item: Key }));
    expect((await b.client.send(new GetItemCommand({ TableName: 'staying', Key, ConsistentRead: true }))).Item).toEqual(Key);
  });

  it('refuses the calls of this process once a stand-in is stopped, as its closed port refuses the others', async () => {
    const { running, inProcess, overLoopback } = await ecs();
    await running.close();
    const here = inProcess.send(new DescribeClustersCommand({ clusters: ['demo'] }));
    const there = overLoopback.send(new DescribeClustersCommand({ clusters: ['demo'] }));
    await expect(here).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(there).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('ends a call aborted while the stand-in works on it', async () => {
    const handler = new InProcessHandler(() => new Promise(() => undefined));
    const controller = new AbortController();
    const call = handler.handle(aCall(), { abortSignal: controller.signal });
    setTimeout(() => controller.abort(), 10);
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('answers 500 for a stand-in that throws, as its loopback server does', async () => {
    const server = await serveWire(() => {
      throw new Error('boom');
    });
    cleanups.push(() => server.close());
    const { response } = await server.requestHandler.handle(new HttpRequest({ method: 'POST', hostname: '127.0.0.1', path: '/', headers: {}, body: '{}' }));
    const overLoopback = await fetch(server.endpoint, { method: 'POST', body: '{}' });
    expect([response.statusCode, Buffer.from(response.body as Uint8Array).toString()]).toEqual([overLoopback.status, await overLoopback.text()]);
    expect(response.statusCode).toBe(500);
  });

  it('never hands the stand-in a call aborted while it waited its turn, as a request aborted before it was written', async () => {
    let reached = 0;
    const handler = new InProcessHandler(() => {
      reached += 1;
      return { status: 200, body: '{}' };
    });
    const controller = new AbortController();
    const call = handler.handle(aCall(), { abortSignal: controller.signal });
    controller.abort();
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    // A later call's turn comes after the aborted one's: by then the aborted one was passed over.
    await handler.handle(aCall());
    expect(reached).toBe(1);
  });

  it('refuses an aborted call before it reaches the stand-in', async () => {
    let reached = false;
    const handler = new InProcessHandler(() => {
      reached = true;
      return { status: 200 };
    });
    await expect(handler.handle(aCall(), { abortSignal: { aborted: true } })).rejects.toMatchObject({ name: 'AbortError' });
    expect(reached).toBe(false);
  });

  it('hands over the request as a loopback server reads it and the answer as the SDK reads it off a socket', () => {
    const request = new HttpRequest({
      method: 'POST',
      hostname: '127.0.0.1',
      path: '/2015-03-31/functions',
      query: { Marker: 'a b!', Tag: ['x', 'y'], Flag: null as unknown as string },
      headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'AmazonEC2ContainerServiceV20141113.ListClusters' },
      body: new TextEncoder().encode('{"a":"é"}'),
    });
    expect(wireRequestOf(request)).toEqual({
      method: 'POST',
      // As the SDK's own HTTP handler writes it: keys sorted, `!'()*` escaped too.
      path: '/2015-03-31/functions?Flag&Marker=a%20b%21&Tag=x&Tag=y',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonEC2ContainerServiceV20141113.ListClusters' },
      body: '{"a":"é"}',
    });
    const response = httpResponseOf({ status: 400, headers: { 'Content-Type': 'application/json', 'Content-Length': 2, 'Set-Cookie': ['a', 'b'] }, body: '{}' });
    expect(response.statusCode).toBe(400);
    expect(response.headers).toEqual({ 'content-type': 'application/json', 'content-length': '2', 'set-cookie': 'a,b', date: expect.stringMatching(/ GMT$/) });
    expect(Buffer.from(response.body as Uint8Array).toString()).toBe('{}');
    expect(() => wireRequestOf(new HttpRequest({ method: 'PUT', hostname: 'x', path: '/', body: { pipe() {} } }))).toThrow(/text or bytes, not a stream/);
  });
});
