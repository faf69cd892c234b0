/**
 * The state machine CDK synthesizes, resolved to plain ASL and run by aws-local-stepfunctions, driving
 * the real Lambda entry points in-process (functions/*.ts) whose real AWS clients reach dynalite, the
 * ECS emulator, the Step Functions stand-in and a Secrets Manager stand-in through AWS_ENDPOINT_URL_*.
 * Images are real: pushed to Debian's docker-registry and signed. Notifications go to a local receiver,
 * signed with a key read from Secrets Manager, from whichever function wrote the transition.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type * as ApiModule from '../../../functions/api';
import type * as AdvanceModule from '../../../functions/advance';
import type * as AlarmModule from '../../../functions/alarm-state-change';
import type * as AwaitApprovalModule from '../../../functions/await-approval';
import type * as EcsEventModule from '../../../functions/ecs-event';
import type * as WatchdogModule from '../../../functions/watchdog';
import type * as RecoverModule from '../../../functions/recover';
import { writeResolvedConfig } from '../../../infra/resolved-config';
import { RolloutStateMachine } from '../../../infra/rollout-state-machine';
import { loadConfig } from '../../../shared/config/load-config';
import { startDynalite, type RunningDynalite } from '../../../local/dynamodb/dynalite-server';
import { startEcsEmulator, type RunningEcsEmulator } from '../../../local/ecs-emulator';
import { generateCosignKeyPair, pushCosignSignature } from '../../../local/registry/cosign-signer';
import { startDockerRegistry, type RunningRegistry } from '../../../local/registry/docker-registry';
import { buildAndPushImage } from '../../../local/registry/oci-image';
import { startStepFunctionsEmulator, type RunningStepFunctionsEmulator } from '../../../local/step-functions-emulator/step-functions-emulator';
import { aslOf } from '../../helpers/asl';
import { startCloudWatchStub, startLambdaInvokeStub, startSecretsStub, useAwsEndpoints } from '../../helpers/aws-endpoints';
import { waitFor } from '../../helpers/http';
import { alarmEvent, httpApiEvent } from '../../helpers/lambda-events';
import { APPROVED_ROLLOUT_EVENTS } from '../../helpers/scenarios';
import { SIGNATURE_HEADER, verifyBodySignature } from '../../../shared/notifications/signing';

const fn = (stack: Stack, id: string) => lambda.Function.fromFunctionArn(stack, id, `arn:aws:lambda:us-east-1:000000000000:function:${id}`);
const keys = generateCosignKeyPair();
const WEBHOOK = 'sfn-webhook-token';
const API = 'sfn-api-token';
const NOTIFY_SECRET = 'sfn-notify-secret-0123456789';
const LINK_SECRET = 'sfn-link-secret-0123456789';
const PUBLIC_URL = 'https://rollouts.example.com';
/** What the notification receiver got: the signed webhook's headers and body. */
const notices: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
let receiver: Server;

let definition: Record<string, unknown>;
let dir: string;
let registry: RunningRegistry;
let dynamo: RunningDynalite;
let ecs: RunningEcsEmulator;
let sfn: RunningStepFunctionsEmulator;
let secrets: { endpoint: string; close(): Promise<void> };
let cloudwatch: { endpoint: string; close(): Promise<void> };
let lambdaInvoke: Awaited<ReturnType<typeof startLambdaInvokeStub>>;
const alarmStates: Record<string, string> = { 'web-5xx': 'OK' };
let restoreEnv: () => void;
// Type-only: the modules themselves are imported after the environment points them at local services.
let handlers: {
  api: typeof ApiModule;
  intake: (event: unknown) => Promise<unknown>;
  steps: { advance: typeof AdvanceModule.advance; awaitApproval: typeof AwaitApprovalModule.awaitApproval; recover: typeof RecoverModule.recover };
  events: { alarmStateChange: typeof AlarmModule.alarmStateChange; ecsEvent: typeof EcsEventModule.ecsEvent; watchdog: typeof WatchdogModule.watchdog };
};
/** Makes the next Advance calls throw, as a crashing Lambda would. */
let crashAdvance = 0;
/** Makes the next Advance calls fail as a throttled Lambda invoke does. */
let throttleAdvance = 0;

beforeAll(async () => {
  const app = new App({ builtinCloudFormationValidation: false }); // validated with the whole stack: test/infra/rollout-orchestrator.test.ts
  const stack = new Stack(app, 'Asl');
  new RolloutStateMachine(stack, 'Rollout', { advanceFunction: fn(stack, 'Advance'), awaitApprovalFunction: fn(stack, 'AwaitApproval'), recoverFunction: fn(stack, 'Recover') });
  definition = aslOf(Template.fromStack(stack));

  dir = mkdtempSync(join(tmpdir(), 'rollout-sfn-'));
  registry = await startDockerRegistry();
  dynamo = await startDynalite({ tableName: 'rollouts' });
  ecs = await startEcsEmulator({ taskStartMs: 10 });
  writeFileSync(join(dir, 'web.pub'), keys.publicKeyPem);
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      notices.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  writeFileSync(
    join(dir, 'rollout.config.yaml'),
    `registries:\n  "${registry.host}": { insecure: true }\nservices:\n  web:\n    cluster: prod\n    service: web\n    image: ${registry.host}/team/web\n    verify: { keys: [web.pub] }\n    steps:\n      - setWeight: 20\n      - pause: { duration: 1s }\n      - setWeight: 50\n      - pause: {}\n      - setWeight: 100\n    alarms: [web-5xx]\n    notify:\n      - webhook: { url: "${hook}", secretEnv: NOTIFY_SECRET, name: ops }\n`,
  );
  ecs.emulator.seedService({ cluster: 'prod', service: 'web', desiredCount: 4, containerName: 'app', image: `${registry.host}/team/web:initial` });

  const steps = () => handlers.steps;
  sfn = await startStepFunctionsEmulator({
    definition,
    handlers: {
      Advance: async (input) => {
        if (throttleAdvance > 0) {
          throttleAdvance -= 1;
          throw Object.assign(new Error('Rate Exceeded.'), { name: 'Lambda.TooManyRequestsException' });
        }
        if (crashAdvance > 0) {
          crashAdvance -= 1;
          throw Object.assign(new Error('Cannot read properties of undefined'), { name: 'TypeError' });
        }
        return steps().advance(input);
      },
      AwaitApproval: (input) => steps().awaitApproval((input as { Payload: unknown }).Payload),
      AwaitSteady: (input) => steps().awaitApproval((input as { Payload: unknown }).Payload),
      Recover: (input) => steps().recover(input),
    },
    waitTimeOverrides: { Wait: 20 },
    retryIntervalOverrides: { Advance: 10, Recover: 10 },
  });
  // What EventBridge delivers in AWS: ECS service actions to the ECS event function, execution status
  // changes to the watchdog.
  ecs.emulator.onEvent((event) => void handlers?.events.ecsEvent(event));
  sfn.emulator.onStatusChange((event) => void handlers?.events.watchdog(event));
  secrets = await startSecretsStub({ 'webhook-secret': WEBHOOK, 'api-secret': API, 'notify-secret': NOTIFY_SECRET, 'link-secret': LINK_SECRET });
  cloudwatch = await startCloudWatchStub(alarmStates);
  // The API hands each webhook delivery's work to the intake function, invoked asynchronously.
  lambdaInvoke = await startLambdaInvokeStub({ Intake: (event) => handlers.intake(event) });
  restoreEnv = useAwsEndpoints(
    { dynamodb: dynamo.endpoint, ecs: ecs.endpoint, sfn: sfn.endpoint, secretsManager: secrets.endpoint, cloudwatch: cloudwatch.endpoint, lambda: lambdaInvoke.endpoint },
    {
      // What the stack ships: the config resolved at synth, as JSON.
      ROLLOUT_CONFIG: writeResolvedConfig(await loadConfig(join(dir, 'rollout.config.yaml'), { NOTIFY_SECRET }), join(dir, 'resolved')),
      ROLLOUT_TABLE_NAME: 'rollouts',
      ROLLOUT_STATE_MACHINE_ARN: sfn.emulator.stateMachineArn,
      // As the stack sets them: every function here may read them all (in AWS only the API reads the tokens).
      ROLLOUT_SECRETS: JSON.stringify({ ROLLOUT_WEBHOOK_TOKEN: 'webhook-secret', ROLLOUT_API_TOKEN: 'api-secret', NOTIFY_SECRET: 'notify-secret', ROLLOUT_LINK_SECRET: 'link-secret' }),
      ROLLOUT_PUBLIC_URL: PUBLIC_URL,
      ROLLOUT_INTAKE_FUNCTION_NAME: 'Intake',
    },
  );
  handlers = {
    api: await import('../../../functions/api'),
    intake: (await import('../../../functions/ecr-push')).ecrPush,
    steps: {
      advance: (await import('../../../functions/advance')).advance,
      awaitApproval: (await import('../../../functions/await-approval')).awaitApproval,
      recover: (await import('../../../functions/recover')).recover,
    },
    events: {
      alarmStateChange: (await import('../../../functions/alarm-state-change')).alarmStateChange,
      ecsEvent: (await import('../../../functions/ecs-event')).ecsEvent,
      watchdog: (await import('../../../functions/watchdog')).watchdog,
    },
  };
}, 60_000);

afterAll(async () => {
  restoreEnv?.();
  await sfn?.emulator.idle();
  await lambdaInvoke?.idle();
  await Promise.all([registry?.stop(), dynamo?.close(), ecs?.close(), sfn?.close(), secrets?.close(), cloudwatch?.close(), lambdaInvoke?.close(), new Promise((r) => receiver?.close(r))]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  crashAdvance = 0;
  throttleAdvance = 0;
  ecs.emulator.faults.clear();
});

async function call(method: string, path: string, token: string, body?: unknown, contentType = 'application/json') {
  const res = await handlers.api.handler(httpApiEvent(method, path, { headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': contentType }) }, body }) as never, {} as never);
  const result = res as { statusCode: number; body: string; headers: Record<string, string> };
  return { status: result.statusCode, body: JSON.parse(result.body) as any, contentType: result.headers['content-type'] };
}

let n = 0;
/** Pushes and signs a new image, delivers its notification through the API Lambda, and answers the rollout id. */
async function deploy(): Promise<string> {
  const image = await buildAndPushImage({ host: registry.host, repository: 'team/web', tag: `v${++n}`, label: `sfn-${n}-${Date.now()}` });
  await pushCosignSignature({ host: registry.host, repository: 'team/web', digest: image.digest, privateKeyPem: keys.privateKeyPem });
  const envelope = { events: [{ id: `e${n}`, action: 'push', target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: image.digest, repository: 'team/web', tag: `v${n}` }, request: { host: registry.host } }] };
  const res = await call('POST', '/webhooks/registry', WEBHOOK, envelope, 'application/vnd.docker.distribution.events.v2+json');
  expect(res.status).toBe(202);
  expect(res.body.accepted).toHaveLength(1);
  // The intake function does the delivery's work: its outcome names the rollout the answer planned.
  const outcome = await waitFor(`delivery ${res.body.deliveryId} to be processed`, async () => {
    const d = await call('GET', `/deliveries/${res.body.deliveryId}`, API);
    return d.body.status === 'PROCESSED' ? d.body : undefined;
  });
  expect(outcome.accepted).toEqual([expect.objectContaining({ rolloutId: res.body.accepted[0].rolloutId, service: 'web' })]);
  return res.body.accepted[0].rolloutId as string;
}

const get = async (id: string) => (await call('GET', `/rollouts/${id}`, API)).body;
const until = (id: string, check: (r: any) => boolean, what: string) => waitFor(`${id} ${what}`, async () => ((r) => (check(r) ? r : undefined))(await get(id)), 20_000);
/** The rollout's newest clock: its execution is named `<id>-<attempt>`. */
const execution = (id: string) => [...sfn.emulator.executions.values()].filter((e) => e.name.startsWith(`${id}-`)).at(-1)!;
/** The rollout's clock, once it ended: the webhook answers before its work, so the clock may start later. */
const ended = async (id: string) => {
  await (await waitFor(`a clock of ${id}`, async () => execution(id), 20_000)).done;
  return execution(id);
};
const types = (r: any) => r.events.map((e: any) => e.type);

describe('the synthesized state machine, run locally', () => {
  it('is valid ASL that uses only JSONPath, a static callback timeout and no TimeoutSecondsPath', async () => {
    const { default: aslValidator } = await import('asl-validator');
    const { isValid, errorsText } = aslValidator(definition as never);
    expect(isValid, errorsText()).toBe(true);
    expect(JSON.stringify(definition)).not.toMatch(/TimeoutSecondsPath|JSONata/);
    const states = definition['States'] as Record<string, any>;
    expect(states['AwaitApproval'].Resource).toMatch(/waitForTaskToken$/);
    expect(states['AwaitApproval'].TimeoutSeconds).toBeGreaterThan(0);
  });

  it('runs a rollout to SUCCEEDED through an approval, with one execution named by the rollout id', async () => {
    const id = await deploy();
    const paused = await until(id, (r) => r.status === 'PAUSED', 'paused');
    expect(paused.canaryWeight).toBe(50);
    await waitFor('the approval wait to hold its token', async () => execution(id)?.states.at(-1) === 'AwaitApproval' || undefined);
    const approved = await call('POST', `/rollouts/${id}/approve`, API, { by: 'ann' });
    expect(approved.status).toBe(200);
    const exec = await ended(id);
    expect(exec.error).toBeUndefined();
    expect(exec.status).toBe('SUCCEEDED');
    expect(exec.output).toMatchObject({ directive: { next: 'DONE', status: 'SUCCEEDED' } });
    const r = await get(id);
    expect(r.status).toBe('SUCCEEDED');
    expect(types(r)).toEqual(APPROVED_ROLLOUT_EVENTS);
    expect((await call('GET', '/services/web', API)).body.stable).toBe(r.image.digest);
  });

  it('notifies from the functions that write the transitions, and takes the approval link it sent', async () => {
    const id = await deploy();
    const request = await waitFor('the approval request', async () => notices.map((n) => JSON.parse(n.body)).find((b) => b.rollout?.id === id && b.rollout.status === 'PAUSED'), 20_000);
    const sent = notices.find((n) => JSON.parse(n.body).rollout?.id === id)!;
    expect(verifyBodySignature(NOTIFY_SECRET, sent.body, sent.headers[SIGNATURE_HEADER] as string)).toBe(true);
    expect(request.approval.approveUrl.startsWith(`${PUBLIC_URL}/approvals/`)).toBe(true);
    await waitFor('the approval wait to hold its token', async () => execution(id)?.states.at(-1) === 'AwaitApproval' || undefined);
    const path = new URL(request.approval.approveUrl).pathname;
    const used = (await handlers.api.handler(httpApiEvent('POST', path, { headers: { accept: 'application/json' } }) as never, {} as never)) as { statusCode: number; body: string };
    expect(used.statusCode, used.body).toBe(200);
    expect(JSON.parse(used.body)).toMatchObject({ rolloutId: id, action: 'approve', by: 'link:ops' });
    const again = (await handlers.api.handler(httpApiEvent('POST', path, { headers: { accept: 'application/json' } }) as never, {} as never)) as { statusCode: number };
    expect(again.statusCode).toBe(409);
    expect((await ended(id)).status).toBe('SUCCEEDED');
    // Sent by Advance, which wrote SUCCEEDED.
    await waitFor('the success notice', async () => notices.some((n) => JSON.parse(n.body).rollout?.id === id && JSON.parse(n.body).rollout.status === 'SUCCEEDED') || undefined, 20_000);
  });

  it('rolls back when the alarm fires during a bake, and the execution ends', async () => {
    const id = await deploy();
    await until(id, (r) => r.wait?.for === 'bake', 'baking');
    const answer = await handlers.events.alarmStateChange(alarmEvent('web-5xx'));
    expect(answer.rolledBack).toEqual([id]);
    expect((await get(id)).status).toBe('ROLLED_BACK');
    // The alarm handler wrote ROLLED_BACK, and waited for its notice before answering.
    expect(notices.some((n) => JSON.parse(n.body).rollout?.id === id && JSON.parse(n.body).rollout.status === 'ROLLED_BACK')).toBe(true);
    const exec = await ended(id);
    expect(exec.output).toMatchObject({ directive: { next: 'DONE', status: 'ROLLED_BACK' } });
  });

  it('rolls back when the alarm fires during an approval wait, answering the task token', async () => {
    const id = await deploy();
    await until(id, (r) => r.status === 'PAUSED', 'paused');
    await waitFor('the token', async () => execution(id)?.states.at(-1) === 'AwaitApproval' || undefined);
    await handlers.events.alarmStateChange(alarmEvent('web-5xx'));
    const exec = await ended(id);
    expect(exec.status).toBe('SUCCEEDED');
    expect((await get(id)).reason).toMatch(/^alarm web-5xx fired/);
    // The failed wait was caught and the loop saw the ended rollout (after waiting for the stable set
    // to be steady again, when the rollback was still waiting for it).
    const afterWait = exec.states.slice(exec.states.lastIndexOf('AwaitApproval')).join(' ');
    expect(afterWait).toMatch(/^AwaitApproval Advance Route( Wait Advance Route)* Done$/);
  });

  it('rolls back on abort during an approval wait', async () => {
    const id = await deploy();
    await until(id, (r) => r.status === 'PAUSED', 'paused');
    await waitFor('the token', async () => execution(id)?.states.at(-1) === 'AwaitApproval' || undefined);
    expect((await call('POST', `/rollouts/${id}/abort`, API, { by: 'bob', reason: 'no' })).status).toBe(200);
    expect((await ended(id)).status).toBe('SUCCEEDED');
    expect((await get(id)).status).toBe('ROLLED_BACK');
  });

  it('promotes on request and finishes', async () => {
    const id = await deploy();
    await until(id, (r) => r.wait?.for === 'bake', 'baking');
    expect((await call('POST', `/rollouts/${id}/promote`, API, { by: 'pat' })).status).toBe(200);
    await ended(id);
    expect((await get(id)).status).toBe('SUCCEEDED');
  });

  it.each([
    ['creating the canary', 'CreateTaskSet', 0],
    ['setting the first weight', 'UpdateTaskSet', 0],
    ['setting the second weight', 'UpdateTaskSet', 2],
  ])('rolls back when ECS fails while %s', async (_what, operation, skip) => {
    const before = ecs.emulator.callsTo(operation).length;
    // Once: the rollback that follows uses UpdateTaskSet too, and must succeed.
    const fail = () => ecs.emulator.faults.fail(operation, { error: 'InvalidParameterException', message: 'injected', times: 1 });
    // The first call of the rollout fails: armed before the push, since the loop may make it before
    // the delivery's outcome is read.
    if (skip === 0) fail();
    const id = await deploy();
    if (skip > 0) {
      // Let `skip` calls through, then fail: wait until they happened.
      await waitFor('earlier calls', async () => ecs.emulator.callsTo(operation).length >= before + skip || undefined);
      fail();
    }
    const exec = await ended(id);
    const r = await get(id);
    expect(r.status).toBe('ROLLED_BACK');
    expect(r.reason).toMatch(/ECS call failed: .*injected/);
    expect(exec.status).toBe('SUCCEEDED');
    const service = ecs.emulator.describe('prod', 'web')!;
    expect(service.taskSets).toHaveLength(1);
    expect(service.taskSets[0]).toMatchObject({ status: 'PRIMARY', scale: 100 });
  });

  it('retries, rather than rolls back, a promotion whose ECS call fails past the point of return', async () => {
    const id = await deploy();
    await until(id, (r) => r.status === 'PAUSED', 'paused');
    ecs.emulator.faults.fail('UpdateServicePrimaryTaskSet', { error: 'InvalidParameterException', message: 'injected' });
    await call('POST', `/rollouts/${id}/approve`, API, { by: 'ann' });
    expect((await ended(id)).status).toBe('SUCCEEDED');
    const r = await get(id);
    expect(r.status).toBe('SUCCEEDED');
    expect(r.events.some((e: any) => e.type === 'ECS_ERROR' && /promotion call failed, retrying: .*injected/.test(e.message))).toBe(true);
    const service = ecs.emulator.describe('prod', 'web')!;
    expect(service.taskSets).toHaveLength(1);
    expect(service.taskSets[0]).toMatchObject({ status: 'PRIMARY', scale: 100 });
  });

  it('retries a throttled Advance with backoff instead of rolling back, and the rollout succeeds', async () => {
    throttleAdvance = 3;
    const id = await deploy();
    await until(id, (r) => r.status === 'PAUSED', 'paused');
    await waitFor('the approval wait to hold its token', async () => execution(id)?.states.at(-1) === 'AwaitApproval' || undefined);
    await call('POST', `/rollouts/${id}/approve`, API, { by: 'ann' });
    const exec = await ended(id);
    expect(throttleAdvance).toBe(0);
    expect(exec.states).not.toContain('Recover');
    const r = await get(id);
    expect(r.status).toBe('SUCCEEDED');
    expect(types(r)).toEqual(APPROVED_ROLLOUT_EVENTS);
  });

  it('rolls back when a step handler crashes (caught, then Recover)', async () => {
    crashAdvance = 1;
    const id = await deploy();
    const exec = await ended(id);
    expect(exec.states).toContain('Recover');
    const r = await get(id);
    expect(r.status).toBe('ROLLED_BACK');
    expect(r.reason).toMatch(/^workflow step failed: TypeError: Cannot read properties of undefined/);
  });

  it('answers a second start of the running clock as already running, and refuses a spent name', async () => {
    const { SFNClient, StartExecutionCommand } = await import('@aws-sdk/client-sfn');
    const { StepFunctionsWorkflow } = await import('../../../shared/adapters/step-functions/step-functions-workflow');
    const { ClockNameTakenError } = await import('../../../shared/errors');
    const id = await deploy();
    const clock = execution(id);
    expect(clock.name).toBe(`${id}-1`);
    const workflow = new StepFunctionsWorkflow({ client: new SFNClient({}), stateMachineArn: sfn.emulator.stateMachineArn });
    await expect(workflow.start(id, 1)).resolves.toBeUndefined();
    await expect(workflow.clockState(id, 1)).resolves.toBe('RUNNING');
    await expect(workflow.clockState(id, 2)).resolves.toBe('NONE');
    await expect(new SFNClient({}).send(new StartExecutionCommand({ stateMachineArn: sfn.emulator.stateMachineArn, name: clock.name, input: '{"other":1}' }))).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    await call('POST', `/rollouts/${id}/abort`, API, { by: 'test' });
    await ended(id);
    // Step Functions never reuses a closed execution's name: the adapter says so instead of taking it for ours.
    await expect(workflow.start(id, 1)).rejects.toBeInstanceOf(ClockNameTakenError);
  });
});
