import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import { describe, expect, it } from 'vitest';
import { RolloutOrchestrator, RolloutOrchestratorStack } from '../../infra';
import { ACCOUNT, configFrom, logicalId, nagViolations, REGION, statement, statementsOf, synth, testApp, synthDefault } from './infra-fixtures';

type Resource = { Properties: Record<string, any>; DeletionPolicy?: string };

describe('RolloutOrchestratorStack', () => {
  it('outputs the API URL, the table name, the state machine ARN and the token secrets', async () => {
    const { stack, template } = await synthDefault();
    const { orchestrator } = stack;
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs).sort()).toEqual(['ApiTokenSecretArn', 'ApiUrl', 'StateMachineArn', 'TableName', 'WebhookTokenSecretArn']);
    expect(outputs.TableName!.Value).toEqual({ Ref: logicalId(orchestrator.rolloutTable!.table) });
    expect(outputs.StateMachineArn!.Value).toEqual({ Ref: logicalId(orchestrator.workflow.stateMachine) });
    expect(outputs.WebhookTokenSecretArn!.Value).toEqual({ Ref: logicalId(orchestrator.tokens.webhookToken) });
    expect(outputs.ApiTokenSecretArn!.Value).toEqual({ Ref: logicalId(orchestrator.tokens.apiToken) });
    expect(outputs.ApiUrl!.Value).toEqual({
      'Fn::Join': ['', ['https://', { Ref: logicalId(orchestrator.api.httpApi) }, `.execute-api.${REGION}.`, { Ref: 'AWS::URLSuffix' }, '/']],
    });
  });

  it('logs the workflow under /aws/vendedlogs/states/ and protects the table from deletion', async () => {
    const { template } = await synthDefault();
    const machine = Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0] as Resource;
    const destination = machine.Properties.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0] as string;
    const group = template.toJSON().Resources[destination] as Resource;
    expect(group.Properties.LogGroupName).toBe('/aws/vendedlogs/states/Rollout-Orchestrator-0E8FC0EE-Workflow');
    template.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: true });
  });

  it('passes CDK\'s CloudFormation validation (the resource schemas), which `cdk synth` reports only as warnings', async () => {
    // The other tests synthesize without it (seconds each); here it runs as `cdk synth` runs it.
    const outdir = mkdtempSync(join(tmpdir(), 'rollout-validated-'));
    const app = testApp({ outdir, builtinCloudFormationValidation: true });
    new RolloutOrchestratorStack(app, 'Rollout', { env: { account: ACCOUNT, region: REGION }, config: await configFrom() });
    app.synth();
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as { pluginReports: { pluginName: string; violations: unknown[] }[] };
    expect(report.pluginReports.filter((r) => r.pluginName === 'CloudFormation Validate').flatMap((r) => r.violations)).toEqual([]);
  });

  it('passes cdk-nag AwsSolutions: every finding fixed or acknowledged with a reason', async () => {
    expect(nagViolations(synth(await configFrom()).stack)).toEqual([]);
  });

  it('passes cdk-nag AwsSolutions without a fixed account and region too', async () => {
    const stack = new RolloutOrchestratorStack(testApp(), 'Agnostic', { config: await configFrom() });
    expect(nagViolations(stack)).toEqual([]);
  });

  it('generates both tokens in Secrets Manager: 48 letters and digits, retained by default', async () => {
    const { template } = await synthDefault();
    const secrets = Object.values(template.findResources('AWS::SecretsManager::Secret')) as Resource[];
    expect(secrets).toHaveLength(2);
    for (const secret of secrets) {
      expect(secret.Properties.GenerateSecretString).toEqual({ PasswordLength: 48, ExcludePunctuation: true, IncludeSpace: false });
      expect(secret.DeletionPolicy).toBe('Retain');
    }
  });

  it('serves every route through one HTTP API: $default to the API function, payload 2.0, access logs and throttling', async () => {
    const { stack, template } = await synthDefault();
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$default' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [logicalId(stack.orchestrator.functions.api), 'Arn'] },
    });
    const [stage] = Object.values(template.findResources('AWS::ApiGatewayV2::Stage')) as Resource[];
    expect(stage!.Properties).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [logicalId(stack.orchestrator.api.accessLogs), 'Arn'] } },
    });
    expect(JSON.parse(stage!.Properties.AccessLogSettings.Format)).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
  });

  it('takes retention, removal policy and throttling from its props', async () => {
    const { stack, template } = synth(await configFrom(), {
      removalPolicy: RemovalPolicy.DESTROY,
      logRetention: 7,
      apiThrottle: { rateLimit: 5, burstLimit: 10 },
    });
    const resources = template.toJSON().Resources as Record<string, Resource>;
    expect(resources[logicalId(stack.orchestrator.rolloutTable!.table)]!.DeletionPolicy).toBe('Delete');
    expect(resources[logicalId(stack.orchestrator.tokens.apiToken)]!.DeletionPolicy).toBe('Delete');
    const retentions = Object.values(template.findResources('AWS::Logs::LogGroup')).map((g) => (g as Resource).Properties.RetentionInDays);
    expect(new Set(retentions)).toEqual(new Set([7]));
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { DefaultRouteSettings: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 } });
  });
});

describe('RolloutOrchestrator', () => {
  it('lets every function use the customer managed key of an existing table, through DynamoDB only', async () => {
    const stack = new Stack(testApp(), 'Cmk', { env: { account: ACCOUNT, region: REGION } });
    const keyArn = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    const existingTable = dynamodb.Table.fromTableAttributes(stack, 'Existing', { tableName: 'platform-rollouts', encryptionKey: kms.Key.fromKeyArn(stack, 'Key', keyArn) });
    new RolloutOrchestrator(stack, 'Orchestrator', { config: await configFrom(), existingTable });
    const template = Template.fromStack(stack);
    for (const handler of ['index.handler', 'index.advance', 'index.watchdog']) {
      expect(statement(statementsOf(template, handler), 'RolloutTableKey')).toEqual({
        Sid: 'RolloutTableKey',
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
        Resource: keyArn,
        Condition: { StringEquals: { 'kms:ViaService': `dynamodb.${REGION}.amazonaws.com` } },
      });
    }
    const built = await synthDefault();
    expect(() => statement(statementsOf(built.template, 'index.handler'), 'RolloutTableKey')).toThrow(/found 0/);
  });

  it('uses an existing table instead of building one, and scopes the grants to it', async () => {
    const stack = new Stack(testApp(), 'Byo', { env: { account: ACCOUNT, region: REGION } });
    const existingTable = dynamodb.Table.fromTableName(stack, 'Existing', 'platform-rollouts');
    const orchestrator = new RolloutOrchestrator(stack, 'Orchestrator', { config: await configFrom(), existingTable });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
    expect(orchestrator.rolloutTable).toBeUndefined();
    const tableArn = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/platform-rollouts`;
    const statements = statementsOf(template, 'index.handler');
    expect(statement(statements, 'RolloutTable').Resource).toBe(tableArn);
    expect(statement(statements, 'RolloutTableIndexes').Resource).toEqual([`${tableArn}/index/byCreated`, `${tableArn}/index/byService`]);
  });

  it('refuses both an existing table and props for a new one', async () => {
    const stack = new Stack(testApp(), 'Both');
    const existingTable = dynamodb.Table.fromTableName(stack, 'Existing', 'platform-rollouts');
    const props = { config: await configFrom(), existingTable, tableProps: {} } as never;
    expect(() => new RolloutOrchestrator(stack, 'Orchestrator', props)).toThrow(/either existingTable or tableProps, not both/);
  });

  it('refuses a password secret for a registry without credentials', async () => {
    const yaml = `registries:\n  docker.io: { username: ci, password: in-the-file }\nservices:\n  web:\n    cluster: prod\n    service: web\n    image: docker.io/team/web\n    verify: { keys: [keys/web.pub] }\n    steps: [{ setWeight: 100 }]\n`;
    const config = await configFrom(yaml);
    const extra = { 'docker.io': 'rollout/hub', 'ghcr.io': 'rollout/ghcr' };
    expect(() => new RolloutOrchestrator(new Stack(testApp(), 'B'), 'O', { config, registryPasswordSecrets: extra })).toThrow(/names ghcr\.io/);
  });

  it('builds from a config file', async () => {
    const config = await configFrom();
    const stack = new Stack(testApp(), 'FromFile');
    const orchestrator = await RolloutOrchestrator.fromConfigFile(stack, 'Orchestrator', { configFile: config.file });
    expect(orchestrator.functions.api).toBeDefined();
  });
});
