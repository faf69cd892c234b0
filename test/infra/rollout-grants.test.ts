/**
 * Least privilege, statement by statement: every function's policy is compared whole, so a permission
 * added to the wrong function (or a new one nobody reviewed) fails here.
 */
import { describe, expect, it } from 'vitest';
import { createRootCa } from '../../local/registry/test-certificates';
import {
  ACCOUNT,
  configFrom,
  EXECUTION_ROLE,
  logicalId,
  REGION,
  statement,
  statementsOf,
  synth,
  TASK_ROLE,
  TEST_CONFIG_YAML,
  synthDefault,
  type Synthesized,
} from './infra-fixtures';

const STATE_MACHINE = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Rollout-Orchestrator-0E8FC0EE-Workflow`;
const EXECUTIONS = `arn:aws:states:${REGION}:${ACCOUNT}:execution:Rollout-Orchestrator-0E8FC0EE-Workflow:*`;
const SERVICES = [`arn:aws:ecs:${REGION}:${ACCOUNT}:service/batch/worker`, `arn:aws:ecs:${REGION}:${ACCOUNT}:service/prod/web`];
const TASK_SETS = [`arn:aws:ecs:${REGION}:${ACCOUNT}:task-set/batch/worker/*`, `arn:aws:ecs:${REGION}:${ACCOUNT}:task-set/prod/web/*`];
const TASK_DEFINITIONS = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/*`;

async function synthesized(): Promise<Synthesized & { table: string; logs: (name: string) => string }> {
  const result = await synthDefault();
  const { orchestrator } = result.stack;
  return {
    ...result,
    table: logicalId(orchestrator.rolloutTable!.table),
    logs: (name) => logicalId(orchestrator.functions.logGroups[name as 'api']),
  };
}

const tableStatements = (table: string, access: 'full' | 'sweep' | 'items') => [
  {
    Sid: 'RolloutTable',
    Effect: 'Allow',
    Action: ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
    Resource: { 'Fn::GetAtt': [table, 'Arn'] },
  },
  ...(access === 'full'
    ? [
        {
          Sid: 'RolloutTableIndexes',
          Effect: 'Allow',
          Action: 'dynamodb:Query',
          Resource: ['byCreated', 'byService'].map((index) => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [table, 'Arn'] }, `/index/${index}`]] })),
        },
      ]
    : access === 'sweep'
      ? [
          {
            Sid: 'RolloutTableSweepIndexes',
            Effect: 'Allow',
            Action: 'dynamodb:Query',
            Resource: ['byActive', 'byCreated'].map((index) => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [table, 'Arn'] }, `/index/${index}`]] })),
          },
        ]
      : []),
];

const common = (logGroup: string) => [
  { Sid: 'WriteOwnLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [logGroup, 'Arn'] } },
  { Effect: 'Allow', Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Resource: '*' },
];

/** Starting a clock: StartExecution on the state machine, DescribeExecution (the clock's state) on its executions. */
const start = [
  { Sid: 'StartRolloutExecution', Effect: 'Allow', Action: 'states:StartExecution', Resource: STATE_MACHINE },
  { Sid: 'DescribeRolloutExecutions', Effect: 'Allow', Action: 'states:DescribeExecution', Resource: EXECUTIONS },
];
const answer = { Sid: 'AnswerApprovalWaits', Effect: 'Allow', Action: ['states:SendTaskFailure', 'states:SendTaskSuccess'], Resource: STATE_MACHINE };

const ecs = (access: 'read' | 'shift' | 'deploy') => [
  {
    Sid: 'EcsServices',
    Effect: 'Allow',
    Action: access === 'read' ? 'ecs:DescribeServices' : ['ecs:DescribeServices', 'ecs:UpdateServicePrimaryTaskSet'],
    Resource: SERVICES,
  },
  {
    Sid: 'EcsTaskSets',
    Effect: 'Allow',
    Action: {
      read: 'ecs:DescribeTaskSets',
      shift: ['ecs:DeleteTaskSet', 'ecs:DescribeTaskSets', 'ecs:UpdateTaskSet'],
      deploy: ['ecs:CreateTaskSet', 'ecs:DeleteTaskSet', 'ecs:DescribeTaskSets', 'ecs:UpdateTaskSet'],
    }[access],
    Resource: TASK_SETS,
  },
  { Sid: 'EcsDescribeTaskDefinitions', Effect: 'Allow', Action: 'ecs:DescribeTaskDefinition', Resource: '*' },
];

const deploy = [
  { Sid: 'EcsRegisterTaskDefinitions', Effect: 'Allow', Action: 'ecs:RegisterTaskDefinition', Resource: TASK_DEFINITIONS },
  {
    Sid: 'EcsTagNewTaskDefinitions',
    Effect: 'Allow',
    Action: 'ecs:TagResource',
    Resource: TASK_DEFINITIONS,
    Condition: { StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } },
  },
  {
    Sid: 'PassTaskRoles',
    Effect: 'Allow',
    Action: 'iam:PassRole',
    Resource: [EXECUTION_ROLE, TASK_ROLE],
    Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
  },
];

// No ecr:GetAuthorizationToken: the functions read ECR through its API only, never its Docker registry API.
const ecrPull = [
  {
    Sid: 'EcrPullImages',
    Effect: 'Allow',
    Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
    Resource: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/team/web`,
  },
];

/** Handing a webhook delivery's work to the intake function (the ECR push function): nothing else may be invoked. */
const invokeIntake = (s: Synthesized) => ({
  Sid: 'InvokeIntake',
  Effect: 'Allow',
  Action: 'lambda:InvokeFunction',
  Resource: { 'Fn::GetAtt': [logicalId(s.stack.orchestrator.functions.ecrPush), 'Arn'] },
});

const deadLetters = (queue: string) => ({
  Effect: 'Allow',
  Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
  Resource: { 'Fn::GetAtt': [queue, 'Arn'] },
});

describe('the functions’ IAM policies', () => {
  it('let the API read the tables, shift weights, start and answer workflows, pull from ECR and read the tokens', async () => {
    const s = await synthesized();
    const tokens = [s.stack.orchestrator.tokens.apiToken, s.stack.orchestrator.tokens.webhookToken].map((secret) => ({ Ref: logicalId(secret) }));
    expect(statementsOf(s.template, 'index.handler')).toEqual([
      ...common(s.logs('api')),
      ...tableStatements(s.table, 'full'),
      ...start,
      answer,
      ...ecs('shift'),
      ...ecrPull,
      { Sid: 'ReadSecrets', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: tokens },
      invokeIntake(s),
    ]);
  });

  it('let Advance deploy canaries (register task definitions, create task sets, pass only the configured roles to ECS tasks) and read ECR for late signatures', async () => {
    const s = await synthesized();
    expect(statementsOf(s.template, 'index.advance')).toEqual([
      ...common(s.logs('advance')),
      ...tableStatements(s.table, 'items'),
      ...start,
      answer,
      ...ecs('deploy'),
      ...deploy,
      {
        Sid: 'ReadAlarmStates',
        Effect: 'Allow',
        Action: 'cloudwatch:DescribeAlarms',
        Resource: ['web-5xx', 'web-latency', 'worker-errors'].map((n) => `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${n}`),
      },
      // Looking again for a late signature (cosign, Notation or AWS Signer) in ECR.
      ...ecrPull,
    ]);
  });

  it('let Recover and the alarm handler roll back (shift), but not create canaries', async () => {
    const s = await synthesized();
    const queue = logicalId(s.stack.orchestrator.eventRules.deadLetterQueue);
    expect(statementsOf(s.template, 'index.recover')).toEqual([...common(s.logs('recover')), ...tableStatements(s.table, 'items'), ...start, answer, ...ecs('shift')]);
    expect(statementsOf(s.template, 'index.alarmStateChange')).toEqual([
      ...common(s.logs('alarmStateChange')),
      ...tableStatements(s.table, 'items'),
      ...start,
      answer,
      ...ecs('shift'),
      deadLetters(queue),
    ]);
  });

  it('let AwaitApproval keep and answer its waits, look at ECS and act on what it finds there (shift), without listing', async () => {
    // AwaitSteady's look at ECS re-applies a drifted weight and rolls back a rollout whose canary is
    // gone; a rollback that ends the rollout releases the lock and starts the next queued rollout.
    const s = await synthesized();
    expect(statementsOf(s.template, 'index.awaitApproval')).toEqual([
      ...common(s.logs('awaitApproval')),
      ...tableStatements(s.table, 'items'),
      ...start,
      answer,
      ...ecs('shift'),
    ]);
  });

  it('let the ECR push handler start rollouts, and supersede (roll back) the one holding the lock', async () => {
    const s = await synthesized();
    const queue = logicalId(s.stack.orchestrator.eventRules.deadLetterQueue);
    expect(statementsOf(s.template, 'index.ecrPush')).toEqual([
      ...common(s.logs('ecrPush')),
      ...tableStatements(s.table, 'items'),
      ...start,
      answer,
      ...ecs('shift'),
      ...ecrPull,
      deadLetters(queue),
    ]);
  });

  it('let the ECR push handler read the list indexes only when a service holds pushes to newerThanStable', async () => {
    const yaml = TEST_CONFIG_YAML.replace("tags: '^v[0-9]+$'", "tagPolicy: { newerThanStable: true }");
    const { template } = synth(await configFrom(yaml));
    expect(statement(statementsOf(template, 'index.ecrPush'), 'RolloutTableIndexes').Action).toBe('dynamodb:Query');
    expect(() => statement(statementsOf(template, 'index.advance'), 'RolloutTableIndexes')).toThrow(/found 0/);
  });

  it('let the ECS event handler answer steady waits and act on what it finds in ECS, without listing or deploying', async () => {
    const s = await synthesized();
    const queue = logicalId(s.stack.orchestrator.eventRules.deadLetterQueue);
    expect(statementsOf(s.template, 'index.ecsEvent')).toEqual([
      ...common(s.logs('ecsEvent')),
      ...tableStatements(s.table, 'items'),
      ...start,
      answer,
      ...ecs('shift'),
      deadLetters(queue),
    ]);
  });

  it('let the watchdog list the active rollouts, delete the legacy markers of ended ones, restart clocks, answer waits, hand locks on and list unfinished deliveries', async () => {
    const s = await synthesized();
    const queue = logicalId(s.stack.orchestrator.eventRules.deadLetterQueue);
    const statements = statementsOf(s.template, 'index.watchdog');
    expect(statements).toEqual([...common(s.logs('watchdog')), ...tableStatements(s.table, 'sweep'), ...start, answer, ...ecs('shift'), invokeIntake(s), deadLetters(queue)]);
    expect(statement(statements, 'RolloutTable').Action).toContain('dynamodb:DeleteItem');
    expect(statements.map((st) => st.Sid)).not.toContain('RolloutTableIndexes');
  });

  it('let every function that may start a clock describe the state machine’s executions, and only those', async () => {
    const s = await synthesized();
    const handlers = ['handler', 'advance', 'awaitApproval', 'recover', 'alarmStateChange', 'ecrPush', 'ecsEvent', 'watchdog'].map((h) => `index.${h}`);
    for (const handler of handlers) {
      const statements = statementsOf(s.template, handler);
      expect(statement(statements, 'StartRolloutExecution').Resource, handler).toBe(STATE_MACHINE);
      expect(statement(statements, 'DescribeRolloutExecutions').Resource, handler).toBe(EXECUTIONS);
      expect(statements.filter((st) => [st.Action].flat().some((a) => a.startsWith('states:'))), handler).toHaveLength(3);
    }
  });

  it('grant no iam:PassRole when no service lists aws.passRoles, and warn that rollouts with task roles will fail', async () => {
    const config = await configFrom(TEST_CONFIG_YAML.replaceAll(/ {4}aws:\n {6}passRoles: .*\n/g, ''));
    const { stack, template } = synth(config);
    expect(() => statement(statementsOf(template, 'index.advance'), 'PassTaskRoles')).toThrow(/found 0/);
    const warnings = stack.orchestrator.node.metadata.filter((m) => m.type === 'aws:cdk:warning').map((m) => String(m.data));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/services web, worker list no aws\.passRoles.*will fail/);
  });

  it('scope ECS to a service given by ARN in another account and region, and to a cluster given by ARN', async () => {
    const yaml = TEST_CONFIG_YAML.replace(
      'service: web',
      'service: arn:aws:ecs:us-east-2:210987654321:service/shared/web',
    );
    const { template } = synth(await configFrom(yaml));
    expect(statement(statementsOf(template, 'index.advance'), 'EcsTaskSets').Resource).toEqual([
      `arn:aws:ecs:${REGION}:${ACCOUNT}:task-set/batch/worker/*`,
      'arn:aws:ecs:us-east-2:210987654321:task-set/shared/web/*',
    ]);
    expect(statement(statementsOf(template, 'index.advance'), 'EcsRegisterTaskDefinitions').Resource).toEqual([
      TASK_DEFINITIONS,
      'arn:aws:ecs:us-east-2:210987654321:task-definition/*',
    ]);
  });

  it('let the functions that verify signatures ask AWS Signer about revocations of the configured profiles only', async () => {
    const root = JSON.stringify(createRootCa({ commonName: 'aws-signer-test-root' }).certificate.toString());
    const profile = `arn:aws:signer:${REGION}:${ACCOUNT}:/signing-profiles/prod`;
    const yaml = TEST_CONFIG_YAML.replace(
      'verify: { keys: [keys/web.pub] }',
      `verify: { keys: [keys/web.pub], awsSigner: { signingProfiles: [${profile}, ${profile}/a1B2c3D4e5], trustStore: [${root}] } }`,
    );
    const { template } = synth(await configFrom(yaml));
    const expected = {
      Sid: 'CheckSignerRevocation',
      Effect: 'Allow',
      Action: 'signer:GetRevocationStatus',
      Resource: [`arn:aws:signer:${REGION}:${ACCOUNT}:/signing-jobs/*`, profile, `${profile}/*`],
    };
    for (const handler of ['index.handler', 'index.ecrPush', 'index.advance']) expect(statementsOf(template, handler)).toContainEqual(expected);
    for (const handler of ['index.recover', 'index.watchdog']) expect(statementsOf(template, handler).map((s) => s.Sid)).not.toContain('CheckSignerRevocation');
    const { template: without } = await synthDefault();
    expect(statementsOf(without, 'index.handler').map((s) => s.Sid)).not.toContain('CheckSignerRevocation');
  });

  it('grant no ECR access when no service pulls from ECR', async () => {
    const yaml = TEST_CONFIG_YAML.replace(/image: \d+\.dkr\.ecr\.[^/]+\/team\/web/, 'image: 127.0.0.1:5000/team/web');
    const { template } = synth(await configFrom(yaml));
    for (const handler of ['index.handler', 'index.ecrPush', 'index.advance']) {
      expect(statementsOf(template, handler).map((s) => s.Sid)).not.toContain('EcrPullImages');
    }
  });
});
