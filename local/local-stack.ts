/**
 * Local mode: the whole orchestrator in one process, with embedded stand-ins for AWS. The real
 * DynamoDB and ECS clients talk to dynalite and the ECS emulator on loopback, so the adapters that run
 * in Lambda run here too. State lives under the data directory, so a restart resumes every rollout.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { ECSClient } from '@aws-sdk/client-ecs';
import { serve, type ServerType } from '@hono/node-server';
import { DynamoRolloutStore } from '../shared/adapters/dynamodb/dynamo-rollout-store';
import { EcsTaskSetDeployer } from '../shared/adapters/ecs/ecs-task-set-deployer';
import { type Logger, jsonLogger } from '../shared/observability/logger';
import { InProcessDeliveryQueue } from '../shared/orchestration/delivery-queue';
import { Orchestrator, type OrchestratorOptions } from '../shared/orchestration/orchestrator';
import type { AppConfig } from '../shared/config/types';
import { createApp } from '../shared/http/app';
import { type OperatorFeatures, type OperatorWiringOptions, wireOperatorFeatures } from '../shared/observability/operator-wiring';
import type { EcsDeployer, RolloutStore, SignatureVerifier, Workflow } from '../shared/ports';
import { CosignSignatureVerifier } from '../shared/signature/cosign-signature-verifier';
import { startDynalite } from './dynamodb/dynalite-server';
import { type EcsEmulator, startEcsEmulator } from './ecs-emulator';
import { startCloudWatchStandIn } from './cloudwatch-stand-in';
import { LocalAlarms } from './local-alarms';
import { SFNClient } from '@aws-sdk/client-sfn';
import { StepFunctionsWorkflow } from '../shared/adapters/step-functions/step-functions-workflow';
import { RolloutPolicy } from '../shared/core/policy';
import { parseEcsServiceAction } from '../shared/webhooks/ecs-event';
import { type TagResolver, registryTagResolver } from '../shared/webhooks/resolve-tag';
import { stepHandlers } from '../functions/wiring/step-handlers';
import { type RunningStepFunctionsEmulator, startStepFunctionsEmulator } from './step-functions-emulator/step-functions-emulator';

export interface LocalStackOptions {
  readonly config: AppConfig;
  /** Where DynamoDB, ECS and alarm state persist. Omit to keep everything in memory (tests). */
  readonly dataDir?: string;
  /** Default 3000; 0 picks a free port. */
  readonly port?: number;
  /** Default 127.0.0.1: local mode is for one machine. */
  readonly host?: string;
  readonly webhookToken?: string;
  readonly apiToken?: string;
  /** Time for one emulated task to start. Default 400 ms. */
  readonly taskStartMs?: number;
  /**
   * Tests: how long every Wait of the state machine lasts (at least 100 ms; the loop looks again at a
   * bake's remaining time), and a twentieth of the fallback look at ECS. Default: the definition's real
   * durations.
   */
  readonly steadyPollMs?: number;
  /** How often the watchdog looks after every active rollout. Default `RolloutPolicy.watchdogIntervalSeconds`. */
  readonly watchdogIntervalMs?: number;
  /** History events an execution may write before it fails (tests lower it). Default 25,000, as AWS. */
  readonly historyLimit?: number;
  readonly orchestrator?: OrchestratorOptions;
  readonly verifier?: SignatureVerifier;
  /** Confirms claimed tags with the registry (tests). Default: the registries of the config, over HTTP. */
  readonly tagResolver?: TagResolver;
  /** The orchestrator's clock (tests move it instead of waiting). Default: the system clock. */
  readonly clock?: () => Date;
  readonly logger?: Logger;
  /** Dashboard, notifications and metrics knobs (tests): link secret, heartbeat, notification timeout, environment. */
  readonly operator?: Partial<Pick<OperatorWiringOptions, 'linkSecret' | 'heartbeatMs' | 'notifyTimeoutMs' | 'env'>>;
}

export interface LocalStack {
  readonly url: string;
  readonly port: number;
  readonly webhookToken: string;
  readonly apiToken: string;
  /** True for each token that was generated rather than given. */
  readonly generatedTokens: { readonly webhook: boolean; readonly api: boolean };
  readonly orchestrator: Orchestrator;
  /** The store and the ECS deployer the orchestrator works through (a second writer in tests shares them). */
  readonly store: RolloutStore;
  readonly deployer: EcsDeployer;
  readonly ecs: EcsEmulator;
  readonly alarms: LocalAlarms;
  /** The rollouts' clock: the Step Functions adapter, over the stand-in running the synthesized state machine. */
  readonly workflow: Workflow;
  readonly stepFunctions: RunningStepFunctionsEmulator;
  /** The local stand-ins on AWS wire endpoints, keyed by the AWS CLI's service names (contract: `GET /local/endpoints`). */
  readonly endpoints: LocalEndpoints;
  readonly app: ReturnType<typeof createApp>;
  /** Rollouts that were active at start and were resumed. */
  readonly resumed: readonly string[];
  /** Live updates, metrics and notifications around the orchestrator. */
  readonly operator: OperatorFeatures;
  stop(): Promise<void>;
}

const TABLE_NAME = 'rollouts';

/** AWS CLI service name → URL of the local stand-in on that service's wire protocol. */
export type LocalEndpoints = Readonly<Record<'dynamodb' | 'ecs' | 'stepfunctions' | 'cloudwatch', string>>;

/** The state machine `cdk synth` produces, resolved to ASL at build time (`npm run asl`; a test checks it is current). */
function rolloutDefinition(): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL('./step-functions-emulator/rollout-state-machine.asl.json', import.meta.url), 'utf8')) as Record<string, unknown>;
}

/** A callback task's input is the Lambda invoke's parameters; the function gets its Payload. */
function payloadOf(input: unknown): unknown {
  return (input as { Payload?: unknown } | null)?.Payload ?? input;
}

/** Tokens given, else the ones generated on an earlier start (kept in the data dir), else new ones. */
function resolveTokens(options: LocalStackOptions) {
  const file = options.dataDir ? join(options.dataDir, 'local-tokens.json') : null;
  const saved = file && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { webhookToken?: string; apiToken?: string }) : {};
  const webhookToken = options.webhookToken || saved.webhookToken || randomBytes(24).toString('base64url');
  const apiToken = options.apiToken || saved.apiToken || randomBytes(24).toString('base64url');
  const generated = { webhook: !options.webhookToken, api: !options.apiToken };
  if (file && (generated.webhook || generated.api)) {
    // Only generated tokens are kept: a token from the environment is never written to disk.
    const keep = { ...(generated.webhook ? { webhookToken } : {}), ...(generated.api ? { apiToken } : {}) };
    writeFileSync(file, JSON.stringify(keep, null, 2), { mode: 0o600 });
  }
  return { webhookToken, apiToken, generated };
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const { config } = options;
  const logger = options.logger ?? jsonLogger();
  const dataDir = options.dataDir ? resolve(options.dataDir) : undefined;
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const tokens = resolveTokens({ ...options, ...(dataDir ? { dataDir } : {}) });

  const dynamo = await startDynalite({ tableName: TABLE_NAME, ...(dataDir ? { path: join(dataDir, 'dynamodb') } : {}) });
  const ecsServer = await startEcsEmulator({
    taskStartMs: options.taskStartMs ?? 400,
    ...(dataDir ? { stateFile: join(dataDir, 'ecs-emulator.json') } : {}),
  });
  ecsServer.emulator.seedServices(
    Object.values(config.services).map((service) => ({
      cluster: service.cluster,
      service: service.service,
      desiredCount: service.local.desiredCount,
      containerName: service.container ?? 'app',
      image: service.local.image ?? `${service.registry}/${service.repository}:initial`,
    })),
  );
  const ecsClient = new ECSClient({
    endpoint: ecsServer.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    // Two attempts: a reset connection (or a lost answer) is tried once more, as the SDK does in AWS.
    maxAttempts: 2,
  });

  const alarms = new LocalAlarms(dataDir ? join(dataDir, 'alarms.json') : undefined);
  // The workflow is the state machine `cdk synth` produces, run by the Step Functions stand-in with the
  // same task handlers as the Lambda functions, reached through the same adapter as in AWS.
  let orchestratorRef: Orchestrator | null = null;
  const handlers = stepHandlers(async () => orchestratorRef!);
  // Task handlers still running finish before the stack stops (as a Lambda invocation would), so that
  // none acts on a store or an ECS endpoint being closed; none starts once stopping.
  const inFlight = new Set<Promise<unknown>>();
  let stopping = false;
  const task = <T>(run: () => Promise<T>): Promise<T> => {
    if (stopping) return Promise.reject(Object.assign(new Error('local mode is stopping'), { name: 'Lambda.ServiceException' }));
    const p = run();
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p)).catch(() => undefined);
    return p;
  };
  /** What EventBridge would deliver to a function, handled in the background but finished before stop. */
  const background = (run: () => Promise<unknown>, failure: string): Promise<unknown> =>
    task(run).catch((e: unknown) => {
      if (!stopping) logger.warn(failure, { error: e });
    });
  const stepFunctions = await startStepFunctionsEmulator({
    definition: rolloutDefinition(),
    handlers: {
      Advance: (input) => task(() => handlers.advance(input)),
      AwaitApproval: (input) => task(() => handlers.awaitCallback(payloadOf(input))),
      AwaitSteady: (input) => task(() => handlers.awaitCallback(payloadOf(input))),
      Recover: (input) => task(() => handlers.recover(input)),
    },
    ...(options.steadyPollMs
      ? {
          // Tests: every Wait (a bake's remaining time is looked at again) and the fallback look at ECS are this short.
          // At least 100 ms: a bake is looked at ten times a second (its end is decided by the clock,
          // not by the wait), instead of looping through the state machine at every poll.
          waitTimeOverrides: { Wait: Math.max(100, options.steadyPollMs) },
          taskTimeoutOverrides: { AwaitSteady: options.steadyPollMs * 20 },
          retryIntervalOverrides: { Advance: options.steadyPollMs, Recover: options.steadyPollMs, AwaitApproval: options.steadyPollMs, AwaitSteady: options.steadyPollMs },
        }
      : {}),
    ...(options.historyLimit ? { historyLimit: options.historyLimit } : {}),
    ...(dataDir ? { stateFile: join(dataDir, 'step-functions.json') } : {}),
  });
  const sfnClient = new SFNClient({ endpoint: stepFunctions.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 2 });
  const workflow = new StepFunctionsWorkflow({ client: sfnClient, stateMachineArn: stepFunctions.emulator.stateMachineArn });
  const store = new DynamoRolloutStore({ client: dynamo.client, tableName: TABLE_NAME });
  const deployer = new EcsTaskSetDeployer({ client: ecsClient });
  const orchestrator = new Orchestrator({
    config,
    store,
    ecs: deployer,
    verifier: options.verifier ?? new CosignSignatureVerifier({ registries: config.registries }),
    workflow,
    alarms,
    tags: options.tagResolver ?? registryTagResolver(),
    // A webhook delivery's work, after its answer: in process, finished before stop like a task handler.
    deliveries: new InProcessDeliveryQueue((id) => (stopping ? Promise.resolve() : task(() => orchestratorRef!.processDelivery(id))), logger),
    logger,
    ...(options.clock ? { clock: options.clock } : {}),
    options: { steadyPollSeconds: 1, rollbackBackoffMs: 200, ...options.orchestrator },
  });
  orchestratorRef = orchestrator;
  alarms.onChange((name, state, reason) => orchestrator.alarmChanged(name, state, reason));
  // The events that reach the functions through EventBridge in AWS: ECS service actions nudge a rollout
  // waiting for ECS; an execution that ended lets the watchdog re-drive its rollout.
  const unsubscribeEcs = ecsServer.emulator.onEvent((event) => {
    const parsed = parseEcsServiceAction(event);
    if ('event' in parsed) void background(() => orchestrator.ecsChanged(parsed.event.cluster, parsed.event.service), 'ECS event not handled');
  });
  const unsubscribeSfn = stepFunctions.emulator.onStatusChange((event) => {
    if (event.detail.status === 'RUNNING') return;
    void background(() => orchestrator.executionEnded(event.detail.name), 'execution status change not handled');
  });
  let listeningUrl: string | null = null; // approval links need it; known once the server listens
  const operator = wireOperatorFeatures({ mode: 'local', orchestrator, store, config, logger, publicUrl: () => listeningUrl, ...(dataDir ? { dataDir } : {}), ...options.operator });

  const cloudwatch = await startCloudWatchStandIn({ alarms, known: [...new Set(Object.values(config.services).flatMap((s) => s.alarms))] });
  const endpoints: LocalEndpoints = { dynamodb: dynamo.endpoint, ecs: ecsServer.endpoint, stepfunctions: stepFunctions.endpoint, cloudwatch: cloudwatch.endpoint };
  const app = createApp({ orchestrator, webhookToken: tokens.webhookToken, apiToken: tokens.apiToken, localAlarms: alarms, localEndpoints: endpoints, logger, ...operator.appDeps });
  const host = options.host ?? '127.0.0.1';
  const server: ServerType = await new Promise((resolveServer, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port ?? 3000, hostname: host }, () => resolveServer(s));
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  listeningUrl = `http://${host}:${port}`;
  const resumed = await orchestrator.resume();
  // Deliveries answered by a previous process and never processed: nothing of that process runs now.
  await orchestrator.redispatchDeliveries(0).catch((e: unknown) => logger.warn('unprocessed deliveries not dispatched; the watchdog will', { error: e }));
  // The watchdog's schedule (an EventBridge schedule in AWS): at start, then every interval.
  const sweep = () => void background(() => orchestrator.sweep(), 'watchdog sweep failed');
  sweep();
  const watchdogTimer = setInterval(sweep, options.watchdogIntervalMs ?? RolloutPolicy.watchdogIntervalSeconds * 1000);
  watchdogTimer.unref();

  return {
    url: `http://${host}:${port}`,
    port,
    webhookToken: tokens.webhookToken,
    apiToken: tokens.apiToken,
    generatedTokens: tokens.generated,
    orchestrator,
    store,
    deployer,
    ecs: ecsServer.emulator,
    alarms,
    workflow,
    stepFunctions,
    endpoints,
    app,
    resumed,
    operator,
    async stop() {
      stopping = true;
      clearInterval(watchdogTimer);
      await Promise.allSettled([...inFlight]);
      unsubscribeEcs();
      unsubscribeSfn();
      await operator.stop();
      const closed = new Promise<void>((res) => server.close(() => res()));
      // Keep-alive connections (a browser, a watching CLI) would otherwise hold close() open.
      if ('closeAllConnections' in server) server.closeAllConnections();
      await closed;
      stepFunctions.emulator.close();
      await stepFunctions.close();
      await cloudwatch.close();
      sfnClient.destroy();
      ecsClient.destroy();
      await ecsServer.close();
      await dynamo.close();
    },
  };
}
