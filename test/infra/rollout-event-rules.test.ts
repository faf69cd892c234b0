import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { RolloutOrchestratorStack } from '../../infra/rollout-orchestrator-stack';
import { ACCOUNT, configFrom, logicalId, synth, testApp, TEST_CONFIG_YAML } from './infra-fixtures';

type Resource = { Properties: Record<string, any> };
const rules = (template: Template) => Object.values(template.findResources('AWS::Events::Rule')) as Resource[];
const ruleFor = (template: Template, source: string) => rules(template).find((r) => r.Properties.EventPattern.source[0] === source);

describe('the event rules', () => {
  it('send successful ECR pushes to the configured repositories of the stack’s registry to ecrPush', async () => {
    const { stack, template } = synth(await configFrom());
    const rule = ruleFor(template, 'aws.ecr')!;
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.ecr'],
      'detail-type': ['ECR Image Action'],
      detail: { 'action-type': ['PUSH'], result: ['SUCCESS'], 'repository-name': ['team/web'] },
    });
    expect(rule.Properties.Targets[0].Arn).toEqual({ 'Fn::GetAtt': [logicalId(stack.orchestrator.functions.ecrPush), 'Arn'] });
  });

  it('send every configured alarm’s change to ALARM to alarmStateChange', async () => {
    const { stack, template } = synth(await configFrom());
    const rule = ruleFor(template, 'aws.cloudwatch')!;
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      detail: { alarmName: ['web-5xx', 'web-latency', 'worker-errors'], state: { value: ['ALARM'] } },
    });
    expect(rule.Properties.Targets[0].Arn).toEqual({ 'Fn::GetAtt': [logicalId(stack.orchestrator.functions.alarmStateChange), 'Arn'] });
  });

  it('retry deliveries and dead-letter them to one encrypted, TLS-only queue', async () => {
    const { stack, template } = synth(await configFrom());
    const queue = logicalId(stack.orchestrator.eventRules.deadLetterQueue);
    for (const rule of rules(template)) {
      expect(rule.Properties.Targets[0]).toMatchObject({
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
    const { stack, template } = synth(await configFrom());
    const queue = { 'Fn::GetAtt': [logicalId(stack.orchestrator.eventRules.deadLetterQueue), 'Arn'] };
    const configs = Object.values(template.findResources('AWS::Lambda::EventInvokeConfig')) as Resource[];
    expect(configs.map((c) => c.Properties.FunctionName.Ref).sort()).toEqual(
      [stack.orchestrator.functions.alarmStateChange, stack.orchestrator.functions.ecrPush].map(logicalId).sort(),
    );
    for (const c of configs) expect(c.Properties).toMatchObject({ MaximumRetryAttempts: 2, DestinationConfig: { OnFailure: { Destination: queue } } });
  });

  it('make no ECR rule when no service pulls from ECR, and no alarm rule when no service lists an alarm', async () => {
    const yaml = TEST_CONFIG_YAML.replace(/image: \d+\.dkr\.ecr\.[^/]+\/team\/web/, 'image: 127.0.0.1:5000/team/web').replaceAll(/ {4}alarms: .*\n/g, '');
    const { template } = synth(await configFrom(yaml));
    expect(rules(template)).toEqual([]);
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
});
