/**
 * Every AWS call checked against the role that makes it. The stack is synthesized from a config with a
 * service on a real registry (webhooks through the API) and one on ECR (push events); its state machine
 * definition, resolved, runs in the Step Functions stand-in with the real handlers of functions/, each
 * with the environment the template gives it, against dynalite, the ECS emulator, an ECR stand-in and
 * stubs of Secrets Manager and CloudWatch. Every SDK call each function makes (and each function the
 * state machine invokes) is recorded and evaluated against that function's role in the template with an
 * IAM policy evaluator: a call its role would deny fails the test with the function, action and resource.
 * The last test lists the grants no recorded call used: each must be removed or justified below.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RolloutOrchestratorStack } from '../../../infra/rollout-orchestrator-stack';
import type { RolloutFunctionName } from '../../../infra/rollout-functions';
import { startDynalite, type RunningDynalite } from '../../../local/dynamodb/dynalite-server';
import { DynamoRolloutStore } from '../../../shared/adapters/dynamodb/dynamo-rollout-store';
import { startEcsEmulator, type RunningEcsEmulator } from '../../../local/ecs-emulator';
import { generateCosignKeyPair, pushCosignSignature, signPayload, simpleSigningPayload } from '../../../local/registry/cosign-signer';
import { startDockerRegistry, type RunningRegistry } from '../../../local/registry/docker-registry';
import { buildAndPushImage } from '../../../local/registry/oci-image';
import { startStepFunctionsEmulator, type RunningStepFunctionsEmulator } from '../../../local/step-functions-emulator/step-functions-emulator';
import { loadConfig } from '../../../shared/config/load-config';
import { COSIGN_SIGNATURE_ANNOTATION, SIMPLE_SIGNING_MEDIA_TYPE } from '../../../shared/signature/cosign-simple-signing';
import { startCloudWatchStub, startLambdaInvokeStub, startSecretsStub, useAwsEndpoints } from '../../helpers/aws-endpoints';
import { waitFor } from '../../helpers/http';
import { AwsCallRecorder, type AwsCall } from '../../helpers/iam/aws-call-recorder';
import { authorizationRequests, type AuthorizationEnvironment } from '../../helpers/iam/authorization-requests';
import { type Handler, functionEntries, sharedProcessEnvironment } from '../../helpers/iam/function-entries';
import { RoleEvaluator } from '../../helpers/iam/role-evaluator';
import { synthesizedStack, type SynthesizedStack } from '../../helpers/iam/synthesized-roles';
import { alarmEvent, awsFixture, httpApiEvent } from '../../helpers/lambda-events';
import { testApp } from '../../infra/infra-fixtures';
import { EcrWireStub } from '../signature/ecr-wire-stub';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const ECR_HOST = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;
/** ECR's presigned layer URLs point at S3 over https; this origin is routed to the ECR stand-in. */
const LAYER_ORIGIN = 'https://ecr-layers.s3.test';
const keys = generateCosignKeyPair();
const TASK_ROLE = `arn:aws:iam::${ACCOUNT}:role/web-task`;
const WEBHOOK = 'iam-webhook-token';
const API = 'iam-api-token';

/**
 * Grants no scenario here uses, each with the reason it stays. Keyed `<function>:<Sid>:<action>`, with
 * `*` for every function or for a statement without a Sid. A grant that is neither used nor listed
 * fails the last test: remove it from the stack, or say here why it stays.
 */
const UNUSED_GRANTS_JUSTIFIED: Readonly<Record<string, string>> = {
  '*:WriteOwnLogs:logs:CreateLogStream': 'The Lambda runtime writes the function\'s own log group with its role, outside the SDK calls recorded here.',
  '*:WriteOwnLogs:logs:PutLogEvents': 'The Lambda runtime writes the function\'s own log group with its role.',
  '*:*:xray:PutTraceSegments': 'Active tracing: the Lambda runtime and Step Functions send trace segments with the role (no resource-level permissions).',
  '*:*:xray:PutTelemetryRecords': 'Active tracing, as above.',
  'stateMachine:*:xray:GetSamplingRules': 'Active tracing of the workflow.',
  'stateMachine:*:xray:GetSamplingTargets': 'Active tracing of the workflow.',
  ...Object.fromEntries(
    ['CreateLogDelivery', 'DeleteLogDelivery', 'DescribeLogGroups', 'DescribeResourcePolicies', 'GetLogDelivery', 'ListLogDeliveries', 'PutResourcePolicy', 'UpdateLogDelivery'].map(
      (action) => [`stateMachine:*:logs:${action}`, 'Step Functions delivers the workflow\'s error logs with its role; CloudWatch Logs delivery supports no resource-level permissions.'],
    ),
  ),
  ...Object.fromEntries(
    ['SendMessage', 'GetQueueAttributes', 'GetQueueUrl'].map((action) => [
      `*:*:sqs:${action}`,
      'EventBridge targets: Lambda sends an event that failed its retries to the dead-letter queue with the function\'s role.',
    ]),
  ),
  '*:AnswerApprovalWaits:states:SendTaskSuccess':
    'Every entry point can end or move a rollout that holds a callback wait (approve, abort, alarm, supersede, recover, sweep, steady event), which answers the wait (rollout-orchestrator.ts).',
  '*:AnswerApprovalWaits:states:SendTaskFailure': 'As SendTaskSuccess: ending a rollout fails the wait it holds.',
  '*:StartRolloutExecution:states:StartExecution': 'Any step that ends a rollout hands the service lock to the next queued rollout and starts its clock.',
  '*:DescribeRolloutExecutions:states:DescribeExecution': 'Starting a clock looks at the current execution first (shared/orchestration/clock.ts).',
  '*:RolloutTable:dynamodb:Query':
    'A rollout is read with GetItem, but any function that ends one hands the lock on and reads the service\'s queue when a rollout queued behind it (a consistent Query of its entries), and a rollout whose events outgrew its record has its oldest ones read with a Query (item-codec.ts).',
  '*:EcsServices:ecs:DescribeServices': 'Every function that shifts looks at the service first; the ECS event handler and the sweep act only on rollouts waiting for ECS.',
  '*:EcsServices:ecs:UpdateServicePrimaryTaskSet': 'Shift access: a promotion converging after a race, or a rollback that finds the canary primary.',
  '*:EcsTaskSets:ecs:DescribeTaskSets': 'Shift access: every ECS action of a rollback or a steady look describes the task sets.',
  '*:EcsTaskSets:ecs:UpdateTaskSet': 'Shift access: re-applying a drifted weight (steady looks) or rolling back.',
  '*:EcsTaskSets:ecs:DeleteTaskSet': 'Shift access: rolling back deletes the canary task set.',
  '*:EcsDescribeTaskDefinitions:ecs:DescribeTaskDefinition': 'Describing a task set resolves its image through its task definition.',
  '*:RolloutTable:dynamodb:BatchWriteItem':
    'Items access: a rollout log longer than a record carries moves its oldest events to event items in batches (shared/adapters/dynamodb/dynamo-rollout-store.ts); no scenario here logs that much, and every role has the same item access to the table.',
  'watchdog:InvokeIntake:lambda:InvokeFunction':
    'The sweep hands the intake function a delivery answered more than deliveryRedispatchSeconds (60 s) ago and never processed; that path is tested in test/integration/webhooks/webhook-intake.test.ts, since no scenario here loses a delivery for a minute.',
  'ecsEvent:RolloutTable:dynamodb:PutItem':
    'An ECS event that answers a steady wait writes nothing (the workflow\'s next Advance forgets the token in its own save); it saves only when its look at ECS finds the canary gone (EcsFailed) or a drifted weight whose re-apply fails.',
  '*:RolloutTable:dynamodb:DeleteItem': 'Items access: releasing a lock, dropping a queue entry or an earlier version\'s active marker.',
  'awaitApproval:RolloutTable:dynamodb:GetItem':
    'A callback wait keeps its token unread (one UpdateItem on the record version its directive names); it reads the record, and saves through the core, only when another writer saved since (shared/orchestration/step-driver.ts), which no scenario here races.',
  'awaitApproval:RolloutTable:dynamodb:PutItem': 'As GetItem: a callback wait saves a whole record only when the record moved on since its directive.',
  '*:RolloutTable:dynamodb:UpdateItem':
    'Items access: a callback wait (AwaitSteady, AwaitApproval) keeps its task token with one version-conditioned UpdateItem (shared/adapters/dynamodb/dynamo-rollout-store.ts); every role has the same item access to the table.',
  'api:EcrPullImages:ecr:BatchGetImage': 'The API verifies signatures of ECR images delivered to its webhook routes and resolves their tags; here ECR images arrive by push event.',
  'api:EcrPullImages:ecr:GetDownloadUrlForLayer': 'As BatchGetImage: signature payloads of ECR images delivered to the API.',
};

const recorder = new AwsCallRecorder();
const evaluator = new RoleEvaluator(ACCOUNT);
let stack: SynthesizedStack;
let authEnv: AuthorizationEnvironment;
let checked = 0;
let dir: string;
let registry: RunningRegistry;
let dynamo: RunningDynalite;
let ecs: RunningEcsEmulator;
let sfn: RunningStepFunctionsEmulator;
const ecr = new EcrWireStub(ACCOUNT);
let secrets: { endpoint: string; close(): Promise<void> };
let lambdaInvoke: Awaited<ReturnType<typeof startLambdaInvokeStub>>;
let cloudwatch: { endpoint: string; close(): Promise<void> };
const alarmStates: Record<string, string> = { 'web-5xx': 'OK', 'api-errors': 'OK' };
const restore: (() => void)[] = [];
let crashAdvance = 0;

let fns: Record<RolloutFunctionName, Handler>;

/** The state machine's task states and the function each invokes. */
function invokedFunctions(definition: Record<string, unknown>): Record<string, string> {
  const states = definition['States'] as Record<string, { Type: string; Resource?: string; Parameters?: { FunctionName?: string } }>;
  return Object.fromEntries(
    Object.entries(states)
      .filter(([, s]) => s.Type === 'Task')
      .map(([name, s]) => [name, s.Parameters?.FunctionName ?? s.Resource!]),
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rollout-iam-'));
  registry = await startDockerRegistry();
  await ecr.start();
  ecr.downloadOrigin = LAYER_ORIGIN;
  writeFileSync(join(dir, 'web.pub'), keys.publicKeyPem);
  writeFileSync(
    join(dir, 'rollout.config.yaml'),
    [
      'registries:',
      `  "${registry.host}": { insecure: true }`,
      'services:',
      '  web:',
      '    cluster: prod',
      '    service: web',
      `    image: ${registry.host}/team/web`,
      '    verify: { keys: [web.pub] }',
      '    steps: [{ setWeight: 20 }, { pause: { duration: 1s } }, { setWeight: 50 }, { pause: {} }, { setWeight: 100 }]',
      '    alarms: [web-5xx]',
      `    aws: { passRoles: [${TASK_ROLE}] }`,
      '  jobs:',
      '    cluster: prod',
      '    service: jobs',
      `    image: ${registry.host}/team/jobs`,
      '    verify: { keys: [web.pub] }',
      '    onNewImage: queue',
      '    steps: [{ setWeight: 50 }, { pause: {} }, { setWeight: 100 }]',
      '  api:',
      '    cluster: prod',
      '    service: api',
      `    image: ${ECR_HOST}/team/api`,
      '    verify: { keys: [web.pub], waitFor: 1h }',
      '    steps: [{ setWeight: 50 }, { pause: {} }, { setWeight: 100 }]',
      '    alarms: [api-errors]',
      '',
    ].join('\n'),
  );
  const config = await loadConfig(join(dir, 'rollout.config.yaml'));
  const synthesized = new RolloutOrchestratorStack(testApp(), 'Rollout', { env: { account: ACCOUNT, region: REGION }, config });
  stack = synthesizedStack(Template.fromStack(synthesized), { region: REGION, account: ACCOUNT });
  authEnv = { partition: 'aws', account: ACCOUNT, stateMachineArn: stack.stateMachineArn, customerKeys: stack.customerKeys };

  dynamo = await startDynalite({ tableName: stack.tableName });
  // Tasks take a moment to start, so steady waits are answered by ECS's events (the ECS event function).
  ecs = await startEcsEmulator({ taskStartMs: 300, accountId: ACCOUNT, region: REGION });
  ecs.emulator.seedService({ cluster: 'prod', service: 'web', desiredCount: 4, containerName: 'app', image: `${registry.host}/team/web:initial` });
  ecs.emulator.seedService({ cluster: 'prod', service: 'jobs', desiredCount: 2, containerName: 'app', image: `${registry.host}/team/jobs:initial` });
  ecs.emulator.seedService({ cluster: 'prod', service: 'api', desiredCount: 2, containerName: 'app', image: `${ECR_HOST}/team/api:initial` });

  // Every function runs with the environment the template gives it. They share this process, so their
  // environments are merged, and a variable two functions set differently fails here.
  const { merged, secretIds } = sharedProcessEnvironment(stack.environments);
  secrets = await startSecretsStub({ [secretIds['ROLLOUT_WEBHOOK_TOKEN']!]: WEBHOOK, [secretIds['ROLLOUT_API_TOKEN']!]: API });
  cloudwatch = await startCloudWatchStub(alarmStates);
  // The API and the watchdog hand each webhook delivery's work to the intake function (ecrPush), invoked asynchronously.
  lambdaInvoke = await startLambdaInvokeStub({ [merged['ROLLOUT_INTAKE_FUNCTION_NAME']!]: (event) => fns.ecrPush(event) });

  const invoked = invokedFunctions(stack.definition);
  const byArn = Object.fromEntries(Object.entries(stack.functionArns).map(([name, arn]) => [arn, name as RolloutFunctionName]));
  const task = (state: string, payload: (input: unknown) => unknown) => async (input: unknown) => {
    const arn = invoked[state]!;
    const fn = byArn[arn];
    if (!fn) throw new Error(`state ${state} invokes ${arn}, which is none of the functions`);
    recorder.record({ fn: 'stateMachine', service: 'Lambda', operation: 'Invoke', input: { FunctionName: arn }, region: REGION });
    if (fn === 'advance' && crashAdvance > 0) {
      crashAdvance -= 1;
      throw Object.assign(new Error('Cannot read properties of undefined'), { name: 'TypeError' });
    }
    return fns[fn](payload(input));
  };
  const payload = (input: unknown) => (input as { Payload?: unknown }).Payload ?? input;
  sfn = await startStepFunctionsEmulator({
    definition: stack.definition,
    stateMachineArn: stack.stateMachineArn,
    handlers: Object.fromEntries(Object.keys(invoked).map((state) => [state, task(state, payload)])),
    waitTimeOverrides: { Wait: 20 },
    retryIntervalOverrides: { Advance: 10, Recover: 10 },
  });
  ecs.emulator.onEvent((event) => void fns?.ecsEvent(event).catch(() => undefined));
  sfn.emulator.onStatusChange((event) => void fns?.watchdog(event).catch(() => undefined));

  restore.push(recorder.install());
  const realFetch = globalThis.fetch;
  globalThis.fetch = ((input: string | URL | Request, init?: RequestInit) => {
    const url = String(input instanceof Request ? input.url : input);
    return realFetch(url.startsWith(LAYER_ORIGIN) ? `${ecr.endpoint}${url.slice(LAYER_ORIGIN.length)}` : input, init);
  }) as typeof fetch;
  restore.push(() => {
    globalThis.fetch = realFetch;
  });
  restore.push(
    useAwsEndpoints(
      { dynamodb: dynamo.endpoint, ecs: ecs.endpoint, sfn: sfn.endpoint, secretsManager: secrets.endpoint, cloudwatch: cloudwatch.endpoint, lambda: lambdaInvoke.endpoint },
      { ...merged, AWS_REGION: REGION, AWS_ENDPOINT_URL_ECR: ecr.endpoint, ROLLOUT_CONFIG: synthesized.orchestrator.bundledConfigFile },
    ),
  );

  fns = await functionEntries((name, run) => recorder.as(name, run));
}, 90_000);

afterAll(async () => {
  for (const undo of restore.reverse()) undo();
  await sfn?.emulator.idle();
  await lambdaInvoke?.idle();
  await Promise.all([registry?.stop(), dynamo?.close(), ecs?.close(), sfn?.close(), secrets?.close(), cloudwatch?.close(), lambdaInvoke?.close(), ecr.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Evaluates the calls recorded since the last check; every denial is listed with its function, action and resource. */
async function expectEveryCallAllowed(): Promise<void> {
  const calls = recorder.calls.slice(checked);
  checked += calls.length;
  const denied: string[] = [];
  for (const call of calls) {
    const role = stack.roles[call.fn];
    if (!role) throw new Error(`no role for ${call.fn}`);
    // The process shares every function's secret ids: each read must be of a secret the function's own ROLLOUT_SECRETS names.
    const given = Object.values(JSON.parse(stack.environments[call.fn as RolloutFunctionName]?.['ROLLOUT_SECRETS'] ?? '{}') as Record<string, string>);
    if (call.operation === 'GetSecretValue' && !given.includes(String(call.input['SecretId']))) denied.push(`${call.fn}: read the secret ${String(call.input['SecretId'])}, which its ROLLOUT_SECRETS does not give it`);
    for (const request of authorizationRequests(call, authEnv)) {
      const decision = await evaluator.evaluate(call.fn, role, request);
      if (!decision.allowed) denied.push(`${call.fn}: ${request.action} on ${request.resource} (${request.because}) is ${decision.result}`);
    }
  }
  expect([...new Set(denied)], 'AWS calls the role of the calling function would deny').toEqual([]);
}

afterEach(async () => {
  await expectEveryCallAllowed();
});

const calledBy = (fn: string, operation: string) => recorder.calls.some((c: AwsCall) => c.fn === fn && c.operation === operation);

async function call(method: string, path: string, token: string, body?: unknown, contentType = 'application/json') {
  const res = await fns.api(httpApiEvent(method, path, { headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': contentType }) }, body }));
  const result = res as { statusCode: number; body: string };
  return { status: result.statusCode, body: JSON.parse(result.body) as any };
}
const get = async (id: string) => (await call('GET', `/rollouts/${id}`, API)).body;
const until = (id: string, check: (r: any) => boolean, what: string) => waitFor(`${id} ${what}`, async () => ((r) => (check(r) ? r : undefined))(await get(id)), 20_000);
const execution = (id: string) => [...sfn.emulator.executions.values()].filter((e) => e.name.startsWith(`${id}-`)).at(-1)!;
const ended = async (id: string) => {
  await waitFor(`${id} to have a clock`, async () => execution(id) ?? undefined);
  await execution(id).done;
  return execution(id);
};

let n = 0;
/** A signed image on the registry, announced through the API's registry webhook. */
async function deployWeb(repository = 'team/web'): Promise<string> {
  const image = await buildAndPushImage({ host: registry.host, repository, tag: `v${++n}`, label: `iam-${n}-${Date.now()}` });
  await pushCosignSignature({ host: registry.host, repository, digest: image.digest, privateKeyPem: keys.privateKeyPem });
  const envelope = { events: [{ id: `e${n}`, action: 'push', target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: image.digest, repository, tag: `v${n}` }, request: { host: registry.host } }] };
  const res = await call('POST', '/webhooks/registry', WEBHOOK, envelope, 'application/vnd.docker.distribution.events.v2+json');
  expect(res.status).toBe(202);
  expect(res.body.accepted).toHaveLength(1);
  return res.body.accepted[0].rolloutId as string;
}

/** An image in the ECR stand-in (signed unless asked not to), announced by ECR's push event. */
async function pushToEcr(options: { signed: boolean }): Promise<{ id: string; digest: string }> {
  const label = `api-${++n}-${Date.now()}`;
  const digest = ecr.image(
    'team/api',
    { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: ecr.layer(Buffer.from(label)), size: label.length }, layers: [] },
    `v${n}`,
  );
  if (options.signed) signOnEcr(digest);
  const base = awsFixture('eventbridge-ecr-image-action-push-docs.json');
  const event = { ...base, id: `ecr-${n}`, account: ACCOUNT, region: REGION, detail: { ...base['detail'], 'repository-name': 'team/api', 'image-digest': digest, 'image-tag': `v${n}` } };
  const result = await fns.ecrPush(event);
  expect(result.accepted, JSON.stringify(result.ignored)).toHaveLength(1);
  return { id: result.accepted[0].rolloutId as string, digest };
}

/** Writes the cosign `.sig` manifest for `digest` into the ECR stand-in, as `cosign sign` would. */
function signOnEcr(digest: string): void {
  const payload = simpleSigningPayload(`${ECR_HOST}/team/api`, digest);
  const signature = signPayload(payload, keys.privateKeyPem);
  ecr.image(
    'team/api',
    {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: ecr.layer(Buffer.from('{}')), size: 2 },
      layers: [{ mediaType: SIMPLE_SIGNING_MEDIA_TYPE, digest: ecr.layer(payload), size: payload.byteLength, annotations: { [COSIGN_SIGNATURE_ANNOTATION]: signature } }],
    },
    `${digest.replace(':', '-')}.sig`,
  );
}

describe('every AWS call of the functions and the state machine, evaluated against their roles', () => {
  it('a registry webhook rollout through its steady waits and an approval to SUCCEEDED', async () => {
    const id = await deployWeb();
    await until(id, (r) => r.status === 'PAUSED', 'paused');
    await waitFor('the approval wait to hold its token', async () => execution(id)?.states.at(-1) === 'AwaitApproval' || undefined);
    expect((await call('POST', `/rollouts/${id}/approve`, API, { by: 'ann' })).status).toBe(200);
    expect((await ended(id)).status).toBe('SUCCEEDED');
    expect((await get(id)).status).toBe('SUCCEEDED');
    expect((await call('GET', '/rollouts?service=web&limit=5', API)).body.items[0].id).toBe(id);
    for (const [fn, operation] of [['api', 'GetSecretValue'], ['advance', 'CreateTaskSet'], ['advance', 'DescribeAlarms'], ['awaitApproval', 'UpdateItem'], ['ecsEvent', 'SendTaskSuccess'], ['stateMachine', 'Invoke']]) {
      expect(calledBy(fn!, operation!), `${fn} ${operation}`).toBe(true);
    }
  });

  it('an alarm rolls back a bake at once', async () => {
    const id = await deployWeb();
    await until(id, (r) => r.wait?.for === 'bake', 'baking');
    expect((await fns.alarmStateChange(alarmEvent('web-5xx'))).rolledBack).toEqual([id]);
    await ended(id);
    expect((await get(id)).status).toBe('ROLLED_BACK');
  });

  it('an alarm during an approval wait rolls back and fails the wait', async () => {
    const id = await deployWeb();
    await until(id, (r) => r.status === 'PAUSED', 'paused');
    // The store read by the test itself, outside any function: not recorded.
    const store = new DynamoRolloutStore({ client: dynamo.client, tableName: stack.tableName });
    await waitFor('the approval token kept on the record', async () => ((await store.get(id)).taskToken ? true : undefined));
    expect((await fns.alarmStateChange(alarmEvent('web-5xx'))).rolledBack).toEqual([id]);
    await ended(id);
    expect((await get(id)).status).toBe('ROLLED_BACK');
    expect(calledBy('alarmStateChange', 'SendTaskFailure')).toBe(true);
  });

  it('an abort during an approval wait rolls back and answers the wait', async () => {
    const id = await deployWeb();
    await until(id, (r) => r.status === 'PAUSED', 'paused');
    await waitFor('the token', async () => execution(id)?.states.at(-1) === 'AwaitApproval' || undefined);
    expect((await call('POST', `/rollouts/${id}/abort`, API, { by: 'bob', reason: 'no' })).status).toBe(200);
    await ended(id);
    expect((await get(id)).status).toBe('ROLLED_BACK');
  });

  it('a crashed Advance is caught and Recover rolls back', async () => {
    crashAdvance = 1;
    const id = await deployWeb();
    const exec = await ended(id);
    expect(exec.states).toContain('Recover');
    expect((await get(id)).status).toBe('ROLLED_BACK');
  });

  it('an ECR push that supersedes the running rollout rolls it back from the ECR-push function', async () => {
    const first = await pushToEcr({ signed: true });
    await until(first.id, (r) => r.status === 'PAUSED', 'paused');
    await waitFor('the approval wait to hold its token', async () => execution(first.id)?.states.at(-1) === 'AwaitApproval' || undefined);
    const second = await pushToEcr({ signed: true });
    await until(first.id, (r) => r.status === 'ROLLED_BACK', 'superseded');
    await until(second.id, (r) => r.status === 'PAUSED', 'paused');
    expect(calledBy('ecrPush', 'DeleteTaskSet') || calledBy('ecrPush', 'UpdateTaskSet')).toBe(true);
    expect((await call('POST', `/rollouts/${second.id}/abort`, API, { by: 'test' })).status).toBe(200);
    await ended(second.id);
  });

  it("the workflow's own look finds a signature pushed to ECR after its image", async () => {
    const late = await pushToEcr({ signed: false });
    await until(late.id, (r) => r.status === 'PENDING' && r.wait?.for === 'signature', 'waiting for its signature');
    signOnEcr(late.digest);
    // No push event for the signature: only Advance's look can find it.
    await until(late.id, (r) => r.status === 'PAUSED', 'verified and paused');
    expect(calledBy('advance', 'BatchGetImage')).toBe(true);
    expect((await call('POST', `/rollouts/${late.id}/abort`, API, { by: 'test' })).status).toBe(200);
    await ended(late.id);
  });

  it('a queued push starts when the rollout ahead of it ends (the lock handed on)', async () => {
    const first = await deployWeb('team/jobs');
    await until(first, (r) => r.status === 'PAUSED', 'paused');
    await waitFor('the approval wait to hold its token', async () => execution(first)?.states.at(-1) === 'AwaitApproval' || undefined);
    const queued = await deployWeb('team/jobs');
    await until(queued, (r) => r.status === 'PENDING' && r.signature, 'queued');
    expect((await call('POST', `/rollouts/${first}/approve`, API, { by: 'ann' })).status).toBe(200);
    await until(first, (r) => r.status === 'SUCCEEDED', 'succeeded');
    await until(queued, (r) => r.status === 'PAUSED', 'started from the queue and paused');
    await waitFor('the approval wait to hold its token', async () => execution(queued)?.states.at(-1) === 'AwaitApproval' || undefined);
    expect((await call('POST', `/rollouts/${queued}/abort`, API, { by: 'test' })).status).toBe(200);
    await ended(queued);
  });

  it('the watchdog re-drives a rollout whose execution was stopped', async () => {
    const { SFNClient, StopExecutionCommand } = await import('@aws-sdk/client-sfn');
    const id = await deployWeb();
    await until(id, (r) => r.wait?.for === 'bake' || r.status === 'PAUSED', 'baking');
    const stopped = execution(id);
    // The test's own call, outside any function: not recorded.
    await new SFNClient({}).send(new StopExecutionCommand({ executionArn: stopped.arn, cause: 'operator' }));
    await waitFor('a new clock', async () => (execution(id) !== stopped ? true : undefined));
    expect(execution(id).name).toBe(`${id}-2`);
    await until(id, (r) => r.status === 'PAUSED', 'paused');
    expect((await call('POST', `/rollouts/${id}/abort`, API, { by: 'test' })).status).toBe(200);
    await ended(id);
    expect(calledBy('watchdog', 'StartExecution')).toBe(true);
  });

  it('the watchdog undoes a weight call that landed after a rollback, when the execution did not succeed', async () => {
    const { ECSClient, DescribeServicesCommand, UpdateTaskSetCommand } = await import('@aws-sdk/client-ecs');
    const id = await deployWeb();
    await until(id, (r) => r.status === 'PAUSED', 'paused');
    await waitFor('the token', async () => execution(id)?.states.at(-1) === 'AwaitApproval' || undefined);
    expect((await call('POST', `/rollouts/${id}/abort`, API, { by: 'bob', reason: 'no' })).status).toBe(200);
    const exec = await ended(id);
    expect((await get(id)).status).toBe('ROLLED_BACK');
    // A dead Advance's weight call landing after the rollback (the test's own call, outside any function:
    // not recorded): the stable set left at 75%.
    const client = new ECSClient({});
    const stableSet = async () => (await client.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }))).services![0]!.taskSets!.find((t) => t.status === 'PRIMARY')!;
    await client.send(new UpdateTaskSetCommand({ cluster: 'prod', service: 'web', taskSet: (await stableSet()).id!, scale: { unit: 'PERCENT', value: 75 } }));
    await fns.watchdog({ 'detail-type': 'Step Functions Execution Status Change', source: 'aws.states', detail: { name: exec.name, status: 'FAILED', output: null } });
    expect((await stableSet()).scale?.value).toBe(100);
    expect(calledBy('watchdog', 'UpdateTaskSet')).toBe(true);
  });

  it("the watchdog's sweep", async () => {
    const report = await fns.watchdog({ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} });
    expect(report).toBeDefined();
    await sfn.emulator.idle();
  });

  it('counts what a task definition implies: PassRole for the roles it names, TagResource for its tags; no customer keys', async () => {
    // The ECS emulator's seeded task definitions name no roles and carry no tags, so Advance's
    // re-registration of one is evaluated as recorded from a stable revision that has both.
    const register: AwsCall = {
      fn: 'advance',
      service: 'ECS',
      operation: 'RegisterTaskDefinition',
      region: REGION,
      input: { family: 'web', taskRoleArn: TASK_ROLE, executionRoleArn: TASK_ROLE, tags: [{ key: 'team', value: 'web' }] },
      output: { taskDefinition: { revision: 7 } },
    };
    const requests = authorizationRequests(register, authEnv);
    expect(requests.map((r) => [r.action, r.resource, r.context])).toEqual([
      ['ecs:RegisterTaskDefinition', `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/web:7`, {}],
      ['ecs:TagResource', `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/web:7`, { 'ecs:CreateAction': 'RegisterTaskDefinition' }],
      ['iam:PassRole', TASK_ROLE, { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' }],
    ]);
    for (const r of requests) expect((await evaluator.evaluate('advance', stack.roles['advance']!, r)).allowed, r.action).toBe(true);
    const [, , passRole] = requests;
    const unlisted = { ...passRole!, resource: `arn:aws:iam::${ACCOUNT}:role/admin` };
    expect((await evaluator.evaluate('advance', stack.roles['advance']!, unlisted)).allowed).toBe(false);
    expect((await evaluator.evaluate('advance', stack.roles['advance']!, { ...passRole!, context: { 'iam:PassedToService': 'lambda.amazonaws.com' } })).allowed).toBe(false);
    expect((await evaluator.evaluate('api', stack.roles['api']!, passRole!)).allowed).toBe(false);
    // The table and the secrets use AWS-managed keys: no call implies kms:Decrypt.
    expect(stack.customerKeys).toEqual({});
  });

  it('counts kms:Decrypt, through DynamoDB, for a table encrypted with a customer managed key', async () => {
    const tableArn = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${stack.tableName}`;
    const keyArn = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    const read: AwsCall = { fn: 'api', service: 'DynamoDB', operation: 'GetItem', region: REGION, input: { TableName: stack.tableName } };
    const requests = authorizationRequests(read, { ...authEnv, customerKeys: { [tableArn]: keyArn } });
    expect(requests.map((r) => [r.action, r.resource, r.context])).toEqual([
      ['dynamodb:GetItem', tableArn, {}],
      ['kms:Decrypt', keyArn, { 'kms:ViaService': `dynamodb.${REGION}.amazonaws.com` }],
    ]);
    const api = stack.roles['api']!;
    // The stack grants the key when the table brought has one (RolloutGrants.table: RolloutTableKey).
    const withKey = {
      ...api,
      policies: [
        ...api.policies,
        {
          name: 'key',
          document: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow' as const, Action: ['kms:Decrypt'], Resource: keyArn, Condition: { StringEquals: { 'kms:ViaService': `dynamodb.${REGION}.amazonaws.com` } } }],
          },
        },
      ],
    };
    const scratch = new RoleEvaluator(ACCOUNT);
    expect((await scratch.evaluate('api', withKey, requests[1]!)).allowed).toBe(true);
    expect((await scratch.evaluate('api', api, requests[1]!)).allowed).toBe(false);
    expect((await scratch.evaluate('api', withKey, { ...requests[1]!, context: { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` } })).allowed).toBe(false);
  });

  it('uses every grant, or the grant is justified', async () => {
    await sfn.emulator.idle();
    await expectEveryCallAllowed();
    const unused: string[] = [];
    const granted = new Set<string>();
    for (const [roleName, role] of Object.entries(stack.roles)) {
      for (const grant of evaluator.grants(roleName, role)) {
        const sid = grant.sid.startsWith('#') ? '*' : grant.sid;
        const keys = [`${roleName}:${sid}:${grant.action}`, `*:${sid}:${grant.action}`];
        for (const key of keys) granted.add(key);
        if (evaluator.used.has(grant.key) || keys.some((key) => UNUSED_GRANTS_JUSTIFIED[key])) continue;
        unused.push(`${roleName}:${grant.sid}:${grant.action}`);
      }
    }
    expect([...new Set(unused)].sort(), 'grants no recorded call used and UNUSED_GRANTS_JUSTIFIED does not explain').toEqual([]);
    const stale = Object.keys(UNUSED_GRANTS_JUSTIFIED).filter((key) => !granted.has(key));
    expect(stale, 'UNUSED_GRANTS_JUSTIFIED entries for grants the stack no longer has: remove them').toEqual([]);
  });
});
