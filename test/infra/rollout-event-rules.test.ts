import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { RolloutOrchestratorStack } from '../../infra/rollout-orchestrator-stack';
import { ACCOUNT, configFrom, logicalId, REGION, synth, testApp, TEST_CONFIG_YAML, synthDefault } from './infra-fixtures';

type Resource = { Properties: Record<string, any> };
const rules = (template: Template) => Object.values(template.findResources('AWS::Events::Rule')) as Resource[];
const ruleFor = (template: Template, source: string) => rules(template).find((r) => r.Properties.EventPattern?.source[0] === source);
const scheduleOf = (template: Template) => rules(template).find((r) => r.Properties.ScheduleExpression !== undefined);
/** The rules every stack has, whatever the config: ECS steady state, execution ended, the watchdog's schedule. */
const ALWAYS = 3;

describe('the event rules', () => {
  it('send successful ECR pushes to the configured repositories of the stack’s registry to ecrPush', async () => {
    const { stack, template } = await synthDefault();
    const rule = ruleFor(template, 'aws.ecr')!;
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.ecr'],
      'detail-type': ['ECR Image Action'],
      detail: { 'action-type': ['PUSH'], result: ['SUCCESS'], 'repository-name': ['team/web'] },
    });
    expect(rule.Properties.Targets[0].Arn).toEqual({ 'Fn::GetAtt': [logicalId(stack.orchestrator.functions.ecrPush), 'Arn'] });
  });

  it('send every configured alarm’s change to ALARM to alarmStateChange', async () => {
    const { stack, template } = await synthDefault();
    const rule = ruleFor(template, 'aws.cloudwatch')!;
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      detail: { alarmName: ['web-5xx', 'web-latency', 'worker-errors'], state: { value: ['ALARM'] } },
    });
    expect(rule.Properties.Targets[0].Arn).toEqual({ 'Fn::GetAtt': [logicalId(stack.orchestrator.functions.alarmStateChange), 'Arn'] });
  });

  it('send the steady-state events of the configured services, by service or task set ARN, to ecsEvent', async () => {
    const { stack, template } = await synthDefault();
    const rule = ruleFor(template, 'aws.ecs')!;
    const arn = `arn:aws:ecs:${REGION}:${ACCOUNT}`;
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.ecs'],
      'detail-type': ['ECS Service Action'],
      detail: { eventName: ['SERVICE_STEADY_STATE', 'TASKSET_STEADY_STATE'] },
      resources: [
        `${arn}:service/prod/web`,
        `${arn}:service/web`,
        { prefix: `${arn}:task-set/prod/web/` },
        `${arn}:service/batch/worker`,
        `${arn}:service/worker`,
        { prefix: `${arn}:task-set/batch/worker/` },
      ],
    });
    expect(rule.Properties.Targets).toHaveLength(1);
    expect(rule.Properties.Targets[0].Arn).toEqual({ 'Fn::GetAtt': [logicalId(stack.orchestrator.functions.ecsEvent), 'Arn'] });
  });

  it('match a service given by ARN in another account, and warn that its events go to that account’s bus', async () => {
    const yaml = TEST_CONFIG_YAML.replace('service: web', 'service: arn:aws:ecs:us-east-2:210987654321:service/shared/web');
    const { stack, template } = synth(await configFrom(yaml));
    expect(ruleFor(template, 'aws.ecs')!.Properties.EventPattern.resources).toContainEqual({ prefix: 'arn:aws:ecs:us-east-2:210987654321:task-set/shared/web/' });
    const warnings = stack.orchestrator.eventRules.node.metadata.filter((m) => m.type === 'aws:cdk:warning').map((m) => String(m.data));
    expect(warnings).toEqual([expect.stringMatching(/arn:aws:ecs:us-east-2:210987654321:service\/shared\/web.*AwaitSteady timeout/)]);
  });

  it('send the ends of the rollout state machine’s executions (succeeded too) to the watchdog', async () => {
    const { stack, template } = await synthDefault();
    const rule = ruleFor(template, 'aws.states')!;
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { stateMachineArn: [{ Ref: logicalId(stack.orchestrator.workflow.stateMachine) }], status: ['FAILED', 'TIMED_OUT', 'ABORTED', 'SUCCEEDED'] },
    });
    expect(rule.Properties.Targets).toHaveLength(1);
    expect(rule.Properties.Targets[0].Arn).toEqual({ 'Fn::GetAtt': [logicalId(stack.orchestrator.functions.watchdog), 'Arn'] });
  });

  it('run the watchdog every minute, dropping a tick it cannot deliver within the minute', async () => {
    const { stack, template } = await synthDefault();
    const schedule = scheduleOf(template)!;
    expect(schedule.Properties).toMatchObject({ ScheduleExpression: 'rate(1 minute)', State: 'ENABLED' });
    expect(schedule.Properties.EventPattern).toBeUndefined();
    expect(schedule.Properties.Targets).toHaveLength(1);
    expect(schedule.Properties.Targets[0]).toMatchObject({
      Arn: { 'Fn::GetAtt': [logicalId(stack.orchestrator.functions.watchdog), 'Arn'] },
      RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(stack.orchestrator.eventRules.deadLetterQueue), 'Arn'] } },
    });
  });

  it('let EventBridge invoke each target function from its own rules only', async () => {
    const { stack, template } = await synthDefault();
    const { functions, eventRules } = stack.orchestrator;
    const permissions = (Object.values(template.findResources('AWS::Lambda::Permission')) as Resource[]).filter((p) => p.Properties.Principal === 'events.amazonaws.com');
    const pairs = permissions.map((p) => [p.Properties.FunctionName['Fn::GetAtt'][0], p.Properties.SourceArn['Fn::GetAtt'][0]]);
    const rule = (r: typeof eventRules.ecsSteadyRule | undefined) => logicalId(r!);
    expect(pairs.sort()).toEqual(
      [
        [logicalId(functions.ecrPush), rule(eventRules.ecrPushRule)],
        [logicalId(functions.alarmStateChange), rule(eventRules.alarmRule)],
        [logicalId(functions.ecsEvent), rule(eventRules.ecsSteadyRule)],
        [logicalId(functions.watchdog), rule(eventRules.executionEndedRule)],
        [logicalId(functions.watchdog), rule(eventRules.watchdogSchedule)],
      ].sort(),
    );
  });

  it('retry deliveries and dead-letter them to one encrypted, TLS-only queue', async () => {
    const { stack, template } = await synthDefault();
    const queue = logicalId(stack.orchestrator.eventRules.deadLetterQueue);
    const schedule = logicalId(stack.orchestrator.eventRules.watchdogSchedule);
    const resources = template.toJSON().Resources as Record<string, Resource>;
    const eventRules = Object.keys(template.findResources('AWS::Events::Rule')).filter((id) => id !== schedule);
    expect(eventRules).toHaveLength(2 + ALWAYS - 1);
    for (const id of eventRules) {
      expect(resources[id]!.Properties.Targets[0]).toMatchObject({
        RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queue, 'Arn'] } },
      });
    }
    expect(template.toJSON().Resources[queue].Properties).toEqual({ MessageRetentionPeriod: 1209600, SqsManagedSseEnabled: true });
    const [policy] = Object.values(template.findResources('AWS::SQS::QueuePolicy')) as Resource[];
    expect(policy!.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  it('send the handlers’ own failed async invocations to the same queue', async () => {
    const { stack, template } = await synthDefault();
    const queue = { 'Fn::GetAtt': [logicalId(stack.orchestrator.eventRules.deadLetterQueue), 'Arn'] };
    const configs = Object.values(template.findResources('AWS::Lambda::EventInvokeConfig')) as Resource[];
    const { functions } = stack.orchestrator;
    const retries = Object.fromEntries(configs.map((c) => [c.Properties.FunctionName.Ref, c.Properties.MaximumRetryAttempts]));
    // The watchdog is not retried: its next tick, at most a minute away, does the same work.
    expect(retries).toEqual({
      [logicalId(functions.alarmStateChange)]: 2,
      [logicalId(functions.ecrPush)]: 2,
      [logicalId(functions.ecsEvent)]: 2,
      [logicalId(functions.watchdog)]: 0,
    });
    for (const c of configs) expect(c.Properties).toMatchObject({ DestinationConfig: { OnFailure: { Destination: queue } } });
  });

  it('make no ECR rule when no service pulls from ECR, and no alarm rule when no service lists an alarm', async () => {
    const yaml = TEST_CONFIG_YAML.replace(/image: \d+\.dkr\.ecr\.[^/]+\/team\/web/, 'image: 127.0.0.1:5000/team/web').replaceAll(/ {4}alarms: .*\n/g, '');
    const { template } = synth(await configFrom(yaml));
    expect(ruleFor(template, 'aws.ecr')).toBeUndefined();
    expect(ruleFor(template, 'aws.cloudwatch')).toBeUndefined();
    expect(rules(template)).toHaveLength(ALWAYS);
  });

  it('make no ECR rule for repositories of another account, which send their events elsewhere', async () => {
    const { stack, template } = synth(await configFrom(TEST_CONFIG_YAML.replace(ACCOUNT + '.dkr.ecr', '210987654321.dkr.ecr')));
    expect(ruleFor(template, 'aws.ecr')).toBeUndefined();
    const warnings = stack.orchestrator.eventRules.node.metadata.filter((m) => m.type === 'aws:cdk:warning').map((m) => String(m.data));
    expect(warnings[0]).toMatch(/210987654321\/eu-west-1\/team\/web.*send no push events to this stack/);
  });

  it('match configured ECR repositories by name when the stack has no fixed account', async () => {
    const stack = new RolloutOrchestratorStack(testApp(), 'Agnostic', { config: await configFrom() });
    expect(ruleFor(Template.fromStack(stack), 'aws.ecr')!.Properties.EventPattern.detail['repository-name']).toEqual(['team/web']);
    expect(Stack.of(stack).account).toMatch(/^\$\{Token/);
  });

  it('match configured ECS services in the stack’s own account and region when it has no fixed ones', async () => {
    const stack = new RolloutOrchestratorStack(testApp(), 'Agnostic', { config: await configFrom() });
    const resources = ruleFor(Template.fromStack(stack), 'aws.ecs')!.Properties.EventPattern.resources as unknown[];
    const here = ['arn:', { Ref: 'AWS::Partition' }, ':ecs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }];
    expect(resources[0]).toEqual({ 'Fn::Join': ['', [...here, ':service/prod/web']] });
    expect(resources[2]).toEqual({ prefix: { 'Fn::Join': ['', [...here, ':task-set/prod/web/']] } });
    // The worker's cluster is an ARN, which names its account and region.
    expect(resources[3]).toBe(`arn:aws:ecs:${REGION}:${ACCOUNT}:service/batch/worker`);
  });
});
