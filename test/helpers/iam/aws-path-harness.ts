/**
 * The AWS path in one process, for IAM-evaluated scenarios: the stack synthesized from a config file,
 * its state machine definition run by the Step Functions stand-in with the real handlers of functions/,
 * each handler with the environment the template gives it, against dynalite, the ECS emulator and stand-ins
 * of Secrets Manager, CloudWatch and Lambda's asynchronous Invoke. Every SDK call each function makes
 * (and each function the state machine invokes) is recorded, and `expectEveryCallAllowed` evaluates them
 * against that function's role in the template; `unusedGrants` lists the grants no recorded call used.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { expect } from 'vitest';
import { RolloutOrchestratorStack } from '../../../infra/rollout-orchestrator-stack';
import { ROLLOUT_FUNCTION_NAMES, type RolloutFunctionName } from '../../../infra/rollout-functions';
import { startDynalite, type RunningDynalite } from '../../../local/dynamodb/dynalite-server';
import { startEcsEmulator, type RunningEcsEmulator } from '../../../local/ecs-emulator';
import { startStepFunctionsEmulator, type RunningStepFunctionsEmulator } from '../../../local/step-functions-emulator/step-functions-emulator';
import { loadConfig } from '../../../shared/config/load-config';
import type { AppConfig } from '../../../shared/config/types';
import { startCloudWatchStub, startLambdaInvokeStub, startSecretsStub, useAwsEndpoints } from '../aws-endpoints';
import { waitFor } from '../http';
import { httpApiEvent } from '../lambda-events';
import { testApp } from '../../infra/infra-fixtures';
import { AwsCallRecorder, type AwsCall } from './aws-call-recorder';
import { authorizationRequests, type AuthorizationEnvironment } from './authorization-requests';
import { RoleEvaluator } from './role-evaluator';
import { type Handler, functionEntries, sharedProcessEnvironment } from './function-entries';
import { synthesizedStack, type SynthesizedStack } from './synthesized-roles';

export type { Handler } from './function-entries';

export interface AwsPathOptions {
  readonly account: string;
  readonly region: string;
  readonly configFile: string;
  /** The variables the config names (passwordEnv, secretEnv...): read by the loader at synth only, never by the functions. */
  readonly configEnv?: Readonly<Record<string, string>>;
  /** Each secret's value, by the variable it stands for; the stand-in of Secrets Manager holds them under the ids of ROLLOUT_SECRETS. */
  readonly secretValues: Readonly<Record<string, string>>;
  readonly alarmStates: Record<string, string>;
  /** Seeds the ECS emulator (and whatever it is attached to) before any function runs. */
  readonly seed: (ecs: RunningEcsEmulator, config: AppConfig) => void | Promise<void>;
  /** More environment for the functions' process: endpoints of further stand-ins. */
  readonly environment?: Readonly<Record<string, string>>;
  readonly taskStartMs?: number;
}

export interface AwsPath {
  readonly stack: SynthesizedStack;
  readonly config: AppConfig;
  readonly fns: Readonly<Record<RolloutFunctionName, Handler>>;
  readonly recorder: AwsCallRecorder;
  readonly dynamo: RunningDynalite;
  readonly ecs: RunningEcsEmulator;
  readonly sfn: RunningStepFunctionsEmulator;
  /** Variable → the secret id each function that reads it is given (ROLLOUT_SECRETS). */
  readonly secretIds: Readonly<Record<string, string>>;
  /** Evaluates the calls recorded since the last check: every denial, with its function, action and resource, fails. */
  expectEveryCallAllowed(): Promise<void>;
  /** `<function>:<Sid>:<action>` of every grant no recorded call used and `justified` does not explain, and the stale entries of `justified`. */
  grantsReport(justified: Readonly<Record<string, string>>): { unused: string[]; stale: string[]; exercised: string[] };
  calledBy(fn: string, operation: string): boolean;
  call(method: string, path: string, token: string | null, body?: unknown, contentType?: string): Promise<{ status: number; body: any }>;
  execution(id: string): { name: string; arn: string; status: string; states: string[]; done: Promise<unknown> };
  ended(id: string): Promise<{ status: string; states: string[] }>;
  close(): Promise<void>;
}

/** The state machine's task states and the function each invokes. */
function invokedFunctions(definition: Record<string, unknown>): Record<string, string> {
  const states = definition['States'] as Record<string, { Type: string; Resource?: string; Parameters?: { FunctionName?: string } }>;
  return Object.fromEntries(
    Object.entries(states)
      .filter(([, s]) => s.Type === 'Task')
      .map(([name, s]) => [name, s.Parameters?.FunctionName ?? s.Resource!]),
  );
}

export async function startAwsPath(options: AwsPathOptions): Promise<AwsPath> {
  const { account, region } = options;
  const recorder = new AwsCallRecorder();
  const evaluator = new RoleEvaluator(account);
  const closers: (() => Promise<unknown> | void)[] = [];
  const restore: (() => void)[] = [];

  const config = await loadConfig(options.configFile, { ...(options.configEnv ?? {}) });
  const synthesized = new RolloutOrchestratorStack(testApp(), 'Rollout', { env: { account, region }, config });
  const stack = synthesizedStack(Template.fromStack(synthesized), { region, account });
  const authEnv: AuthorizationEnvironment = { partition: 'aws', account, stateMachineArn: stack.stateMachineArn, customerKeys: stack.customerKeys };

  const dynamo = await startDynalite({ tableName: stack.tableName });
  closers.push(() => dynamo.close());
  const ecs = await startEcsEmulator({ taskStartMs: options.taskStartMs ?? 300, accountId: account, region });
  closers.push(() => ecs.close());
  await options.seed(ecs, config);

  // Every function runs with the environment the template gives it. They share this process, so their
  // environments are merged, and a variable two functions set differently fails here.
  const { merged, secretIds } = sharedProcessEnvironment(stack.environments);
  const missing = Object.keys(secretIds).filter((v) => !(v in options.secretValues));
  if (missing.length > 0) throw new Error(`no value given for the secrets ${missing.join(', ')}`);
  const secrets = await startSecretsStub(Object.fromEntries(Object.entries(secretIds).map(([variable, id]) => [id, options.secretValues[variable]!])));
  closers.push(() => secrets.close());
  const cloudwatch = await startCloudWatchStub(options.alarmStates);
  closers.push(() => cloudwatch.close());
  // Filled once the functions are imported, after the environment is in place.
  const fns = {} as Record<RolloutFunctionName, Handler>;
  // The API and the watchdog hand each webhook delivery's work to the intake function (ecrPush), invoked asynchronously.
  const lambdaInvoke = await startLambdaInvokeStub({ [merged['ROLLOUT_INTAKE_FUNCTION_NAME']!]: (event) => fns.ecrPush(event) });
  closers.push(() => lambdaInvoke.close());

  const invoked = invokedFunctions(stack.definition);
  const byArn = Object.fromEntries(Object.entries(stack.functionArns).map(([name, arn]) => [arn, name as RolloutFunctionName]));
  const task = (state: string) => async (input: unknown) => {
    const arn = invoked[state]!;
    const fn = byArn[arn];
    if (!fn) throw new Error(`state ${state} invokes ${arn}, which is none of the functions`);
    recorder.record({ fn: 'stateMachine', service: 'Lambda', operation: 'Invoke', input: { FunctionName: arn }, region });
    return fns[fn]((input as { Payload?: unknown }).Payload ?? input);
  };
  const sfn = await startStepFunctionsEmulator({
    definition: stack.definition,
    stateMachineArn: stack.stateMachineArn,
    handlers: Object.fromEntries(Object.keys(invoked).map((state) => [state, task(state)])),
    waitTimeOverrides: { Wait: 20 },
    retryIntervalOverrides: { Advance: 10, Recover: 10 },
  });
  let ready = false;
  ecs.emulator.onEvent((event) => {
    if (ready) void fns.ecsEvent(event).catch(() => undefined);
  });
  sfn.emulator.onStatusChange((event) => {
    if (ready) void fns.watchdog(event).catch(() => undefined);
  });
  closers.unshift(async () => {
    await sfn.emulator.idle();
    await lambdaInvoke.idle();
    await sfn.close();
  });

  restore.push(recorder.install());
  restore.push(
    useAwsEndpoints(
      { dynamodb: dynamo.endpoint, ecs: ecs.endpoint, sfn: sfn.endpoint, secretsManager: secrets.endpoint, cloudwatch: cloudwatch.endpoint, lambda: lambdaInvoke.endpoint },
      { ...merged, ...(options.environment ?? {}), AWS_REGION: region, ROLLOUT_CONFIG: synthesized.orchestrator.bundledConfigFile },
    ),
  );

  Object.assign(fns, await functionEntries((name, run) => recorder.as(name, run)));
  ready = true;

  /** The secret ids each function is given: a read of any other is a read its role may happen to allow but its code must not make. */
  const givenIds = Object.fromEntries(
    ROLLOUT_FUNCTION_NAMES.map((name) => [name, new Set(Object.values(JSON.parse(stack.environments[name]['ROLLOUT_SECRETS'] ?? '{}') as Record<string, string>))]),
  ) as Record<RolloutFunctionName, Set<string>>;

  let checked = 0;
  const execution = (id: string) => [...sfn.emulator.executions.values()].filter((e) => e.name.startsWith(`${id}-`)).at(-1)! as unknown as ReturnType<AwsPath['execution']>;
  const harness: AwsPath = {
    stack,
    config,
    fns,
    recorder,
    dynamo,
    ecs,
    sfn,
    secretIds,
    async expectEveryCallAllowed() {
      const calls = recorder.calls.slice(checked);
      checked += calls.length;
      const denied: string[] = [];
      for (const call of calls) {
        const role = stack.roles[call.fn];
        if (!role) throw new Error(`no role for ${call.fn}`);
        if (call.operation === 'GetSecretValue' && !givenIds[call.fn as RolloutFunctionName]?.has(String(call.input['SecretId']))) {
          denied.push(`${call.fn}: read the secret ${String(call.input['SecretId'])}, which its ROLLOUT_SECRETS does not give it`);
        }
        for (const request of authorizationRequests(call, authEnv)) {
          const decision = await evaluator.evaluate(call.fn, role, request);
          if (!decision.allowed) denied.push(`${call.fn}: ${request.action} on ${request.resource} (${request.because}) is ${decision.result}`);
        }
      }
      expect([...new Set(denied)], 'AWS calls the role of the calling function would deny').toEqual([]);
    },
    grantsReport(justified) {
      const unused: string[] = [];
      const granted = new Set<string>();
      /** Justified keys with a grant no call used: the others are explained but exercised. */
      const needed = new Set<string>();
      for (const [roleName, role] of Object.entries(stack.roles)) {
        for (const grant of evaluator.grants(roleName, role)) {
          const sid = grant.sid.startsWith('#') ? '*' : grant.sid;
          const keys = [`${roleName}:${sid}:${grant.action}`, `*:${sid}:${grant.action}`];
          for (const key of keys) granted.add(key);
          if (!evaluator.used.has(grant.key)) for (const key of keys) needed.add(key);
          if (evaluator.used.has(grant.key) || keys.some((key) => justified[key])) continue;
          unused.push(`${roleName}:${grant.sid}:${grant.action}`);
        }
      }
      const stale = Object.keys(justified).filter((key) => !granted.has(key));
      return { unused: [...new Set(unused)].sort(), stale, exercised: Object.keys(justified).filter((key) => granted.has(key) && !needed.has(key)) };
    },
    calledBy: (fn, operation) => recorder.calls.some((c: AwsCall) => c.fn === fn && c.operation === operation),
    async call(method, path, token, body, contentType = 'application/json') {
      const headers = { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { 'content-type': contentType }), accept: 'application/json' };
      const res = (await fns.api(httpApiEvent(method, path, { headers, body }))) as { statusCode: number; body: string };
      return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as unknown) : null };
    },
    execution,
    async ended(id) {
      await waitFor(`${id} to have a clock`, async () => execution(id) ?? undefined);
      await execution(id).done;
      return execution(id);
    },
    async close() {
      for (const undo of restore.reverse()) undo();
      for (const close of closers) await close();
    },
  };
  return harness;
}
