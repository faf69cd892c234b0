/**
 * docs/aws.md deploys exactly what is tested here: the blocks it quotes are the files, the config
 * synthesizes (cdk-nag clean), the secrets it tells the reader to fill are the ones the stack creates,
 * and its ECS service snippet synthesizes an EXTERNAL service with a PRIMARY task set behind the ALB.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ShopWebStack } from '../../examples/aws/ecs-service';
import { synthEnvironment } from '../../infra/app-config';
import { PROJECT_ROOT } from '../../infra/rollout-functions';
import { RolloutOrchestratorStack } from '../../infra/rollout-orchestrator-stack';
import { UNSET_SECRET_VALUE } from '../../shared/adapters/secrets-manager/secrets-manager-secrets';
import { loadConfig } from '../../shared/config/load-config';
import { nagViolations, testApp } from './infra-fixtures';

const DOC = readFileSync(join(PROJECT_ROOT, 'docs', 'aws.md'), 'utf8');
const CONFIG_FILE = join(PROJECT_ROOT, 'examples', 'aws', 'rollout.config.yaml');

/** Each `<!-- file: path -->` marker and the fenced block right after it. */
function quotedFiles(): { path: string; text: string }[] {
  return [...DOC.matchAll(/<!-- file: (\S+) -->\n```[a-z]*\n([\s\S]*?)```\n/g)].map((m) => ({ path: m[1]!, text: m[2]! }));
}

async function walkthroughStack() {
  // As `npx cdk deploy -c config=rollout.config.yaml` loads it: no secret value on the synth machine.
  const config = await loadConfig(CONFIG_FILE, synthEnvironment({}));
  const stack = new RolloutOrchestratorStack(testApp(), 'RolloutOrchestratorStack', { config, env: { account: '123456789012', region: 'eu-west-1' } });
  return { stack, template: Template.fromStack(stack) };
}

describe('the AWS walkthrough (docs/aws.md)', () => {
  it('quotes the walkthrough config and the ECS service snippet verbatim', () => {
    const quoted = quotedFiles();
    expect(quoted.map((q) => q.path)).toEqual(['examples/aws/rollout.config.yaml', 'examples/aws/ecs-service.ts']);
    for (const { path, text } of quoted) expect(text, path).toBe(readFileSync(join(PROJECT_ROOT, path), 'utf8'));
  });

  it('synthesizes the config it shows, cdk-nag clean, with no registry on a loopback address', async () => {
    const { stack } = await walkthroughStack();
    const bundled = JSON.parse(readFileSync(stack.orchestrator.bundledConfigFile, 'utf8')) as { services: Record<string, unknown> };
    expect(Object.keys(bundled.services)).toEqual(['web', 'worker']);
    expect(readFileSync(CONFIG_FILE, 'utf8')).not.toMatch(/127\.0\.0\.1|localhost|insecure/);
    expect(nagViolations(stack)).toEqual([]);
  });

  it('tells the reader to fill exactly the secrets the stack creates for them', async () => {
    const { template } = await walkthroughStack();
    const created = Object.values(template.findResources('AWS::SecretsManager::Secret'))
      .filter((r) => (r.Properties as { SecretString?: string }).SecretString === UNSET_SECRET_VALUE)
      .map((r) => (r.Properties as { Name: string }).Name)
      .sort();
    const told = [...DOC.matchAll(/put-secret-value --secret-id (RolloutOrchestratorStack\/\w+)/g)].map((m) => m[1]!).sort();
    expect(told).toEqual(created);
    expect(created).toEqual(['RolloutOrchestratorStack/GHCR_TOKEN', 'RolloutOrchestratorStack/GITHUB_WEBHOOK_SECRET', 'RolloutOrchestratorStack/SLACK_WEBHOOK_URL']);
  });

  it('builds the ECS service of its snippet: EXTERNAL controller, a PRIMARY task set at full scale in the ALB target group', () => {
    const stack = new ShopWebStack(testApp(), 'ShopWeb', { initialImage: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web@sha256:${'a'.repeat(64)}`, env: { account: '123456789012', region: 'eu-west-1' } });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ECS::Service', { ServiceName: 'web', DeploymentController: { Type: 'EXTERNAL' } });
    const service = template.findResources('AWS::ECS::Service');
    expect(Object.values(service)[0]!.Properties).not.toHaveProperty('TaskDefinition');
    template.hasResourceProperties('AWS::ECS::TaskSet', { Scale: { Unit: 'PERCENT', Value: 100 }, LaunchType: 'FARGATE', LoadBalancers: [{ ContainerName: 'app', ContainerPort: 8080 }] });
    template.resourceCountIs('AWS::ECS::PrimaryTaskSet', 1);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'shop-web-5xx' });
  });
});
