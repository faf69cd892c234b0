import { DescribeListenersCommand, DescribeRulesCommand, ElasticLoadBalancingV2Client, type Action } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startElbV2StandIn, type RunningElbV2StandIn } from '../../../local/elbv2-stand-in';
import { AlbTrafficRouter } from '../../../shared/adapters/elbv2';
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

const oidc: Action = {
  Type: 'authenticate-oidc',
  Order: 1,
  AuthenticateOidcConfig: {
    Issuer: 'https://idp.example.com',
    AuthorizationEndpoint: 'https://idp.example.com/auth',
    TokenEndpoint: 'https://idp.example.com/token',
    UserInfoEndpoint: 'https://idp.example.com/userinfo',
    ClientId: 'web',
    ClientSecret: 's3cret',
    Scope: 'openid email',
  },
};

function seed(name: string) {
  const { standIn } = running;
  const lb = standIn.seedLoadBalancer({ name }).arn;
  const blue = standIn.seedTargetGroup({ name: `${name}-blue` }).arn;
  const green = standIn.seedTargetGroup({ name: `${name}-green` }).arn;
  const forward: Action = {
    Type: 'forward',
    Order: 2,
    ForwardConfig: { TargetGroups: [{ TargetGroupArn: blue, Weight: 100 }, { TargetGroupArn: green, Weight: 0 }], TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 600 } },
  };
  const listener = standIn.seedListener({ loadBalancerArn: lb, protocol: 'HTTPS', defaultActions: [oidc, forward] }).arn;
  const conditions = [
    { Field: 'host-header', HostHeaderConfig: { Values: ['web.example.com'] } },
    { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Canary', Values: ['*'] } },
  ];
  const rule = standIn.seedRule({ listenerArn: listener, priority: 5, conditions, actions: [oidc, forward] }).arn;
  return { blue, green, listener, rule, conditions };
}

describe('AlbTrafficRouter against the ELBv2 stand-in', () => {
  it('changes only the weights of a rule: conditions, the authentication action and stickiness are kept', async () => {
    const { blue, green, rule, conditions } = seed('keep');
    const router = new AlbTrafficRouter({ client, alb: { listenerRule: rule, targetGroups: [blue, green] } });
    for (const w of [0, 1, 10, 33, 50, 99, 100]) {
      await router.route({ stableTargetGroupArn: blue, canaryTargetGroupArn: green, canaryWeight: w });
      expect(running.standIn.weights(rule)).toEqual({ [blue]: 100 - w, [green]: w });
      expect(await router.share({ stable: null, canary: { targetGroupArn: green } as never })).toBe(w);
    }
    const [described] = (await client.send(new DescribeRulesCommand({ RuleArns: [rule] }))).Rules!;
    expect(described!.Conditions).toEqual(conditions);
    expect(described!.Actions![0]).toEqual({ ...oidc, AuthenticateOidcConfig: { ...oidc.AuthenticateOidcConfig, ClientSecret: undefined } });
    expect(described!.Actions![1]!.ForwardConfig!.TargetGroupStickinessConfig).toEqual({ Enabled: true, DurationSeconds: 600 });
    // The secret never travels: each ModifyRule kept the stored one (UseExistingClientSecret), which the
    // stand-in refuses when it has none.
    expect(running.standIn.callsTo('ModifyRule').every((c) => !JSON.stringify(c.input).includes('s3cret'))).toBe(true);
  });

  it("sets a listener's default action the same way", async () => {
    const { blue, green, listener } = seed('default');
    const router = new AlbTrafficRouter({ client, alb: { listener, targetGroups: [blue, green] } });
    await router.route({ stableTargetGroupArn: green, canaryTargetGroupArn: blue, canaryWeight: 20 });
    const [described] = (await client.send(new DescribeListenersCommand({ ListenerArns: [listener] }))).Listeners!;
    expect(described!.DefaultActions!.map((a) => a.Type)).toEqual(['authenticate-oidc', 'forward']);
    expect(running.standIn.weights(listener)).toEqual({ [green]: 80, [blue]: 20 });
  });

  it('refuses a target group outside the pair, and a rule forwarding elsewhere too, changing nothing', async () => {
    const { blue, green, rule } = seed('strange');
    const stranger = running.standIn.seedTargetGroup({ name: 'strange-other' }).arn;
    const router = new AlbTrafficRouter({ client, alb: { listenerRule: rule, targetGroups: [blue, stranger] } });
    await expect(router.route({ stableTargetGroupArn: blue, canaryTargetGroupArn: green, canaryWeight: 10 })).rejects.toThrow(LoadBalancerError);
    await expect(router.route({ stableTargetGroupArn: blue, canaryTargetGroupArn: stranger, canaryWeight: 10 })).rejects.toThrow(/outside traffic\.alb\.targetGroups/);
    expect(running.standIn.weights(rule)).toEqual({ [blue]: 100, [green]: 0 });
  });
});
