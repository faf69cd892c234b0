/** `traffic.alb` at synth: the stack loads the same config, so a shape error stops `cdk synth` naming the field. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeResolvedConfig } from '../../infra/resolved-config';
import { loadConfig } from '../../shared/config/load-config';
import { ConfigError } from '../../shared/errors';
import { ACCOUNT, configFrom, REGION, statement, statementsOf, synth, TEST_CONFIG_YAML, synthDefault } from './infra-fixtures';

const P = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}`;
const ALB_RULE = `${P}:listener-rule/app/web/0123456789abcdef/1123456789abcdef/2123456789abcdef`;
const ALB_BLUE = `${P}:targetgroup/web-blue/3123456789abcdef`;
const ALB_GREEN = `${P}:targetgroup/web-green/4123456789abcdef`;

/** The test config with `traffic` on the web service. */
const withTraffic = (traffic: string): string => TEST_CONFIG_YAML.replace('    alarms: [web-5xx, web-latency]\n', `    alarms: [web-5xx, web-latency]\n${traffic}`);

const ALB_PREVIEW = `${P}:listener-rule/app/web/0123456789abcdef/5123456789abcdef/6123456789abcdef`;
/** blueGreen after the web service's traffic section; `withBlueGreen` drops its steps. */
const BLUE_GREEN = `    blueGreen:\n      previewListenerRule: ${ALB_PREVIEW}\n      scaleDownDelay: 1m\n`;
const withBlueGreen = (yaml: string): string => yaml.replace('    steps:\n      - setWeight: 20\n      - pause: { duration: 1m30s }\n      - setWeight: 100\n', '');

const ALB_TRAFFIC = `    traffic:\n      alb:\n        listenerRule: ${ALB_RULE}\n        targetGroups: [${ALB_BLUE}, ${ALB_GREEN}]\n`;

describe('traffic at synth', () => {
  it('travels in the bundled config unchanged', async () => {
    const original = await configFrom(withTraffic(ALB_TRAFFIC));
    expect(original.services.web!.traffic).toEqual({ alb: { listenerRule: ALB_RULE, targetGroups: [ALB_BLUE, ALB_GREEN] } });
    const reloaded = await loadConfig(writeResolvedConfig(original, mkdtempSync(join(tmpdir(), 'resolved-'))), {});
    expect(reloaded.services.web!.traffic).toEqual(original.services.web!.traffic);
  });

  it('carries blueGreen in place of steps, and the loader reads the same service back', async () => {
    const original = await configFrom(withBlueGreen(withTraffic(ALB_TRAFFIC + BLUE_GREEN)));
    expect(original.services.web!.blueGreen).toEqual({ previewListenerRule: ALB_PREVIEW, autoPromote: false, scaleDownDelay: 60 });
    const reloaded = await loadConfig(writeResolvedConfig(original, mkdtempSync(join(tmpdir(), 'resolved-'))), {});
    expect(reloaded.services.web!.blueGreen).toEqual(original.services.web!.blueGreen);
    expect(reloaded.services.web!.steps).toEqual(original.services.web!.steps);
  });

  it('refuses blueGreen with steps at synth, naming the field', async () => {
    const error = await configFrom(withTraffic(ALB_TRAFFIC + BLUE_GREEN)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([expect.stringContaining('services.web.blueGreen: cannot be combined with steps')]);
  });

  it('refuses the same target group twice, naming the field', async () => {
    const error = await configFrom(withTraffic(`    traffic:\n      alb:\n        listenerRule: ${ALB_RULE}\n        targetGroups: [${ALB_BLUE}, ${ALB_BLUE}]\n`)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([expect.stringContaining('services.web.traffic.alb.targetGroups[1]: must be two distinct target groups')]);
  });

  it('refuses a Network Load Balancer listener at synth, naming the field', async () => {
    const nlb = ALB_RULE.replace(':listener-rule/app/', ':listener/net/').replace(/\/[0-9a-f]{16}$/, '');
    const error = await configFrom(withTraffic(`    traffic:\n      alb:\n        listener: ${nlb}\n        targetGroups: [${ALB_BLUE}, ${ALB_GREEN}]\n`)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([expect.stringContaining('services.web.traffic.alb.listener: is a Network Load Balancer listener: weighted target groups need an Application Load Balancer')]);
  });
});

describe('the grants of traffic.alb', () => {
  it('let every function that moves task sets modify only the configured rule, and describe rules (no resource-level permissions)', async () => {
    const { template } = synth(await configFrom(withTraffic(ALB_TRAFFIC)));
    for (const handler of ['index.advance', 'index.recover', 'index.alarmStateChange', 'index.handler', 'index.watchdog', 'index.ecsEvent', 'index.awaitApproval', 'index.ecrPush']) {
      const statements = statementsOf(template, handler);
      expect(statement(statements, 'ElbModifyRules')).toMatchObject({ Effect: 'Allow', Action: 'elasticloadbalancing:ModifyRule', Resource: ALB_RULE });
      // What the router reads (the rule, with no listener configured) and what the checks at a rollout's start read.
      expect(statement(statements, 'ElbDescribe')).toMatchObject({
        Action: ['elasticloadbalancing:DescribeLoadBalancers', 'elasticloadbalancing:DescribeRules', 'elasticloadbalancing:DescribeTargetGroupAttributes', 'elasticloadbalancing:DescribeTargetGroups'],
        Resource: '*',
      });
      expect(statements.map((st) => st.Sid)).not.toContain('ElbModifyListeners');
    }
  });

  it('let them modify the blue-green preview rule too', async () => {
    const { template } = synth(await configFrom(withBlueGreen(withTraffic(ALB_TRAFFIC + BLUE_GREEN))));
    for (const handler of ['index.advance', 'index.recover', 'index.alarmStateChange', 'index.handler', 'index.watchdog', 'index.ecsEvent', 'index.awaitApproval', 'index.ecrPush']) {
      expect(statement(statementsOf(template, handler), 'ElbModifyRules')).toMatchObject({ Effect: 'Allow', Action: 'elasticloadbalancing:ModifyRule', Resource: [ALB_RULE, ALB_PREVIEW] });
    }
  });

  it('add nothing for a config without traffic', async () => {
    const { template } = await synthDefault();
    expect(statementsOf(template, 'index.advance').map((st) => st.Sid)).not.toContain('ElbDescribe');
  });
});
