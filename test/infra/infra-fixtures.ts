/**
 * Builders for the infra tests: a config from a real YAML file (one ECR service in the stack's own
 * account and region, one on a local registry), and a stack synthesized from it with esbuild skipped.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, type AppProps, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { RolloutOrchestratorStack, type RolloutOrchestratorStackProps } from '../../infra/rollout-orchestrator-stack';
import { PROJECT_ROOT } from '../../infra/rollout-functions';
import { loadConfig } from '../../shared/config/load-config';
import type { AppConfig } from '../../shared/config/types';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
export const ECR_HOST = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;
export const TASK_ROLE = `arn:aws:iam::${ACCOUNT}:role/web-task`;
export const EXECUTION_ROLE = `arn:aws:iam::${ACCOUNT}:role/service-role/web-execution`;

export const PUBLIC_PEM = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

export const TEST_CONFIG_YAML = `
registries:
  127.0.0.1:5000: { insecure: true }
services:
  web:
    cluster: prod
    service: web
    container: app
    image: ${ECR_HOST}/team/web
    tags: '^v[0-9]+$'
    verify: { keys: [keys/web.pub] }
    steps:
      - setWeight: 20
      - pause: { duration: 1m30s }
      - setWeight: 100
    alarms: [web-5xx, web-latency]
    aws:
      passRoles: [${TASK_ROLE}, ${EXECUTION_ROLE}]
  worker:
    cluster: arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/batch
    service: worker
    image: 127.0.0.1:5000/team/worker
    verify: { keys: [keys/web.pub] }
    steps:
      - setWeight: 50
      - pause: {}
      - setWeight: 100
    alarms: [web-5xx, worker-errors]
    aws:
      passRoles: [${TASK_ROLE}]
`;

/** Writes `yaml` (and the key it names) to a fresh directory and loads it as the app would. */
export async function configFrom(yaml: string = TEST_CONFIG_YAML, env: Record<string, string> = {}): Promise<AppConfig> {
  const dir = mkdtempSync(join(tmpdir(), 'rollout-infra-'));
  writeFileSync(join(dir, 'rollout.config.yaml'), yaml);
  const keys = join(dir, 'keys');
  mkdirSync(keys);
  writeFileSync(join(keys, 'web.pub'), PUBLIC_PEM);
  return loadConfig(join(dir, 'rollout.config.yaml'), env);
}

const CDK_CONTEXT = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;

/**
 * The project's feature flags, with bundling skipped (no esbuild run) and, unless `props` turn it on, no
 * CloudFormation validation.
 */
export function testApp(props: Pick<AppProps, 'outdir' | 'builtinCloudFormationValidation'> = {}): App {
  return new App({ builtinCloudFormationValidation: false, ...props, context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
}

export interface Synthesized {
  readonly stack: RolloutOrchestratorStack;
  readonly template: Template;
}

export function synth(config: AppConfig, props: Partial<RolloutOrchestratorStackProps> = {}): Synthesized {
  const stack = new RolloutOrchestratorStack(testApp(), 'Rollout', {
    env: { account: ACCOUNT, region: REGION },
    config,
    ...props,
  } as RolloutOrchestratorStackProps);
  return { stack, template: Template.fromStack(stack) };
}

let defaultStack: Promise<Synthesized> | undefined;

/**
 * The stack of TEST_CONFIG_YAML with the default props, synthesized once per process: most tests only
 * read it. A test that changes a stack, or runs a check that might (cdk-nag), synthesizes its own.
 */
export function synthDefault(): Promise<Synthesized> {
  return (defaultStack ??= configFrom().then((config) => synth(config)));
}

export const logicalId = (construct: IConstruct): string => Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);

/** cdk-nag findings left after the acknowledgements: what `cdk synth` would report. */
export function nagViolations(stack: Stack): { rule: string; paths: string[] }[] {
  const report = new AwsSolutionsChecks().validateScope(stack);
  return report.violations.map((v) => ({ rule: v.ruleName, paths: v.violatingResources.map((r) => r.constructPath ?? '?') }));
}

interface Statement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

/** Every statement of the policies attached to the role of the function with this handler (`index.advance`). */
export function statementsOf(template: Template, handler: string): Statement[] {
  const functions = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Handler: handler } }));
  if (functions.length !== 1) throw new Error(`expected one function with handler ${handler}, found ${functions.length}`);
  const roleId = (functions[0]!.Properties as { Role: { 'Fn::GetAtt': [string, string] } }).Role['Fn::GetAtt'][0];
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
    (p.Properties as { Roles: { Ref: string }[] }).Roles.some((r) => r.Ref === roleId),
  );
  return policies.flatMap((p) => (p.Properties as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument.Statement);
}

/** The statement with this Sid; fails when there is not exactly one. */
export function statement(statements: readonly Statement[], sid: string): Statement {
  const found = statements.filter((s) => s.Sid === sid);
  if (found.length !== 1) throw new Error(`expected one statement ${sid}, found ${found.length}: ${JSON.stringify(statements.map((s) => s.Sid))}`);
  return found[0]!;
}
