/**
 * Least-privilege IAM for the functions: each method adds one named statement (its `sid`) to a role,
 * scoped to what the config names. The orchestrator decides which function gets which (see
 * rollout-orchestrator.ts); a wildcard resource comes with the reason IAM leaves no narrower one, which
 * is also its cdk-nag acknowledgement.
 *
 * Resource types follow the Service Authorization Reference: ECS DescribeServices and
 * UpdateServicePrimaryTaskSet act on `service`, the task set actions on `task-set`, RegisterTaskDefinition
 * (and TagResource on create) on `task-definition`; DescribeTaskDefinition and X-Ray take
 * no resource. Step Functions evaluates SendTaskSuccess/Failure against the state machine
 * that issued the token (as CDK's grantTaskResponse grants), so those are scoped to it; DescribeExecution
 * acts on `execution`, whose names are made per rollout at run time.
 */
import { Annotations, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { AppConfig } from '../shared/config/types';
import { allEcsServiceArns, ecrRepositories, passRoleArns, type ArnEnvironment, type EcsServiceArns } from './config-arns';
import { acknowledgeWildcards } from './nag';
import { ROLLOUT_TABLE_INDEXES } from './rollout-table';
import { BY_ACTIVE_INDEX, BY_CREATED_INDEX } from '../shared/adapters/dynamodb/table-design';

/**
 * `items`: every item by its key (records and their events, service locks and queues, legacy active
 * markers, delivery claims, webhook deliveries): reads, conditional writes, deletes, batches of writes,
 * and queries of the table itself. `sweep` (the watchdog's): also the `byActive` index, the rollouts
 * that have not ended, and the `byCreated` index, whose `INTAKE` partition lists the webhook deliveries
 * not yet processed (the watchdog dispatches them again). `full`: also every list index (the API's
 * listings, and intake's look at a service's rollouts), not `byActive`.
 */
export type TableAccess = 'items' | 'sweep' | 'full';
/** `read`: describe. `shift`: also move weights, promote, roll back. `deploy`: also create the canary. */
export type EcsAccess = 'read' | 'shift' | 'deploy';

interface StatementExtras {
  readonly conditions?: Record<string, unknown>;
  /** Why a wildcard resource cannot be narrowed: becomes the cdk-nag acknowledgement's reason. */
  readonly wildcardReason?: string;
}

export interface RolloutGrantsProps {
  readonly config: AppConfig;
  readonly table: dynamodb.ITable;
  readonly stateMachineArn: string;
  /** Every execution of that state machine: `arn:…:states:<region>:<account>:execution:<stateMachineName>:*`. */
  readonly executionsArn: string;
}

export class RolloutGrants {
  private readonly env: ArnEnvironment;
  private readonly services: readonly EcsServiceArns[];
  private readonly taskDefinitions: readonly string[];

  constructor(
    private readonly scope: Construct,
    private readonly props: RolloutGrantsProps,
  ) {
    const stack = Stack.of(scope);
    this.env = { partition: stack.partition, region: stack.region, account: stack.account };
    this.services = allEcsServiceArns(props.config, this.env);
    // Families are read from the stable revision at run time, so only the services' accounts and regions are known.
    const prefixes = new Set(this.services.map((s) => s.service.slice(0, s.service.indexOf(':service/'))));
    this.taskDefinitions = [...prefixes].map((prefix) => `${prefix}:task-definition/*`);
    this.warnAboutMissingPassRoles();
  }

  table(role: iam.IRole, access: TableAccess): void {
    const { tableArn } = this.props.table;
    this.add(role, 'RolloutTable', ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'], [tableArn]);
    if (access === 'full') {
      this.add(role, 'RolloutTableIndexes', ['dynamodb:Query'], ROLLOUT_TABLE_INDEXES.map((index) => `${tableArn}/index/${index.name}`));
    } else if (access === 'sweep') {
      this.add(role, 'RolloutTableSweepIndexes', ['dynamodb:Query'], [BY_ACTIVE_INDEX, BY_CREATED_INDEX].map((index) => `${tableArn}/index/${index.name}`));
    }
    // A table encrypted with a customer managed key (brought as existingTable): every read and write
    // uses the key through DynamoDB, as CDK's own table grants allow it.
    const key = this.props.table.encryptionKey;
    if (key) {
      this.add(role, 'RolloutTableKey', ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'], [key.keyArn], {
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(this.scope).region}.amazonaws.com` } },
      });
    }
  }

  ecs(role: iam.IRole, access: EcsAccess): void {
    const writes = access !== 'read';
    this.add(
      role,
      'EcsServices',
      ['ecs:DescribeServices', ...(writes ? ['ecs:UpdateServicePrimaryTaskSet'] : [])],
      this.services.map((s) => s.service),
    );
    this.add(
      role,
      'EcsTaskSets',
      [
        ...(access === 'deploy' ? ['ecs:CreateTaskSet'] : []),
        ...(writes ? ['ecs:DeleteTaskSet'] : []),
        'ecs:DescribeTaskSets',
        ...(writes ? ['ecs:UpdateTaskSet'] : []),
      ],
      this.services.map((s) => s.taskSets),
      { wildcardReason: 'Task set ids are generated by ECS when a rollout creates its canary; scoped to the configured cluster and service.' },
    );
    this.add(role, 'EcsDescribeTaskDefinitions', ['ecs:DescribeTaskDefinition'], ['*'], {
      wildcardReason: 'ecs:DescribeTaskDefinition supports no resource-level permissions (Service Authorization Reference).',
    });
    if (access !== 'deploy') return;
    const taskDefinitionReason =
      'The task definition family is read from the running stable revision at rollout time; scoped to the account and ' +
      'region of the configured services (TagResource only as part of RegisterTaskDefinition).';
    this.add(role, 'EcsRegisterTaskDefinitions', ['ecs:RegisterTaskDefinition'], this.taskDefinitions, { wildcardReason: taskDefinitionReason });
    // A new revision copies the stable revision's tags, and tagging on create needs TagResource.
    this.add(role, 'EcsTagNewTaskDefinitions', ['ecs:TagResource'], this.taskDefinitions, {
      conditions: { StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } },
      wildcardReason: taskDefinitionReason,
    });
    const roles = passRoleArns(this.props.config);
    if (roles.length > 0) {
      this.add(role, 'PassTaskRoles', ['iam:PassRole'], roles, {
        conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      });
    }
  }

  /**
   * Moving the weights of `traffic.alb` (shared/adapters/elbv2/alb-traffic-router.ts): the router reads
   * the forward action it rewrites, then replaces it. DescribeRules and ModifyRule for configured listener
   * rules (blue-green preview rules too), DescribeListeners and ModifyListener for configured listeners (a
   * listener's default action); the checks at a rollout's start (shared/orchestration/alb-preflight.ts)
   * also read the load balancer and the target groups with their deregistration delay. The Modify actions
   * on their own resource types, the Describe actions on `*` (they support no resource-level
   * permissions). Nothing without a service with `traffic.alb`.
   */
  loadBalancers(role: iam.IRole): void {
    const albs = Object.values(this.props.config.services).flatMap((s) => (s.traffic ? [s.traffic.alb] : []));
    if (albs.length === 0) return;
    const previews = Object.values(this.props.config.services).flatMap((s) => (s.traffic && s.blueGreen ? [s.blueGreen.previewListenerRule] : []));
    const rules = [...new Set([...albs.flatMap((alb) => (alb.listenerRule ? [alb.listenerRule] : [])), ...previews])];
    const listeners = [...new Set(albs.flatMap((alb) => (alb.listener ? [alb.listener] : [])))];
    const describes = [
      ...(listeners.length > 0 ? ['elasticloadbalancing:DescribeListeners'] : []),
      'elasticloadbalancing:DescribeLoadBalancers',
      ...(rules.length > 0 ? ['elasticloadbalancing:DescribeRules'] : []),
      'elasticloadbalancing:DescribeTargetGroupAttributes',
      'elasticloadbalancing:DescribeTargetGroups',
    ];
    this.add(role, 'ElbDescribe', describes, ['*'], {
      wildcardReason: 'Elastic Load Balancing Describe actions support no resource-level permissions (Service Authorization Reference).',
    });
    if (rules.length > 0) this.add(role, 'ElbModifyRules', ['elasticloadbalancing:ModifyRule'], rules);
    if (listeners.length > 0) this.add(role, 'ElbModifyListeners', ['elasticloadbalancing:ModifyListener'], listeners);
  }

  /**
   * Starting a rollout's clock: the clock's state is read first (DescribeExecution on the record's
   * current execution, shared/orchestration/clock.ts), and again when a start finds the name taken.
   */
  startExecution(role: iam.IRole): void {
    this.add(role, 'StartRolloutExecution', ['states:StartExecution'], [this.props.stateMachineArn]);
    this.add(role, 'DescribeRolloutExecutions', ['states:DescribeExecution'], [this.props.executionsArn], {
      wildcardReason: 'Executions are named per rollout and clock attempt at run time; scoped to the executions of the rollout state machine.',
    });
  }

  answerApprovalWaits(role: iam.IRole): void {
    this.add(role, 'AnswerApprovalWaits', ['states:SendTaskFailure', 'states:SendTaskSuccess'], [this.props.stateMachineArn]);
  }

  /** Reading exactly the secrets the function reads (RolloutSecrets.readers); nothing when it reads none. */
  readSecrets(role: iam.IRole, secrets: readonly secretsmanager.ISecret[]): void {
    if (secrets.length === 0) return;
    // A secret named without its ARN's random 6-character suffix is matched with one (as CDK's grantRead does).
    const arns = secrets.map((secret) => secret.secretFullArn ?? `${secret.secretArn}-??????`);
    this.add(role, 'ReadSecrets', ['secretsmanager:GetSecretValue'], arns);
  }

  /** Handing a webhook delivery's work to the intake function: an asynchronous invocation (docs/architecture.md, "Webhook intake"). */
  invokeIntake(role: iam.IRole, intakeFunctionArn: string): void {
    this.add(role, 'InvokeIntake', ['lambda:InvokeFunction'], [intakeFunctionArn]);
  }

  /** Reading the configured alarms' states before each step; nothing without alarms. */
  readAlarms(role: iam.IRole): void {
    const stack = Stack.of(this.scope);
    const names = [...new Set(Object.values(this.props.config.services).flatMap((s) => s.alarms))];
    if (names.length === 0) return;
    const arns = names.map((n) => `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:${n}`);
    this.add(role, 'ReadAlarmStates', ['cloudwatch:DescribeAlarms'], arns);
  }

  /**
   * Reading manifests and signatures from the configured ECR repositories through the ECR API
   * (shared/adapters/ecr-registry): BatchGetImage (which also authorizes ListImageReferrers) and
   * GetDownloadUrlForLayer. No ecr:GetAuthorizationToken: nothing speaks ECR's Docker registry API.
   */
  pullFromEcr(role: iam.IRole): void {
    const repositories = ecrRepositories(this.props.config, this.env);
    if (repositories.length === 0) return;
    this.add(role, 'EcrPullImages', ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'], repositories.map((r) => r.arn));
  }

  /**
   * Asking AWS Signer whether an AWS Signer signature's profile version or job was revoked
   * (GetRevocationStatus); nothing when no service trusts AWS Signer.
   */
  checkSignerRevocation(role: iam.IRole): void {
    const configured = [...new Set(Object.values(this.props.config.services).flatMap((s) => s.verify.awsSigner?.signingProfiles ?? []))];
    if (configured.length === 0) return;
    const profiles = [...new Set(configured.map((arn) => arn.replace(/(:\/signing-profiles\/[^/]+)\/[^/]+$/, '$1')))];
    const jobs = [...new Set(profiles.map((arn) => arn.replace(/:\/signing-profiles\/.*$/, ':/signing-jobs/*')))];
    this.add(role, 'CheckSignerRevocation', ['signer:GetRevocationStatus'], [...profiles, ...profiles.map((arn) => `${arn}/*`), ...jobs], {
      wildcardReason:
        'Every signing makes a new signing job and a profile may get new versions, so neither is known at deploy time; ' +
        'scoped to the configured signing profiles and to the jobs of their accounts and Regions.',
    });
  }

  /** Adds one statement; a wildcard resource must come with the reason IAM leaves no way around it. */
  private add(role: iam.IRole, sid: string, actions: string[], resources: readonly string[], more: StatementExtras = {}): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid, actions, resources: [...resources], ...(more.conditions ? { conditions: more.conditions } : {}) }),
    );
    if (resources.some((r) => r.includes('*'))) {
      if (!more.wildcardReason) throw new Error(`RolloutGrants: statement ${sid} has a wildcard resource and no reason for it`);
      acknowledgeWildcards(role, resources, more.wildcardReason);
    }
  }

  private warnAboutMissingPassRoles(): void {
    const without = Object.values(this.props.config.services)
      .filter((service) => (service.aws?.passRoles ?? []).length === 0)
      .map((service) => service.name);
    if (without.length === 0) return;
    Annotations.of(this.scope).addWarningV2(
      'rollout:noPassRoles',
      `services ${without.join(', ')} list no aws.passRoles: no iam:PassRole is granted for them, so a rollout whose ` +
        'task definition names a task role or an execution role will fail (RegisterTaskDefinition and CreateTaskSet ' +
        'pass those roles to ECS). List the roles under services.<name>.aws.passRoles in the config.',
    );
  }
}
