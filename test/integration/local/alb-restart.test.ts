/**
 * The load balancer outlives a restart of local mode, as an ALB outlives a restart of the orchestrator
 * in AWS: a rollout paused at 20% still has 20% of the traffic after the process comes back on the same
 * data directory, and finishes from there. A second reading of the same file by a fresh stand-in shows
 * what was kept (rules with their actions) and what was not (targets: the ECS stand-in registers the
 * running tasks again).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../../local/local-stack';
import { ElbV2StandIn } from '../../../local/elbv2-stand-in';
import { silentLogger } from '../../../shared/observability/logger';
import { apiClient, waitFor } from '../../helpers/http';
import { appConfig, digestOf, pushEnvelope, serviceConfig } from '../../helpers/local-config';
import { ScriptedVerifier } from '../../helpers/scripted-verifier';

const P = 'arn:aws:elasticloadbalancing:us-east-1:000000000000';
const RULE = `${P}:listener-rule/app/local/0000000000000001/0000000000000002/0000000000000003`;
const BLUE = `${P}:targetgroup/web-blue/0000000000000004`;
const GREEN = `${P}:targetgroup/web-green/0000000000000005`;

const dataDir = mkdtempSync(join(tmpdir(), 'alb-restart-'));
let stack: LocalStack | undefined;
afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const options: LocalStackOptions = {
  config: appConfig([
    serviceConfig('web', { steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 100 }], alarms: [], local: { desiredCount: 4, image: null }, traffic: { alb: { listenerRule: RULE, targetGroups: [BLUE, GREEN] } } }),
  ]),
  dataDir,
  port: 0,
  taskStartMs: 15,
  steadyPollMs: 15,
  targetGroups: { healthCheck: { intervalSeconds: 0.1, healthyThreshold: 2 }, deregistrationDelaySeconds: 0.2 },
  verifier: new ScriptedVerifier(),
  logger: silentLogger,
  webhookToken: 'hook-token',
  apiToken: 'api-token',
};

const weights = (standIn: ElbV2StandIn) => standIn.weights(RULE);

describe('the load balancer across a restart', () => {
  it('keeps the weights a paused rollout set, and the rollout finishes from them', async () => {
    stack = await startLocalStack(options);
    const res = await apiClient(stack.url, 'hook-token')('POST', '/webhooks/registry', pushEnvelope('team/web', 'v2', digestOf(0x7e57)));
    expect(res.status).toBe(202);
    const id: string = res.body.accepted[0].rolloutId;
    let api = apiClient(stack.url, 'api-token');
    await waitFor('paused at 20%', async () => (await api('GET', `/rollouts/${id}`)).body?.status === 'PAUSED' || undefined);
    expect(weights(stack.elbv2)).toEqual({ [BLUE]: 80, [GREEN]: 20 });
    await stack.stop();
    stack = undefined;

    // What the file kept, read by a stand-in of its own: the rule's weights; no targets.
    const reread = new ElbV2StandIn({ stateFile: join(dataDir, 'elbv2.json') });
    expect(weights(reread)).toEqual({ [BLUE]: 80, [GREEN]: 20 });
    expect(reread.invoke('DescribeTargetHealth', { TargetGroupArn: GREEN })).toEqual({ TargetHealthDescriptions: [] });

    stack = await startLocalStack(options);
    api = apiClient(stack.url, 'api-token');
    expect(weights(stack.elbv2)).toEqual({ [BLUE]: 80, [GREEN]: 20 });
    expect((await api('GET', `/rollouts/${id}`)).body).toMatchObject({ status: 'PAUSED', canaryWeight: 20, trafficShare: 20 });

    expect((await api('POST', `/rollouts/${id}/approve`, { by: 'ann' })).status).toBe(200);
    await waitFor('succeeded', async () => (await api('GET', `/rollouts/${id}`)).body?.status === 'SUCCEEDED' || undefined, 20_000);
    expect(weights(stack.elbv2)).toEqual({ [BLUE]: 0, [GREEN]: 100 });
  });
});
