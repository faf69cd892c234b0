/**
 * Local mode: the whole orchestrator in one process, with embedded stand-ins for AWS. The real
 * DynamoDB and ECS clients talk to dynalite and the ECS emulator on loopback, so the adapters that run
 * in Lambda run here too. State lives under the data directory, so a restart resumes every rollout.
 */
import { outsideHome } from '../shared/config/ecs-location';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { DescribeTaskSetsCommand, ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { serve, type ServerType } from '@hono/node-server';
import { DynamoRolloutStore } from '../shared/adapters/dynamodb/dynamo-rollout-store';
import { EcsTaskSetDeployer } from '../shared/adapters/ecs/ecs-task-set-deployer';
import { AlbTrafficRouter } from '../shared/adapters/elbv2/alb-traffic-router';
import { type Logger, jsonLogger } from '../shared/observability/logger';
import { InProcessDeliveryQueue } from '../shared/orchestration/delivery-queue';
import { Orchestrator, type OrchestratorOptions } from '../shared/orchestration/orchestrator';
import type { AppConfig, ServiceConfig } from '../shared/config/types';
import { createApp } from '../shared/http/app';
import type { SlackInteractionOptions } from '../shared/notifications/slack-routes';
import { type OperatorFeatures, type OperatorWiringOptions, wireOperatorFeatures } from '../shared/observability/operator-wiring';
import type { EcsDeployer, RolloutStore, SignatureVerifier, TrafficRouter, Workflow } from '../shared/ports';
import { SignerClient } from '@aws-sdk/client-signer';
import { SignerRevocationChecker } from '../shared/adapters/aws-signer/signer-revocation-checker';
import { ImageSignatureVerifier } from '../shared/signature/image-signature-verifier';
import { startSignerStandIn } from './signer-stand-in';
import { startDynalite } from './dynamodb/dynalite-server';
import { type EcsEmulator, startEcsEmulator } from './ecs-emulator';
import { startCloudWatchStandIn } from './cloudwatch-stand-in';
import { type ElbV2StandIn, type LocalTargetGroupTiming, seedTraffic, startElbV2StandIn } from './elbv2-stand-in';
import { LocalAlarms } from './local-alarms';
import { SFNClient } from '@aws-sdk/client-sfn';
import { StepFunctionsWorkflow } from '../shared/adapters/step-functions/step-functions-workflow';
import { RolloutPolicy } from '../shared/core/policy';
import { mayAnswerSteadyWait, parseEcsServiceAction } from '../shared/webhooks/ecs-event';
import { type TagResolver, registryTagResolver } from '../shared/webhooks/resolve-tag';
import { stepHandlers } from '../functions/wiring/step-handlers';
import { type ExecutionStatusChangeEvent, type RunningStepFunctionsEmulator, startStepFunctionsEmulator } from './step-functions-emulator/step-functions-emulator';
import { InvocationSlots } from './invocation-slots';
import { sdkClient } from '../shared/adapters/sdk-client-defaults';

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
  /** Time for one emulated task to stop (a deleted task set stays DRAINING until its tasks stopped). Default 0. */
  readonly taskStopMs?: number;
  /** Health checks and deregistration delay of the seeded target groups (`traffic.alb`). Default 2 s × 2 and 5 s. */
  readonly targetGroups?: LocalTargetGroupTiming;
  /**
   * Tests: how long every Wait of the state machine lasts (at least 100 ms; the loop looks again at a
   * bake's remaining time), and a twentieth of the fallback look at ECS. Default: the definition's real
   * durations.
   */
  readonly steadyPollMs?: number;
  /** How often the watchdog looks after every active rollout. Default `RolloutPolicy.watchdogIntervalSeconds`. */
  readonly watchdogIntervalMs?: number;
  /**
   * Function invocations run at once (the state machine's tasks, the events EventBridge would deliver,
   * the intake's work); the others wait their turn (`invocation-slots.ts`). Default 8.
   */
  readonly invocationSlots?: number;
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
  /** Slack interactions: where a click's `response_url` may point (a Slack stand-in in tests and the demo). */
  readonly slack?: SlackInteractionOptions;
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
  /** The load balancers of the services with `traffic.alb`. */
  readonly elbv2: ElbV2StandIn;
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
/**
 * Function invocations at once in local mode: enough to keep the cores busy while some wait on I/O,
 * few enough that the API answers a read while hundreds of rollouts run (the scale benchmark, 250
 * rollouts: GET /rollouts/{id} p99 under load 25× the idle figure without a limit, 1.4× with 8).
 */
const DEFAULT_INVOCATION_SLOTS = 8;
/** How long the answers to webhooks must have been quiet before a delivery's work starts in this process (docs/architecture.md, "Webhook intake"). */
const LOCAL_DELIVERY_QUIET_MS = 100;

/** AWS CLI service name → URL of the local stand-in on that service's wire protocol. */
export type LocalEndpoints = Readonly<Record<'dynamodb' | 'ecs' | 'stepfunctions' | 'cloudwatch' | 'signer' | 'elbv2', string>>;

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

/** The name in an ECS ARN (`…:cluster/demo` → `demo`, `…:service/demo/web` → `web`), or the name itself. */
const lastName = (nameOrArn: string): string => (nameOrArn.startsWith('arn:') ? nameOrArn.slice(nameOrArn.lastIndexOf('/') + 1) : nameOrArn);

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const { config } = options;
  const logger = options.logger ?? jsonLogger();
  const dataDir = options.dataDir ? resolve(options.dataDir) : undefined;
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const tokens = resolveTokens({ ...options, ...(dataDir ? { dataDir } : {}) });

  const dynamo = await startDynalite({ tableName: TABLE_NAME, ...(dataDir ? { path: join(dataDir, 'dynamodb') } : {}) });
  const ecsServer = await startEcsEmulator({
    taskStartMs: options.taskStartMs ?? 400,
    ...(options.taskStopMs !== undefined ? { taskStopMs: options.taskStopMs } : {}),
    ...(dataDir ? { stateFile: join(dataDir, 'ecs-emulator.json') } : {}),
  });
  const home = { region: ecsServer.emulator.region, account: ecsServer.emulator.accountId };
  // The load balancer named by `traffic.alb`: the ECS emulator's task sets register with its target groups.
  // Its rules (the weights a rollout set) outlive a restart, as the load balancer's do in AWS.
  const elbServer = await startElbV2StandIn(dataDir ? { stateFile: join(dataDir, 'elbv2.json') } : {});
  ecsServer.emulator.attachLoadBalancers(elbServer.standIn);
  const here = Object.values(config.services).filter((service) => {
    // A service named by ARN in another region or account is not here to seed: its rollouts are refused.
    const away = outsideHome(service, home);
    if (away) logger.warn('service not seeded in the local ECS', { service: service.name, reason: away });
    return !away;
  });
  // All at once, the state written once: a start with hundreds of services stays fast.
  ecsServer.emulator.seedServices(
    here.map((service) => ({
      cluster: lastName(service.cluster),
      service: lastName(service.service),
      desiredCount: service.local.desiredCount,
      containerName: service.container ?? 'app',
      image: service.local.image ?? `${service.registry}/${service.repository}:initial`,
      ...(service.traffic ? { targetGroupArn: service.traffic.alb.targetGroups[0] } : {}),
    })),
  );
  // The SDK clients reach the stand-ins of this process without a socket (local/sdk/in-process-handler.ts).
  const ecsClient = sdkClient(ECSClient, {
    endpoint: ecsServer.endpoint,
    requestHandler: ecsServer.requestHandler,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    // Two attempts: a reset connection (or a lost answer) is tried once more, as the SDK does in AWS.
    maxAttempts: 2,
  });
  let priority = 10;
  for (const service of Object.values(config.services)) {
    if (!service.traffic) continue;
    // After a restart the PRIMARY task set may be in the second group of the pair (the last promotion's).
    const { taskSets = [] } = await ecsClient.send(new DescribeTaskSetsCommand({ cluster: service.cluster, service: service.service }));
    const serving = taskSets.find((set) => set.status === 'PRIMARY')?.loadBalancers?.[0]?.targetGroupArn ?? null;
    seedTraffic(
      elbServer.standIn,
      {
        service: service.name,
        alb: service.traffic.alb,
        servingTargetGroupArn: serving,
        priority: priority++,
        ...(service.blueGreen ? { previewListenerRule: service.blueGreen.previewListenerRule } : {}),
      },
      options.targetGroups,
    );
  }
  const elbClient = sdkClient(ElasticLoadBalancingV2Client, {
    endpoint: elbServer.endpoint,
    requestHandler: elbServer.requestHandler,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 2,
  });
  const routers = new Map<string, TrafficRouter>();
  const traffic = (service: ServiceConfig): TrafficRouter | null => {
    if (!service.traffic) return null;
    let router = routers.get(service.name);
    if (!router) routers.set(service.name, (router = new AlbTrafficRouter({ client: elbClient, alb: service.traffic.alb })));
    return router;
  };

  const alarms = new LocalAlarms(dataDir ? join(dataDir, 'alarms.json') : undefined);
  // The workflow is the state machine `cdk synth` produces, run by the Step Functions stand-in with the
  // same task handlers as the Lambda functions, reached through the same adapter as in AWS.
  let orchestratorRef: Orchestrator | null = null;
  const handlers = stepHandlers(async () => orchestratorRef!);
  // Task handlers still running finish before the stack stops (as a Lambda invocation would), so that
  // none acts on a store or an ECS endpoint being closed; none starts once stopping.
  const inFlight = new Set<Promise<unknown>>();
  let stopping = false;
  const slots = new InvocationSlots(options.invocationSlots ?? DEFAULT_INVOCATION_SLOTS);
  const task = <T>(run: () => Promise<T>): Promise<T> => {
    if (stopping) return Promise.reject(Object.assign(new Error('local mode is stopping'), { name: 'Lambda.ServiceException' }));
    const p = slots.run(run);
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p)).catch(() => undefined);
    return p;
  };
  /** What EventBridge would deliver to a function, handled in the background but finished before stop. */
  const background = (run: () => Promise<unknown>, failure: string): Promise<unknown> =>
    task(run).catch((e: unknown) => {
      if (!stopping) logger.warn(failure, { error: e });
    });
  // The executions a previous process left running are closed ABORTED as the stand-in loads its state,
  // before the orchestrator exists: their events wait for it (the watchdog acts on them, as in AWS).
  const endedBeforeWiring: ExecutionStatusChangeEvent[] = [];
  let executionChanged: ((event: ExecutionStatusChangeEvent) => void) | null = null;
  const stepFunctions = await startStepFunctionsEmulator({
    onStatusChange: (event) => {
      if (executionChanged) executionChanged(event);
      else endedBeforeWiring.push(event);
    },
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
  const signer = await startSignerStandIn();
  const sfnClient = sdkClient(SFNClient, { endpoint: stepFunctions.endpoint, requestHandler: stepFunctions.requestHandler, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 2 });
  const workflow = new StepFunctionsWorkflow({ client: sfnClient, stateMachineArn: stepFunctions.emulator.stateMachineArn });
  const store = new DynamoRolloutStore({ client: dynamo.client, tableName: TABLE_NAME });
  const deployer = new EcsTaskSetDeployer({ client: ecsClient });
  const orchestrator = new Orchestrator({
    config,
    store,
    ecs: deployer,
    verifier:
      options.verifier ??
      new ImageSignatureVerifier({
        registries: config.registries,
        revocation: new SignerRevocationChecker({
          // GetRevocationStatus carries the host prefix `data-`, which a loopback endpoint cannot take.
          client: sdkClient(SignerClient, { endpoint: signer.endpoint, requestHandler: signer.requestHandler, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, disableHostPrefix: true, maxAttempts: 2 }),
        }),
      }),
    workflow,
    alarms,
    traffic,
    tags: options.tagResolver ?? registryTagResolver(),
    // The local endpoints answer for one region and account, as an orchestrator in AWS does.
    home,
    // A webhook delivery's work, after its answer: in process, finished before stop like a task handler;
    // it starts once the answers have been quiet for 100 ms (a burst is answered first).
    deliveries: new InProcessDeliveryQueue((id, received) => (stopping ? Promise.resolve() : task(() => orchestratorRef!.processDelivery(id, received))), logger, { quietMs: LOCAL_DELIVERY_QUIET_MS }),
    logger,
    ...(options.clock ? { clock: options.clock } : {}),
    options: { steadyPollSeconds: 1, rollbackBackoffMs: 200, ...options.orchestrator },
  });
  orchestratorRef = orchestrator;
  alarms.onChange((name, state, reason) => orchestrator.alarmChanged(name, state, reason));
  // The events that reach the functions through EventBridge in AWS: ECS service actions nudge a rollout
  // waiting for ECS; an execution that ended lets the watchdog re-drive its rollout.
  // An event for a service whose handling still waits for its invocation slot adds nothing: that
  // handling looks at ECS after this event (as events that come before a look asks ECS join it, step-driver.ts).
  const ecsEventsWaiting = new Set<string>();
  const unsubscribeEcs = ecsServer.emulator.onEvent((event) => {
    const parsed = parseEcsServiceAction(event);
    if (!('event' in parsed) || !mayAnswerSteadyWait(parsed.event)) return;
    const { cluster, service } = parsed.event;
    const key = JSON.stringify([cluster, service]);
    if (ecsEventsWaiting.has(key)) return;
    ecsEventsWaiting.add(key);
    void background(() => {
      ecsEventsWaiting.delete(key);
      return orchestrator.ecsChanged(cluster, service);
    }, 'ECS event not handled');
  });
  executionChanged = (event) => {
    if (event.detail.status === 'RUNNING') return;
    void background(() => orchestrator.executionEnded(event.detail.name, event.detail.output, event.detail.status), 'execution status change not handled');
  };
  for (const event of endedBeforeWiring.splice(0)) executionChanged(event);
  let listeningUrl: string | null = null; // approval links need it; known once the server listens
  const operator = wireOperatorFeatures({ mode: 'local', orchestrator, store, config, logger, publicUrl: () => listeningUrl, ...(dataDir ? { dataDir } : {}), ...options.operator });

  const cloudwatch = await startCloudWatchStandIn({ alarms, known: [...new Set(Object.values(config.services).flatMap((s) => s.alarms))] });
  const endpoints: LocalEndpoints = { dynamodb: dynamo.endpoint, ecs: ecsServer.endpoint, stepfunctions: stepFunctions.endpoint, cloudwatch: cloudwatch.endpoint, signer: signer.endpoint, elbv2: elbServer.endpoint };
  const app = createApp({ orchestrator, webhookToken: tokens.webhookToken, apiToken: tokens.apiToken, localAlarms: alarms, localEndpoints: endpoints, logger, ...operator.appDeps, ...(options.slack ? { slack: options.slack } : {}) });
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
    elbv2: elbServer.standIn,
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
      executionChanged = () => undefined;
      await operator.stop();
      const closed = new Promise<void>((res) => server.close(() => res()));
      // Keep-alive connections (a browser, a watching CLI) would otherwise hold close() open.
      if ('closeAllConnections' in server) server.closeAllConnections();
      await closed;
      stepFunctions.emulator.close();
      await stepFunctions.close();
      await cloudwatch.close();
      await signer.close();
      sfnClient.destroy();
      ecsClient.destroy();
      elbClient.destroy();
      await ecsServer.close();
      await elbServer.close();
      await dynamo.close();
    },
  };
}
