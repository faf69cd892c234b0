import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { RolloutOrchestratorStack } from '../../infra/rollout-orchestrator-stack';
import { BUNDLED_CONFIG_PATH } from '../../infra/resolved-config';
import { loadConfig } from '../../shared/config/load-config';
import { ENV } from '../../functions/wiring/environment';
import { ACCOUNT, TEST_CONFIG_YAML, configFrom, logicalId, REGION, synth, testApp, synthDefault } from './infra-fixtures';

const HANDLERS = [
  'index.handler',
  'index.advance',
  'index.awaitApproval',
  'index.recover',
  'index.alarmStateChange',
  'index.ecrPush',
  'index.ecsEvent',
  'index.watchdog',
];
const STATE_MACHINE = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Rollout-Orchestrator-0E8FC0EE-Workflow`;

type Fn = { Properties: Record<string, any> };

async function functions() {
  const { stack, template } = await synthDefault();
  const byHandler = new Map<string, Fn>();
  for (const fn of Object.values(template.findResources('AWS::Lambda::Function')) as Fn[]) byHandler.set(fn.Properties.Handler, fn);
  return { stack, template, byHandler };
}

describe('RolloutFunctions', () => {
  it('creates one function per entry point, on Node.js 22 and arm64, traced', async () => {
    const { byHandler } = await functions();
    expect([...byHandler.keys()].sort()).toEqual([...HANDLERS].sort());
    for (const fn of byHandler.values()) {
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } });
    }
  });

  it('gives every function the table, the state machine ARN and the bundled config, only the API the token secrets, and the API and the watchdog the intake function', async () => {
    const { stack, byHandler } = await functions();
    const table = { Ref: logicalId(stack.orchestrator.rolloutTable!.table) };
    for (const [handler, fn] of byHandler) {
      const expected: Record<string, unknown> = {
        [ENV.table]: table,
        [ENV.stateMachine]: STATE_MACHINE,
        [ENV.config]: BUNDLED_CONFIG_PATH,
        NODE_OPTIONS: '--enable-source-maps',
      };
      // Only the ids of the secrets it reads: the two tokens, for the API (rollout-secrets.test.ts).
      if (handler === 'index.handler') expected[ENV.secrets] = expect.anything();
      if (handler === 'index.handler' || handler === 'index.watchdog') expected[ENV.intakeFunction] = { Ref: logicalId(stack.orchestrator.functions.ecrPush) };
      expect(fn.Properties.Environment.Variables, handler).toEqual(expected);
    }
  });

  it('gives the API 29 s (API Gateway’s limit), the watchdog 5 minutes to sweep, and the others a minute', async () => {
    const { byHandler } = await functions();
    const timeouts = Object.fromEntries([...byHandler].map(([handler, fn]) => [handler, fn.Properties.Timeout]));
    expect(timeouts).toEqual({
      'index.handler': 29,
      'index.advance': 60,
      'index.awaitApproval': 60,
      'index.recover': 60,
      'index.alarmStateChange': 60,
      'index.ecrPush': 60,
      'index.ecsEvent': 60,
      'index.watchdog': 300,
    });
    for (const fn of byHandler.values()) expect(fn.Properties.MemorySize).toBe(512);
  });

  it('builds the ECS event handler and the watchdog from their own entry points', async () => {
    const { stack } = await functions();
    const { ecsEvent, watchdog } = stack.orchestrator.functions;
    expect(ecsEvent.node.id).toBe('EcsEvent');
    expect(watchdog.node.id).toBe('Watchdog');
    // The handler names the export of functions/<entry>.ts that esbuild bundled as index.mjs.
    const { ecsEvent: ecsEventExport } = await import('../../functions/ecs-event');
    const { watchdog: watchdogExport } = await import('../../functions/watchdog');
    expect(typeof ecsEventExport).toBe('function');
    expect(typeof watchdogExport).toBe('function');
  });

  it('writes each function’s logs to its own log group, kept one month by default, and runs each under its own role', async () => {
    const { stack, template } = await functions();
    const { all, logGroups, roles } = stack.orchestrator.functions;
    const resources = template.toJSON().Resources as Record<string, Fn>;
    for (const [name, fn] of Object.entries(all)) {
      const props = resources[logicalId(fn)]!.Properties;
      expect(props.LoggingConfig, name).toEqual({ LogGroup: { Ref: logicalId(logGroups[name as 'api']) } });
      expect(props.Role, name).toEqual({ 'Fn::GetAtt': [logicalId(roles[name as 'api']), 'Arn'] });
    }
    expect(new Set(Object.values(logGroups).map(logicalId)).size).toBe(8);
    expect(new Set(Object.values(roles).map(logicalId)).size).toBe(8);
    const retentions = Object.values(logGroups).map((g) => resources[logicalId(g)]!.Properties.RetentionInDays);
    expect(retentions).toEqual([30, 30, 30, 30, 30, 30, 30, 30]);
  });

  it('leaves no function directory in the temp folder once synthesized, but keeps them when asset staging is disabled (the assembly then points at them)', async () => {
    const config = await configFrom();
    // Synthesis is synchronous: nothing else in this process uses the temp folder meanwhile.
    const inTemp = (app: () => App): { names: string[]; template: Template; dir: string } => {
      const previous = process.env['TMPDIR'];
      const dir = mkdtempSync(join(tmpdir(), 'synth-'));
      process.env['TMPDIR'] = dir;
      try {
        const stack = new RolloutOrchestratorStack(app(), 'Rollout', { env: { account: ACCOUNT, region: REGION }, config });
        return { names: readdirSync(dir).filter((n) => n.startsWith('rollout-function-')), template: Template.fromStack(stack), dir };
      } finally {
        process.env['TMPDIR'] = previous;
      }
    };
    expect(inTemp(testApp).names).toEqual([]);

    const unstaged = inTemp(() => {
      const app = testApp();
      app.node.setContext('aws:cdk:disable-asset-staging', true);
      app.node.setContext('aws:cdk:enable-asset-metadata', true); // as the CDK CLI sets it
      return app;
    });
    expect(unstaged.names).toHaveLength(HANDLERS.length);
    const assetPaths = Object.values(unstaged.template.findResources('AWS::Lambda::Function')).map((fn) => (fn['Metadata'] as Record<string, string>)['aws:asset:path']!);
    expect(assetPaths.sort()).toEqual(unstaged.names.map((n) => join(unstaged.dir, n)).sort());
    for (const path of assetPaths) expect(existsSync(join(path, 'rollout.config.json'))).toBe(true);
  });

  it('uses no AWS managed policy: each role has its own statements only', async () => {
    const { template } = await functions();
    for (const role of Object.values(template.findResources('AWS::IAM::Role')) as Fn[]) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });
});

describe('Slack interactions in AWS', () => {
  const slackYaml = `${TEST_CONFIG_YAML}\nslack: { signingSecretEnv: SLACK_SIGNING_SECRET }\naccess:\n  slack: { team: T0ACME, users: { U0ANN: { person: ann@example.com, role: operator } } }\n`;

  it('give the signing secret to the API function only, as a secret of the stack (never a value), and ship only the variable', async () => {
    const config = await configFrom(slackYaml, { SLACK_SIGNING_SECRET: 'synth-only-signing-secret' });
    const { template, stack } = synth(config);
    const secretsOf = (handler: string) =>
      JSON.stringify((Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Handler: handler } }))[0] as Fn).Properties.Environment.Variables.ROLLOUT_SECRETS ?? {});
    expect(secretsOf('index.handler')).toContain('SLACK_SIGNING_SECRET');
    expect(secretsOf('index.advance')).not.toContain('SLACK_SIGNING_SECRET');
    const names = Object.values(template.findResources('AWS::SecretsManager::Secret')).map((r) => (r as Fn).Properties.Name);
    expect(names).toContain(`${stack.stackName}/SLACK_SIGNING_SECRET`);
    expect(JSON.stringify(template.toJSON())).not.toContain('synth-only-signing-secret');
    const shipped = JSON.parse(readFileSync(stack.orchestrator.bundledConfigFile, 'utf8'));
    expect(shipped.slack).toEqual({ signingSecretEnv: 'SLACK_SIGNING_SECRET' });
    expect(shipped.access.slack).toEqual({ team: 'T0ACME', users: { U0ANN: { person: 'ann@example.com', role: 'operator' } } });
    // What the API function loads; the value comes from the secrets port when a click is verified.
    const loaded = await loadConfig(stack.orchestrator.bundledConfigFile, { SLACK_SIGNING_SECRET: 'the-signing-secret-from-secrets-manager' });
    expect(await loaded.slack?.signingSecret.value()).toBe('the-signing-secret-from-secrets-manager');
    expect(loaded.access?.slack).toEqual(config.access?.slack);
  });
});
