/**
 * The whole orchestrator as one reusable construct: a platform team drops it into its own CDK app with
 * a loaded config (`loadConfig`), or builds it from a file with `RolloutOrchestrator.fromConfigFile`.
 * Wiring only: each concern is its own construct; who may do what is decided here, in one table.
 */
import { ArnFormat, type Duration, Names, RemovalPolicy, SecretValue, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENV } from '../functions/wiring/environment';
import { loadConfig } from '../shared/config/load-config';
import type { AppConfig } from '../shared/config/types';
import { synthEnvironment } from './app-config';
import { acknowledgeRule, acknowledgeWildcards } from './nag';
import { registryPasswordEnvNames, writeResolvedConfig } from './resolved-config';
import { RolloutEventRules } from './rollout-event-rules';
import { RolloutFunctions } from './rollout-functions';
import { RolloutGrants } from './rollout-grants';
import { RolloutStateMachine } from './rollout-state-machine';
import { RolloutTable, type RolloutTableProps } from './rollout-table';
import { RolloutTokens } from './rollout-tokens';
import { WebhookApi } from './webhook-api';

interface RolloutOrchestratorCommonProps {
  /** The loaded config (`loadConfig(file)`): services, registries, keys, steps, alarms. */
  readonly config: AppConfig;
  /**
   * How long function, state machine and access logs are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the table (when built here) and the token secrets when they leave the stack.
   * `tableProps.removalPolicy` wins for the table.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * How long one approval wait lasts before the workflow looks at the rollout again.
   * @default Duration.days(1)
   */
  readonly approvalWaitTimeout?: Duration;
  /**
   * API Gateway rate limit (requests per second) and burst.
   * @default { rateLimit: 50, burstLimit: 100 }
   */
  readonly apiThrottle?: { readonly rateLimit?: number; readonly burstLimit?: number };
  /**
   * For every registry in the config that has a username: the name or ARN of a Secrets Manager secret
   * whose SecretString is its password. CloudFormation resolves it at deploy time into the environment
   * of the functions that verify signatures; it never enters the template, the bundle or cdk.out.
   * Required for each such registry.
   * @default none
   */
  readonly registryPasswordSecrets?: Readonly<Record<string, string>>;
}

/** Bring your own table (with the keys of table-design.ts), or let the construct build one. */
export type RolloutTableChoice =
  | { readonly existingTable: dynamodb.ITable; readonly tableProps?: never }
  | { readonly existingTable?: never; readonly tableProps?: RolloutTableProps };

export type RolloutOrchestratorProps = RolloutOrchestratorCommonProps & RolloutTableChoice;

export class RolloutOrchestrator extends Construct {
  /**
   * Loads the config file (keys are read from disk, hence async), then builds the construct. Registry
   * password variables need not be set: passwords come from `registryPasswordSecrets` at deploy time.
   */
  static async fromConfigFile(
    scope: Construct,
    id: string,
    props: Omit<RolloutOrchestratorCommonProps, 'config'> & RolloutTableChoice & { readonly configFile: string },
  ): Promise<RolloutOrchestrator> {
    const { configFile, ...rest } = props;
    return new RolloutOrchestrator(scope, id, { ...rest, config: await loadConfig(configFile, synthEnvironment()) } as RolloutOrchestratorProps);
  }

  readonly table: dynamodb.ITable;
  /** Undefined when `existingTable` was given. */
  readonly rolloutTable?: RolloutTable;
  readonly tokens: RolloutTokens;
  readonly functions: RolloutFunctions;
  readonly workflow: RolloutStateMachine;
  readonly api: WebhookApi;
  readonly eventRules: RolloutEventRules;
  /** The resolved config file shipped in every bundle (written at synth). */
  readonly bundledConfigFile: string;

  constructor(scope: Construct, id: string, props: RolloutOrchestratorProps) {
    super(scope, id);
    validate(props);
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    if (props.existingTable) this.table = props.existingTable;
    else {
      this.rolloutTable = new RolloutTable(this, 'Rollouts', { removalPolicy, ...props.tableProps });
      this.table = this.rolloutTable.table;
    }
    this.tokens = new RolloutTokens(this, 'Tokens', { removalPolicy });

    // A fixed name gives the functions the machine's ARN without a reference to it (a cycle otherwise).
    const stateMachineName = `${Names.uniqueResourceName(this, { maxLength: 71, separator: '-' })}-Workflow`;
    const stateMachineArn = Stack.of(this).formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: stateMachineName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    // Its executions: `execution:<stateMachineName>:<executionName>`.
    const executionsArn = Stack.of(this).formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    this.bundledConfigFile = writeResolvedConfig(props.config);
    this.functions = new RolloutFunctions(this, 'Functions', {
      configFile: this.bundledConfigFile,
      tableName: this.table.tableName,
      stateMachineArn,
      ...registryPasswordEnvironment(props),
      apiEnvironment: {
        [ENV.webhookTokenSecret]: this.tokens.webhookToken.secretArn,
        [ENV.apiTokenSecret]: this.tokens.apiToken.secretArn,
      },
      logRetention,
    });

    this.workflow = new RolloutStateMachine(this, 'Workflow', {
      advanceFunction: this.functions.advance,
      awaitApprovalFunction: this.functions.awaitApproval,
      recoverFunction: this.functions.recover,
      stateMachineName,
      logGroup: new logs.LogGroup(this, 'WorkflowLogs', { retention: logRetention, removalPolicy: RemovalPolicy.DESTROY }),
      ...(props.approvalWaitTimeout === undefined ? {} : { approvalWaitTimeout: props.approvalWaitTimeout }),
    });

    this.grantAccess(props.config, stateMachineArn, executionsArn);
    this.api = new WebhookApi(this, 'Api', { handler: this.functions.api, logRetention, ...props.apiThrottle });
    this.eventRules = new RolloutEventRules(this, 'Events', {
      config: props.config,
      alarmFunction: this.functions.alarmStateChange,
      ecrPushFunction: this.functions.ecrPush,
      ecsEventFunction: this.functions.ecsEvent,
      watchdogFunction: this.functions.watchdog,
      stateMachineArn: this.workflow.stateMachine.stateMachineArn,
    });
    this.suppressFindings();
  }

  /**
   * Who may do what. Derived from what each entry point can run (shared/orchestration/*), not only
   * from what it usually does:
   * - any step that may take the service lock (Started) or end a rollout (which releases the lock and
   *   starts the next queued rollout) starts a clock: StartExecution, after DescribeExecution;
   * - taking the lock supersedes the holder under the default onNewImage policy, which rolls it back
   *   and answers its wait: ecrPush shifts and answers like the API;
   * - the callback waits (AwaitSteady) and the ECS event handler look at ECS through steadyWeight, which
   *   re-applies a drifted weight (UpdateTaskSet) and rolls back a rollout whose canary disappeared;
   * - the watchdog answers owed and overdue waits and hands the lock on; a hand-off that loses a race
   *   for the lock supersedes the holder, so it shifts too;
   * - only the API and the intake list rollouts (the indexes); only Advance creates canaries and
   *   checks alarms; signatures are verified where images arrive (registry webhooks, ECR pushes).
   */
  private grantAccess(config: AppConfig, stateMachineArn: string, executionsArn: string): void {
    const grants = new RolloutGrants(this, {
      config,
      table: this.table,
      stateMachineArn,
      executionsArn,
      tokens: [this.tokens.webhookToken, this.tokens.apiToken],
    });
    const { roles } = this.functions;
    for (const role of [roles.api, roles.advance, roles.recover, roles.alarmStateChange, roles.ecrPush]) grants.table(role, 'full');
    for (const role of [roles.awaitApproval, roles.ecsEvent, roles.watchdog]) grants.table(role, 'items');
    for (const role of Object.values(roles)) {
      grants.startExecution(role);
      grants.answerApprovalWaits(role);
    }
    grants.ecs(roles.advance, 'deploy');
    for (const role of [roles.api, roles.recover, roles.alarmStateChange, roles.ecrPush, roles.awaitApproval, roles.ecsEvent, roles.watchdog]) {
      grants.ecs(role, 'shift');
    }
    grants.readAlarms(roles.advance);
    grants.pullFromEcr(roles.api);
    grants.pullFromEcr(roles.ecrPush);
    grants.readTokens(roles.api);
    // The API answers a webhook and hands its work to the intake function; the watchdog hands it a delivery whose work was lost.
    for (const role of [roles.api, roles.watchdog]) grants.invokeIntake(role, this.functions.ecrPush.functionArn);
  }

  private suppressFindings(): void {
    acknowledgeRule(this.functions, 'AwsSolutions-L1', 'Node.js 22 is the runtime this project targets and tests (a requirement of the deployment).');
    const steps = [this.functions.advance, this.functions.awaitApproval, this.functions.recover];
    acknowledgeWildcards(
      this.workflow,
      steps.map((fn) => `${fn.functionArn}:*`),
      'CDK grants the state machine lambda:InvokeFunction on its three step functions and their versions and aliases (<arn>:*).',
    );
    acknowledgeRule(
      this.workflow.stateMachine,
      'AwsSolutions-SF1',
      'Logs errors only, without execution data: the data holds approval task tokens, and the execution history ' +
        '(kept 90 days) already records every state; the rollout record in DynamoDB is the audit log.',
    );
    acknowledgeWildcards(
      this.workflow,
      ['*'],
      'X-Ray tracing and CloudWatch Logs delivery (CreateLogDelivery, PutResourcePolicy...) support no resource-level permissions.',
    );
  }
}

function validate(props: RolloutOrchestratorProps): void {
  if (props.existingTable && props.tableProps) {
    throw new Error('RolloutOrchestrator: give either existingTable or tableProps, not both (tableProps builds a new table)');
  }
  const needed = Object.keys(registryPasswordEnvNames(props.config));
  const given = Object.keys(props.registryPasswordSecrets ?? {});
  const missing = needed.filter((host) => !given.includes(host));
  if (missing.length > 0) {
    throw new Error(
      `RolloutOrchestrator: registries ${missing.join(', ')} have credentials in the config: give registryPasswordSecrets[host], ` +
        'the name or ARN of a Secrets Manager secret holding the password (passwords never go into the bundle)',
    );
  }
  const unknown = given.filter((host) => !needed.includes(host));
  if (unknown.length > 0) {
    throw new Error(`RolloutOrchestrator: registryPasswordSecrets names ${unknown.join(', ')}, which the config lists without a username`);
  }
}

/**
 * The password variables the resolved config names. The functions that verify signatures get the
 * password, resolved by CloudFormation from Secrets Manager at deploy time; the others never talk to a
 * registry but load the same config, which needs the variable set, so they get a placeholder.
 */
function registryPasswordEnvironment(props: RolloutOrchestratorProps) {
  const names = Object.entries(registryPasswordEnvNames(props.config));
  return {
    environment: Object.fromEntries(names.map(([, variable]) => [variable, 'unused-by-this-function'])),
    verifierEnvironment: Object.fromEntries(
      names.map(([host, variable]) => [variable, SecretValue.secretsManager(props.registryPasswordSecrets![host]!).unsafeUnwrap()]),
    ),
  };
}
