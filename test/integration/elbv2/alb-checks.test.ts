/**
 * What only the load balancer knows about `traffic.alb`, read through the real ELBv2 client from the
 * stand-in (readAlb) and judged by the one pure check (albProblems), as a rollout's start and
 * `rollout doctor` do.
 */
import { ElasticLoadBalancingV2Client, type Action } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startElbV2StandIn, type RunningElbV2StandIn } from '../../../local/elbv2-stand-in';
import { loadBalancerArnOf, readAlb } from '../../../shared/adapters/elbv2';
import { type AlbPair, albProblems, albSteadyTimeout } from '../../../shared/core/alb-checks';
import { LoadBalancerError } from '../../../shared/errors';

let running: RunningElbV2StandIn;
let client: ElasticLoadBalancingV2Client;

beforeAll(async () => {
  running = await startElbV2StandIn();
  client = new ElasticLoadBalancingV2Client({ endpoint: running.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
});
afterAll(async () => {
  client.destroy();
  await running.close();
});

const forward = (...groups: string[]): Action => ({ Type: 'forward', ForwardConfig: { TargetGroups: groups.map((arn, i) => ({ TargetGroupArn: arn, Weight: i === 0 ? 100 : 0 })) } });

/** An Application Load Balancer with a rule forwarding to `blue` (and `green`, when `both`). */
function seed(name: string, green: { protocol?: string; vpcId?: string } = {}, both = true) {
  const { standIn } = running;
  const lb = standIn.seedLoadBalancer({ name }).arn;
  const blue = standIn.seedTargetGroup({ name: `${name}-blue`, healthCheck: { intervalSeconds: 10, healthyThreshold: 3 }, deregistrationDelaySeconds: 120 }).arn;
  const greenArn = standIn.seedTargetGroup({ name: `${name}-green`, ...green }).arn;
  const listener = standIn.seedListener({ loadBalancerArn: lb, defaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }] }).arn;
  const rule = standIn.seedRule({ listenerArn: listener, priority: 1, conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/*'] } }], actions: [both ? forward(blue, greenArn) : forward(blue)] }).arn;
  return { lb, listener, rule, blue, green: greenArn, alb: { listenerRule: rule, targetGroups: [blue, greenArn] } as AlbPair };
}

const fields = (alb: AlbPair, reading: Awaited<ReturnType<typeof readAlb>>, stable?: string | null) => albProblems(alb, reading, stable).map((p) => `${p.field}: ${p.problem}`);

describe('the load balancer checks of traffic.alb, against the ELBv2 stand-in', () => {
  it('pass a rule forwarding to the pair, and read the timings the steady timeout is computed from', async () => {
    const { alb, blue, green, lb } = seed('good');
    running.standIn.clearCalls();
    const reading = await readAlb(client, alb);
    expect(reading.loadBalancer).toEqual({ arn: lb, type: 'application', vpcId: 'vpc-local' });
    expect(reading.anchor).toEqual({ forwards: [{ arn: blue, weight: 100 }, { arn: green, weight: 0 }] });
    expect(reading.targetGroups[0]).toMatchObject({ arn: blue, protocol: 'HTTP', healthCheckIntervalSeconds: 10, healthyThresholdCount: 3, deregistrationDelaySeconds: 120, loadBalancerArns: [lb] });
    // AWS's defaults for the other: 30 s × 5, 300 s of draining.
    expect(reading.targetGroups[1]).toMatchObject({ arn: green, healthCheckIntervalSeconds: 30, healthyThresholdCount: 5, deregistrationDelaySeconds: 300 });
    expect(albProblems(alb, reading, blue)).toEqual([]);
    expect(albSteadyTimeout(reading.targetGroups.filter((g) => g !== null))).toEqual({
      seconds: (120 + 150 + 300) * 2,
      basis: `target group ${green}: health check 5 × 30s, deregistration delay 300s`,
    });
    // Read-only.
    expect(running.standIn.calls.map((c) => c.operation)).toEqual(['DescribeLoadBalancers', 'DescribeRules', 'DescribeTargetGroups', 'DescribeTargetGroupAttributes', 'DescribeTargetGroupAttributes']);
  });

  it('pass a rule that forwards to the first group alone, and a listener default action', async () => {
    const { alb, blue, lb, green } = seed('single', {}, false);
    expect(fields(alb, await readAlb(client, alb), blue)).toEqual([]);
    const listener = running.standIn.seedListener({ loadBalancerArn: lb, port: 8080, defaultActions: [forward(blue, green)] }).arn;
    expect(fields({ listener, targetGroups: [blue, green] }, await readAlb(client, { listener, targetGroups: [blue, green] }), green)).toEqual([]);
  });

  it('refuse a rule that forwards elsewhere, naming the field and the group', async () => {
    const { blue, green, lb, listener } = seed('elsewhere');
    const other = running.standIn.seedTargetGroup({ name: 'elsewhere-other' }).arn;
    const rule = running.standIn.seedRule({ listenerArn: listener, priority: 2, conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/x'] } }], actions: [forward(blue, other)] }).arn;
    const alb: AlbPair = { listenerRule: rule, targetGroups: [blue, green] };
    expect(fields(alb, await readAlb(client, alb), blue)).toEqual([
      `traffic.alb.listenerRule: listener rule ${rule} forwards to ${other}, outside traffic.alb.targetGroups: its weights would not be the configured split`,
    ]);
    const fixed = running.standIn.seedListener({ loadBalancerArn: lb, port: 81, defaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503' } }] }).arn;
    expect(fields({ listener: fixed, targetGroups: [blue, green] }, await readAlb(client, { listener: fixed, targetGroups: [blue, green] }))).toEqual([
      `traffic.alb.listener: listener ${fixed} has no forward action: its weights cannot carry the split`,
    ]);
  });

  it("refuse a Network Load Balancer's target group", async () => {
    const { standIn } = running;
    const { blue, rule } = seed('nlbpair', {}, false);
    const nlb = standIn.seedLoadBalancer({ name: 'nlb', type: 'network' }).arn;
    const tcp = standIn.seedTargetGroup({ name: 'nlb-tcp', protocol: 'TCP' }).arn;
    standIn.seedListener({ loadBalancerArn: nlb, protocol: 'TCP', defaultActions: [{ Type: 'forward', TargetGroupArn: tcp }] });
    const alb: AlbPair = { listenerRule: rule, targetGroups: [blue, tcp] };
    const reading = await readAlb(client, alb);
    expect(reading.targetGroups[1]).toMatchObject({ protocol: 'TCP', loadBalancerArns: [nlb] });
    expect(fields(alb, reading, blue)).toEqual([
      `traffic.alb.targetGroups[1]: target group ${tcp} (TCP) is a Network Load Balancer's: an Application Load Balancer cannot forward to it`,
      `traffic.alb.targetGroups[1]: target group ${tcp} already serves load balancer ${nlb}: a target group serves one load balancer`,
      `traffic.alb.targetGroups[1]: target group ${tcp} uses TCP, the other of the pair (${blue}) HTTP: the stable and the canary must be reached alike`,
    ]);
  });

  it('refuse a group of another VPC or another protocol than the other of the pair', async () => {
    const away = seed('away', { vpcId: 'vpc-other' }, false);
    expect(fields(away.alb, await readAlb(client, away.alb), away.blue)).toEqual([
      `traffic.alb.targetGroups[1]: target group ${away.green} is in VPC vpc-other, the load balancer ${away.lb} in vpc-local`,
    ]);
    const https = seed('https', { protocol: 'HTTPS' });
    expect(fields(https.alb, await readAlb(client, https.alb), https.blue)).toEqual([
      `traffic.alb.targetGroups[1]: target group ${https.green} uses HTTPS, the other of the pair (${https.blue}) HTTP: the stable and the canary must be reached alike`,
    ]);
  });

  it('refuse what does not exist, and a stable task set outside the pair', async () => {
    const { alb, blue, rule } = seed('gone');
    const ghost = alb.targetGroups[1].replace(/\/[0-9a-f]{16}$/, '/ffffffffffffffff');
    expect(fields({ ...alb, targetGroups: [blue, ghost] }, await readAlb(client, { ...alb, targetGroups: [blue, ghost] }), ghost)).toEqual([
      `traffic.alb.listenerRule: listener rule ${rule} forwards to ${alb.targetGroups[1]}, outside traffic.alb.targetGroups: its weights would not be the configured split`,
      `traffic.alb.targetGroups[1]: target group ${ghost} does not exist`,
    ]);
    const noRule = `${rule.slice(0, -16)}ffffffffffffffff`;
    expect(fields({ ...alb, listenerRule: noRule }, await readAlb(client, { ...alb, listenerRule: noRule }), blue)).toEqual([`traffic.alb.listenerRule: listener rule ${noRule} does not exist`]);
    const noLb = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:listener-rule/app/none/0123456789abcdef/0123456789abcdef/0123456789abcdef';
    expect(loadBalancerArnOf(noLb)).toBe('arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/none/0123456789abcdef');
    expect(fields({ ...alb, listenerRule: noLb }, await readAlb(client, { ...alb, listenerRule: noLb }))).toEqual([
      `traffic.alb.listenerRule: the load balancer of listener rule ${noLb} does not exist`,
    ]);
    expect(fields(alb, await readAlb(client, alb), 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/shared/0123456789abcdef')).toEqual([
      'traffic.alb.targetGroups: the PRIMARY task set is registered with arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/shared/0123456789abcdef, not with one of the pair: traffic could not be moved back to it',
    ]);
  });

  it('throw a LoadBalancerError for a failure that is not a missing resource', async () => {
    const { alb } = seed('denied');
    const { ElbApiError } = await import('../../../local/elbv2-stand-in/errors');
    running.standIn.failNext('DescribeTargetGroups', new ElbApiError('AccessDenied', 'not authorized to perform elasticloadbalancing:DescribeTargetGroups', 403));
    await expect(readAlb(client, alb)).rejects.toThrow(LoadBalancerError);
  });
});
