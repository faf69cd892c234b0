/**
 * The whole orchestrator as one reusable construct: a platform team drops it into its own CDK app with
 * a loaded config (`loadConfig`), or builds it from a file with `RolloutOrchestrator.fromConfigFile`.
 * Wiring only: each concern is its own construct; who may do what is decided here, in one table.
 */
import { ArnFormat, type Duration, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ENV } from '../functions/wiring/environment';
import { PUBLIC_URL_ENV } from '../shared/observability/operator-wiring';
import { loadConfig } from '../shared/config/load-config';
import type { AppConfig } from '../shared/config/types';
import { synthEnvironment } from './app-config';
import { acknowledgeRule, acknowledgeWildcards } from './nag';
import { writeResolvedConfig } from './resolved-config';
import { RolloutAlarms } from './rollout-alarms';
import { RolloutEventRules } from './rollout-event-rules';
import { ROLLOUT_FUNCTION_NAMES, RolloutFunctions } from './rollout-functions';
import { RolloutGrants } from './rollout-grants';
import { RolloutStateMachine } from './rollout-state-machine';
import { RolloutTable, type RolloutTableProps } from './rollout-table';
import { RolloutSecrets } from './rollout-secrets';
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
   * How long one wait for ECS to be steady (AwaitSteady) lasts before Advance looks at ECS itself, in
   * case its event never came. Each rollout's own steady timeout (`steadyTimeout`, kept on its record)
   * is enforced by the watchdog, not by this. Raise it with slow health checks or long deregistration
   * delays to spend fewer state transitions on looks.
   * @default Duration.minutes(10)
   */
  readonly steadyWaitTimeout?: Duration;
  /**
   * API Gateway rate limit (requests per second) and burst.
   * @default { rateLimit: 50, burstLimit: 100 }
   */
  readonly apiThrottle?: { readonly rateLimit?: number; readonly burstLimit?: number };
  /**
   * Existing Secrets Manager secrets to use (name or ARN), by the variable the config names
   * (`passwordEnv`, `tokenEnv`, `secretEnv`, `webhookUrlEnv`). A variable not listed gets a secret of
   * the stack named `<stack name>/<VARIABLE>`, whose value is put in after deploying (docs/aws.md).
   * @default none: the stack creates one secret per variable
   */
  readonly secrets?: Readonly<Record<string, string>>;
  /**
   * By registry host, the name or ARN of the secret holding its password: the older form of `secrets`,
   * which wins where both name the same variable.
   * @default none
   */
  readonly registryPasswordSecrets?: Readonly<Record<string, string>>;
  /**
   * An SNS topic the orchestrator's own alarms notify (dead letters, a FAILED rollout, repeated
   * watchdog re-drives, function errors), on ALARM and back to OK.
   * @default none: the alarms exist and only change state
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * The URL people reach the API at, put in approval links and notifications (a custom domain).
   * @default the HTTP API's own URL
   */
  readonly publicUrl?: string;
}

/** Bring your own table (with the keys of table-design.ts), or let the construct build one. */
export type RolloutTableChoice =
  | { readonly existingTable: dynamodb.ITable; readonly tableProps?: never }
  | { readonly existingTable?: never; readonly tableProps?: RolloutTableProps };

export type RolloutOrchestratorProps = RolloutOrchestratorCommonProps & RolloutTableChoice;

export class RolloutOrchestrator extends Construct {
  /**
   * Loads the config file (keys are read from disk, hence async), then builds the construct. The
   * variables the config names need not be set: the functions read them from Secrets Manager.
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
  /** Every secret the functions read, by variable, and who reads which. */
  readonly secrets: RolloutSecrets;
  readonly functions: RolloutFunctions;
  readonly workflow: RolloutStateMachine;
  readonly api: WebhookApi;
  readonly eventRules: RolloutEventRules;
  /** CloudWatch alarms on the orchestrator itself. */
  readonly alarms: RolloutAlarms;
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
      logRetention,
    });
    this.secrets = new RolloutSecrets(this, 'Secrets', {
      config: props.config,
      tokens: this.tokens,
      removalPolicy,
      ...(props.secrets ? { secrets: props.secrets } : {}),
      ...(props.registryPasswordSecrets ? { registryPasswordSecrets: props.registryPasswordSecrets } : {}),
    });
    for (const name of ROLLOUT_FUNCTION_NAMES) {
      if (this.secrets.readers[name].length > 0) this.functions.all[name].addEnvironment(ENV.secrets, this.secrets.environmentOf(name));
    }

    this.workflow = new RolloutStateMachine(this, 'Workflow', {
      advanceFunction: this.functions.advance,
      awaitApprovalFunction: this.functions.awaitApproval,
      recoverFunction: this.functions.recover,
      stateMachineName,
      // Under /aws/vendedlogs/: the name CloudWatch Logs documents for vended logs, so that Step Functions'
      // log delivery does not grow the account's log resource policy towards its size limit.
      logGroup: new logs.LogGroup(this, 'WorkflowLogs', {
        logGroupName: `/aws/vendedlogs/states/${stateMachineName}`,
        retention: logRetention,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
      ...(props.approvalWaitTimeout === undefined ? {} : { approvalWaitTimeout: props.approvalWaitTimeout }),
      ...(props.steadyWaitTimeout === undefined ? {} : { steadyWaitTimeout: props.steadyWaitTimeout }),
    });

    this.grantAccess(props.config, stateMachineArn, executionsArn);
    this.api = new WebhookApi(this, 'Api', { handler: this.functions.api, logRetention, ...props.apiThrottle });
    // Approval links and the dashboard link in notifications point here; only notifying stacks need it.
    if (this.secrets.linkSecret) {
      for (const fn of Object.values(this.functions.all)) fn.addEnvironment(PUBLIC_URL_ENV, props.publicUrl ?? this.api.url);
    }
    this.eventRules = new RolloutEventRules(this, 'Events', {
      config: props.config,
      alarmFunction: this.functions.alarmStateChange,
      ecrPushFunction: this.functions.ecrPush,
      ecsEventFunction: this.functions.ecsEvent,
      watchdogFunction: this.functions.watchdog,
      stateMachineArn: this.workflow.stateMachine.stateMachineArn,
    });
    this.alarms = new RolloutAlarms(this, 'Alarms', {
      functions: this.functions.all,
      deadLetterQueue: this.eventRules.deadLetterQueue,
      services: Object.keys(props.config.services),
      ...(props.alarmTopic ? { topic: props.alarmTopic } : {}),
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
   *   checks alarms; signatures are verified where images arrive (registry webhooks, ECR pushes) and by
   *   Advance, which looks again for a signature pushed after its image.
   */
  private grantAccess(config: AppConfig, stateMachineArn: string, executionsArn: string): void {
    const grants = new RolloutGrants(this, { config, table: this.table, stateMachineArn, executionsArn });
    const { roles } = this.functions;
    // Only the API's listings and intake's newerThanStable tag policy (a service's succeeded rollouts)
    // read the list indexes.
    const readsListings = Object.values(config.services).some((service) => service.tagPolicy?.newerThanStable);
    grants.table(roles.api, 'full');
    grants.table(roles.ecrPush, readsListings ? 'full' : 'items');
    for (const role of [roles.advance, roles.recover, roles.alarmStateChange, roles.awaitApproval, roles.ecsEvent]) grants.table(role, 'items');
    // The watchdog sweeps the active rollouts and dispatches again the webhook deliveries whose work
    // was lost: both listed by an index.
    grants.table(roles.watchdog, 'sweep');
    for (const role of Object.values(roles)) {
      grants.startExecution(role);
      grants.answerApprovalWaits(role);
    }
    grants.ecs(roles.advance, 'deploy');
    for (const role of [roles.api, roles.recover, roles.alarmStateChange, roles.ecrPush, roles.awaitApproval, roles.ecsEvent, roles.watchdog]) {
      grants.ecs(role, 'shift');
    }
    // Every function that moves task sets moves their traffic too (traffic.alb).
    for (const role of [roles.advance, roles.api, roles.recover, roles.alarmStateChange, roles.ecrPush, roles.awaitApproval, roles.ecsEvent, roles.watchdog]) {
      grants.loadBalancers(role);
    }
    grants.readAlarms(roles.advance);
    // Verifying a signature reads the registry: where images arrive, and in Advance's own look for a
    // signature pushed after its image (cosign, Notation or AWS Signer), which also asks AWS Signer
    // whether the signing profile or job was revoked.
    for (const role of [roles.api, roles.ecrPush, roles.advance]) {
      grants.pullFromEcr(role);
      grants.checkSignerRevocation(role);
    }
    for (const name of ROLLOUT_FUNCTION_NAMES) grants.readSecrets(roles[name], this.secrets.readers[name].map((s) => s.secret));
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
}

