/** `traffic.alb` at synth: the stack loads the same config, so a shape error stops `cdk synth` naming the field. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeResolvedConfig } from '../../infra/resolved-config';
import { loadConfig } from '../../shared/config/load-config';
import { ConfigError } from '../../shared/errors';
import { ACCOUNT, configFrom, REGION, TEST_CONFIG_YAML } from './infra-fixtures';

const P = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}`;
export const ALB_RULE = `${P}:listener-rule/app/web/0123456789abcdef/1123456789abcdef/2123456789abcdef`;
export const ALB_BLUE = `${P}:targetgroup/web-blue/3123456789abcdef`;
export const ALB_GREEN = `${P}:targetgroup/web-green/4123456789abcdef`;

/** The test config with `traffic` on the web service. */
export const withTraffic = (traffic: string): string => TEST_CONFIG_YAML.replace('    alarms: [web-5xx, web-latency]\n', `    alarms: [web-5xx, web-latency]\n${traffic}`);

export const ALB_TRAFFIC = `    traffic:\n      alb:\n        listenerRule: ${ALB_RULE}\n        targetGroups: [${ALB_BLUE}, ${ALB_GREEN}]\n`;

describe('traffic at synth', () => {
  it('travels in the bundled config unchanged', async () => {
    const original = await configFrom(withTraffic(ALB_TRAFFIC));
    expect(original.services.web!.traffic).toEqual({ alb: { listenerRule: ALB_RULE, targetGroups: [ALB_BLUE, ALB_GREEN] } });
    const reloaded = await loadConfig(writeResolvedConfig(original, mkdtempSync(join(tmpdir(), 'resolved-'))), {});
    expect(reloaded.services.web!.traffic).toEqual(original.services.web!.traffic);
  });

  it('refuses the same target group twice, naming the field', async () => {
    const error = await configFrom(withTraffic(`    traffic:\n      alb:\n        listenerRule: ${ALB_RULE}\n        targetGroups: [${ALB_BLUE}, ${ALB_BLUE}]\n`)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([expect.stringContaining('services.web.traffic.alb.targetGroups[1]: must be two distinct target groups')]);
  });
});
