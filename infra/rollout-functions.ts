/**
 * The eight Lambda functions: thin entry points (functions/*.ts, one composition root each), each
 * built by esbuild at synth into a directory of its own with code splitting (function-bundles.ts),
 * each with its own role and log group, so that every permission is granted to exactly the functions
 * that use it (RolloutGrants). The resolved config (resolved-config.ts) is copied into every bundle.
 */
import { rmSync } from 'node:fs';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { DISABLE_ASSET_STAGING_CONTEXT } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENV } from '../functions/wiring/environment';
import { buildFunction, unbuiltFunction } from './function-bundles';
import { acknowledgeWildcards } from './nag';
import { BUNDLED_CONFIG_PATH } from './resolved-config';

/** The repository root: entries and node_modules are found from here. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface RolloutFunctionsProps {
  /** The resolved config JSON written at synth (`writeResolvedConfig`); copied into every bundle. */
  readonly configFile: string;
  readonly tableName: string;
  /** Known before the state machine exists (it has a fixed name): see RolloutStateMachineProps.stateMachineName. */
  readonly stateMachineArn: string;
  /** Extra environment for every function. */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * How long the functions' logs are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

interface FunctionSpec {
  /** The function's own entry point, `functions/<entry>.ts`: its composition root. */
  readonly entry: 'api' | 'advance' | 'await-approval' | 'recover' | 'alarm-state-change' | 'ecr-push' | 'ecs-event' | 'watchdog';
  /** The entry point's export Lambda calls. */
  readonly handler: string;
  readonly description: string;
  readonly memorySize: number;
  readonly timeout: Duration;
}

// Timeouts: the API answers within API Gateway's 29 s; Advance loops until it reaches a wait (steady
// state polls and ECS calls), so it gets a minute; verifying a signature fetches from the registry.
// The callback waits (AwaitApproval, AwaitSteady) and the ECS event handler look at ECS and may
// re-apply a drifted weight or roll back (retried with backoff), then hand the service lock on: a
// minute, like the other handlers that touch ECS. The watchdog sweeps every active rollout one after
// the other (a few reads each, a clock start or an answer for some), so it may take longer: 5 minutes
// at most. Its schedule fires every minute, so a sweep longer than that overlaps the next one; that is
// safe (every write is version-checked, a clock attempt is taken by one starter only) and rare (a
// sweep of a few dozen active rollouts takes seconds), and a late tick is dropped, not queued
// (rollout-event-rules.ts), so sweeps never pile up.
const SPECS = {
  api: { entry: 'api', handler: 'handler', description: 'HTTP API and registry webhooks (Hono)', memorySize: 512, timeout: Duration.seconds(29) },
  advance: { entry: 'advance', handler: 'advance', description: 'Workflow step: moves a rollout as far as it can go now', memorySize: 512, timeout: Duration.seconds(60) },
  awaitApproval: {
    entry: 'await-approval',
    handler: 'awaitApproval',
    description: 'Workflow callback waits (approval, ECS steady): keeps the task token, answers it when already due',
    memorySize: 512,
    timeout: Duration.seconds(60),
  },
  recover: { entry: 'recover', handler: 'recover', description: 'Workflow catch-all: rolls the rollout back', memorySize: 512, timeout: Duration.seconds(60) },
  alarmStateChange: { entry: 'alarm-state-change', handler: 'alarmStateChange', description: 'CloudWatch alarm in ALARM: rolls back the rollouts watching it', memorySize: 512, timeout: Duration.seconds(60) },
  ecrPush: {
    entry: 'ecr-push',
    handler: 'ecrPush',
    description: 'Intake: ECR pushes and the webhook deliveries the API answered; verifies signatures and starts rollouts',
    memorySize: 512,
    timeout: Duration.seconds(60),
  },
  ecsEvent: { entry: 'ecs-event', handler: 'ecsEvent', description: 'ECS steady state event: answers the steady wait of the rollout of that service', memorySize: 512, timeout: Duration.seconds(60) },
  watchdog: {
    entry: 'watchdog',
    handler: 'watchdog',
    description: 'Every minute and when an execution ends: re-drives active rollouts, answers due waits',
    memorySize: 512,
    timeout: Duration.minutes(5),
  },
} as const satisfies Record<string, FunctionSpec>;

export type RolloutFunctionName = keyof typeof SPECS;
export const ROLLOUT_FUNCTION_NAMES = Object.keys(SPECS) as RolloutFunctionName[];

export class RolloutFunctions extends Construct {
  readonly api: lambda.Function;
  readonly advance: lambda.Function;
  readonly awaitApproval: lambda.Function;
  readonly recover: lambda.Function;
  readonly alarmStateChange: lambda.Function;
  readonly ecrPush: lambda.Function;
  readonly ecsEvent: lambda.Function;
  readonly watchdog: lambda.Function;
  /** Every function by name, in a fixed order. */
  readonly all: Readonly<Record<RolloutFunctionName, lambda.Function>>;
  readonly logGroups: Readonly<Record<RolloutFunctionName, logs.LogGroup>>;
  /** Each function's own role; RolloutGrants adds to them. */
  readonly roles: Readonly<Record<RolloutFunctionName, iam.Role>>;

  constructor(scope: Construct, id: string, props: RolloutFunctionsProps) {
    super(scope, id);
    const logGroups = {} as Record<RolloutFunctionName, logs.LogGroup>;
    const all = {} as Record<RolloutFunctionName, lambda.Function>;
    const roles = {} as Record<RolloutFunctionName, iam.Role>;
    for (const name of ROLLOUT_FUNCTION_NAMES) {
      logGroups[name] = new logs.LogGroup(this, `${capitalize(name)}Logs`, {
        retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      roles[name] = this.createRole(name, logGroups[name]);
      all[name] = this.createFunction(name, SPECS[name], logGroups[name], roles[name], props);
    }
    this.all = all;
    this.roles = roles;
    this.logGroups = logGroups;
    ({ api: this.api, advance: this.advance, awaitApproval: this.awaitApproval, recover: this.recover } = all);
    ({ alarmStateChange: this.alarmStateChange, ecrPush: this.ecrPush, ecsEvent: this.ecsEvent, watchdog: this.watchdog } = all);
    // The API and the watchdog hand webhook deliveries to the intake function (functions/ecr-push.ts).
    for (const fn of [this.api, this.watchdog]) fn.addEnvironment(ENV.intakeFunction, this.ecrPush.functionName);
  }

  /** An own role per function instead of AWSLambdaBasicExecutionRole (logs:* on every log group). */
  private createRole(name: RolloutFunctionName, logGroup: logs.LogGroup): iam.Role {
    const role = new iam.Role(this, `${capitalize(name)}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Rollout orchestrator: the ${name} function`,
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'WriteOwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
    );
    // Tracing: CDK grants xray:PutTraceSegments/PutTelemetryRecords, which take no resource.
    acknowledgeWildcards(role, ['*'], 'X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions.');
    return role;
  }

  private createFunction(name: RolloutFunctionName, spec: FunctionSpec, logGroup: logs.LogGroup, role: iam.Role, props: RolloutFunctionsProps) {
    // Built unless this stack's bundling is skipped (`cdk ls`, tests that synthesize with
    // `aws:cdk:bundling-stacks` empty): then a placeholder holds the config alone.
    const entry = join(PROJECT_ROOT, 'functions', `${spec.entry}.ts`);
    const code = Stack.of(this).bundlingRequired ? buildFunction(entry, props.configFile, PROJECT_ROOT).dir : unbuiltFunction(props.configFile);
    const fn = new lambda.Function(this, capitalize(name), {
      code: lambda.Code.fromAsset(code),
      handler: `index.${spec.handler}`,
      description: spec.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: spec.memorySize,
      timeout: spec.timeout,
      tracing: lambda.Tracing.ACTIVE,
      role,
      logGroup,
      environment: {
        [ENV.table]: props.tableName,
        [ENV.stateMachine]: props.stateMachineArn,
        [ENV.config]: BUNDLED_CONFIG_PATH,
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
    });
    // The function's asset is staged (copied into the cloud assembly) as the function is built, so the
    // directory esbuild wrote in the temp folder is no longer needed: removed, or every synth would leave
    // the eight bundles behind (docs/architecture.md, "Lambda bundles"). Not when staging is disabled
    // (`cdk synth --no-staging`): the assembly then points at the directory itself.
    if (!this.node.tryGetContext(DISABLE_ASSET_STAGING_CONTEXT)) rmSync(code, { recursive: true, force: true });
    return fn;
  }
}

const capitalize = (name: string): string => name.charAt(0).toUpperCase() + name.slice(1);
