import {
  DeregisterTargetsCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ListenerNotFoundException,
  ModifyListenerCommand,
  ModifyRuleCommand,
  RegisterTargetsCommand,
  RuleNotFoundException,
  TargetGroupNotFoundException,
  type Action,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startElbV2StandIn, type RunningElbV2StandIn } from '../../../local/elbv2-stand-in';

let running: RunningElbV2StandIn;
let client: ElasticLoadBalancingV2Client;
let now = 1_000_000;

const auth: Action = {
  Type: 'authenticate-oidc',
  Order: 1,
  AuthenticateOidcConfig: {
    Issuer: 'https://idp.example.com',
    AuthorizationEndpoint: 'https://idp.example.com/auth',
    TokenEndpoint: 'https://idp.example.com/token',
    UserInfoEndpoint: 'https://idp.example.com/userinfo',
    ClientId: 'web',
    ClientSecret: 's3cret',
  },
};

let lb: string;
let listener: string;
let rule: string;
let blue: string;
let green: string;

const forward = (blueWeight: number, greenWeight: number, stickiness = { Enabled: true, DurationSeconds: 3600 }): Action => ({
  Type: 'forward',
  Order: 2,
  ForwardConfig: {
    TargetGroups: [
      { TargetGroupArn: blue, Weight: blueWeight },
      { TargetGroupArn: green, Weight: greenWeight },
    ],
    TargetGroupStickinessConfig: stickiness,
  },
});

const health = async (group: string) =>
  (await client.send(new DescribeTargetHealthCommand({ TargetGroupArn: group }))).TargetHealthDescriptions!.map((d) => [
    d.Target!.Id,
    d.TargetHealth!.State,
    d.TargetHealth!.Reason,
  ]);

beforeAll(async () => {
  running = await startElbV2StandIn({ now: () => now });
  client = new ElasticLoadBalancingV2Client({
    endpoint: running.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  client.destroy();
  await running.close();
});

beforeEach(() => {
  const { standIn } = running;
  lb = standIn.seedLoadBalancer({ name: `web-${now}` }).arn;
  blue = standIn.seedTargetGroup({ name: `blue-${now}`, healthCheck: { intervalSeconds: 10, healthyThreshold: 3 }, deregistrationDelaySeconds: 60 }).arn;
  green = standIn.seedTargetGroup({ name: `green-${now}` }).arn;
  listener = standIn.seedListener({ loadBalancerArn: lb, protocol: 'HTTPS', defaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }] }).arn;
  rule = standIn.seedRule({
    listenerArn: listener,
    priority: 10,
    conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: ['web.example.com'] } }, { Field: 'path-pattern', Values: ['/api/*'] }],
    actions: [auth, forward(100, 0)],
  }).arn;
  now += 1_000_000;
});

describe('the ELBv2 stand-in through the real SDK client', () => {
  it('describes the load balancer, its listener, rules and target groups as ELBv2 shapes them', async () => {
    const lbs = await client.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [lb] }));
    expect(lbs.LoadBalancers![0]).toMatchObject({ LoadBalancerArn: lb, Type: 'application', VpcId: 'vpc-local', State: { Code: 'active' } });
    expect(lbs.LoadBalancers![0]!.CreatedTime).toBeInstanceOf(Date);
    const listeners = await client.send(new DescribeListenersCommand({ LoadBalancerArn: lb }));
    expect(listeners.Listeners).toEqual([expect.objectContaining({ ListenerArn: listener, Protocol: 'HTTPS', Port: 443 })]);
    const rules = (await client.send(new DescribeRulesCommand({ ListenerArn: listener }))).Rules!;
    expect(rules.map((r) => [r.Priority, r.IsDefault])).toEqual([['10', false], ['default', true]]);
    expect(rules[0]!.Actions![0]!.AuthenticateOidcConfig).not.toHaveProperty('ClientSecret');
    const groups = await client.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: lb }));
    expect(groups.TargetGroups!.map((g) => g.TargetGroupArn).sort()).toEqual([blue, green].sort());
    expect(groups.TargetGroups!.find((g) => g.TargetGroupArn === blue)).toMatchObject({ HealthCheckIntervalSeconds: 10, HealthyThresholdCount: 3, Protocol: 'HTTP', VpcId: 'vpc-local', TargetType: 'ip' });
    const attributes = await client.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: blue }));
    expect(attributes.Attributes).toContainEqual({ Key: 'deregistration_delay.timeout_seconds', Value: '60' });
  });

  it('ModifyRule replaces the actions whole and keeps the conditions when none are given', async () => {
    const { UseExistingClientSecret: _, ...config } = { ...auth.AuthenticateOidcConfig!, ClientSecret: undefined, UseExistingClientSecret: true };
    await client.send(new ModifyRuleCommand({ RuleArn: rule, Actions: [{ ...auth, AuthenticateOidcConfig: { ...config, UseExistingClientSecret: true } }, forward(80, 20)] }));
    const [described] = (await client.send(new DescribeRulesCommand({ RuleArns: [rule] }))).Rules!;
    expect(described!.Conditions).toEqual([
      { Field: 'host-header', HostHeaderConfig: { Values: ['web.example.com'] } },
      { Field: 'path-pattern', Values: ['/api/*'] },
    ]);
    expect(described!.Actions!.map((a) => a.Type)).toEqual(['authenticate-oidc', 'forward']);
    expect(described!.Actions![1]!.ForwardConfig).toEqual({
      TargetGroups: [
        { TargetGroupArn: blue, Weight: 80 },
        { TargetGroupArn: green, Weight: 20 },
      ],
      TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 3600 },
    });
    expect(running.standIn.weights(rule)).toEqual({ [blue]: 80, [green]: 20 });
  });

  it('refuses an authenticate-oidc action without its secret, as ModifyRule does', async () => {
    const { ClientSecret: _, ...config } = auth.AuthenticateOidcConfig!;
    await expect(client.send(new ModifyRuleCommand({ RuleArn: rule, Actions: [{ ...auth, AuthenticateOidcConfig: config }, forward(50, 50)] }))).rejects.toMatchObject({
      name: 'ValidationError',
    });
    expect(running.standIn.weights(rule)).toEqual({ [blue]: 100, [green]: 0 });
  });

  it.each([
    ['a weight above 999', () => [forward(1000, 0)], 'ValidationError'],
    ['the same group twice', () => [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: blue }, { TargetGroupArn: blue }] } }], 'ValidationError'],
    ['an unknown group', () => [{ Type: 'forward', TargetGroupArn: `${blue}0` }], 'TargetGroupNotFoundException'],
    ['stickiness enabled without a duration', () => [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: blue }], TargetGroupStickinessConfig: { Enabled: true } } }], 'ValidationError'],
    ['a forward before another action', () => [{ ...forward(1, 1), Order: 1 }, { ...auth, Order: 2 }], 'InvalidLoadBalancerActionException'],
    ['several actions without an order', () => [{ ...auth, Order: undefined }, { ...forward(1, 1), Order: undefined }], 'ValidationError'],
  ])('refuses %s and changes nothing', async (_name, actions, code) => {
    const before = (await client.send(new DescribeRulesCommand({ RuleArns: [rule] }))).Rules;
    await expect(client.send(new ModifyRuleCommand({ RuleArn: rule, Actions: actions() as Action[] }))).rejects.toMatchObject({ name: code });
    expect((await client.send(new DescribeRulesCommand({ RuleArns: [rule] }))).Rules).toEqual(before);
  });

  it('answers the model errors of missing resources as their SDK exception classes', async () => {
    await expect(client.send(new ModifyRuleCommand({ RuleArn: `${rule}0`, Actions: [forward(1, 1)] }))).rejects.toBeInstanceOf(RuleNotFoundException);
    await expect(client.send(new DescribeListenersCommand({ ListenerArns: [`${listener}0`] }))).rejects.toBeInstanceOf(ListenerNotFoundException);
    await expect(client.send(new DescribeTargetHealthCommand({ TargetGroupArn: `${blue}0` }))).rejects.toBeInstanceOf(TargetGroupNotFoundException);
  });

  it('ModifyListener replaces the default actions; the default rule refuses ModifyRule', async () => {
    const rules = (await client.send(new DescribeRulesCommand({ ListenerArn: listener }))).Rules!;
    const defaultRule = rules.find((r) => r.IsDefault)!.RuleArn!;
    await expect(client.send(new ModifyRuleCommand({ RuleArn: defaultRule, Actions: [forward(1, 1)] }))).rejects.toMatchObject({ name: 'OperationNotPermittedException' });
    const answer = await client.send(new ModifyListenerCommand({ ListenerArn: listener, DefaultActions: [{ ...forward(90, 10), Order: 1 }] }));
    expect(answer.Listeners![0]!.DefaultActions![0]!.ForwardConfig!.TargetGroups).toEqual([
      { TargetGroupArn: blue, Weight: 90 },
      { TargetGroupArn: green, Weight: 10 },
    ]);
    await expect(client.send(new ModifyListenerCommand({ ListenerArn: listener, Port: 8080 }))).rejects.toMatchObject({ name: 'ValidationError' });
  });

  it('a target is initial until interval × healthy threshold, then healthy; deregistered, it drains for the delay', async () => {
    await client.send(new RegisterTargetsCommand({ TargetGroupArn: blue, Targets: [{ Id: '10.0.0.1', Port: 8080 }] }));
    expect(await health(blue)).toEqual([['10.0.0.1', 'initial', 'Elb.RegistrationInProgress']]);
    now += 10_000;
    expect(await health(blue)).toEqual([['10.0.0.1', 'initial', 'Elb.InitialHealthChecking']]);
    now += 19_999;
    expect((await health(blue))[0]![1]).toBe('initial');
    now += 1;
    expect(await health(blue)).toEqual([['10.0.0.1', 'healthy', undefined]]);
    await client.send(new DeregisterTargetsCommand({ TargetGroupArn: blue, Targets: [{ Id: '10.0.0.1', Port: 8080 }] }));
    expect(await health(blue)).toEqual([['10.0.0.1', 'draining', 'Target.DeregistrationInProgress']]);
    now += 60_000;
    expect(await health(blue)).toEqual([]);
    const asked = await client.send(new DescribeTargetHealthCommand({ TargetGroupArn: blue, Targets: [{ Id: '10.0.0.1', Port: 8080 }] }));
    expect(asked.TargetHealthDescriptions![0]!.TargetHealth).toMatchObject({ State: 'unused', Reason: 'Target.NotRegistered' });
    await expect(client.send(new DeregisterTargetsCommand({ TargetGroupArn: blue, Targets: [{ Id: '10.0.0.1' }] }))).rejects.toMatchObject({ name: 'InvalidTargetException' });
  });

  it('targets of a group no rule forwards to are unused; an ip group refuses an instance id', async () => {
    const lonely = running.standIn.seedTargetGroup({ name: `lonely-${now}` }).arn;
    await client.send(new RegisterTargetsCommand({ TargetGroupArn: lonely, Targets: [{ Id: '10.0.0.9' }] }));
    now += 3_600_000;
    expect(await health(lonely)).toEqual([['10.0.0.9', 'unused', 'Target.NotInUse']]);
    await expect(client.send(new RegisterTargetsCommand({ TargetGroupArn: lonely, Targets: [{ Id: 'i-0123456789abcdef0' }] }))).rejects.toMatchObject({ name: 'InvalidTargetException' });
  });
});

describe('the ELBv2 wire', () => {
  const post = (body: string, contentType = 'application/x-www-form-urlencoded') =>
    fetch(running.endpoint, { method: 'POST', headers: { 'content-type': contentType }, body });

  it('answers an unknown action, a wrong version and an unknown parameter with Query XML errors', async () => {
    const unknownAction = await post('Action=CreateLoadBalancer&Version=2015-12-01&Name=x');
    expect(unknownAction.status).toBe(400);
    expect(await unknownAction.text()).toMatch(/<ErrorResponse xmlns="http:\/\/elasticloadbalancing\.amazonaws\.com\/doc\/2015-12-01\/"><Error><Type>Sender<\/Type><Code>InvalidAction<\/Code>/);
    expect(await (await post('Action=DescribeLoadBalancers&Version=2012-06-01')).text()).toContain('<Code>InvalidAction</Code>');
    const unknownMember = await (await post(`Action=DescribeRules&Version=2015-12-01&ListenerArn=${encodeURIComponent(listener)}&Colour=red`)).text();
    expect(unknownMember).toContain('<Code>ValidationError</Code>');
    expect(unknownMember).toContain('Colour');
    expect(await (await post('Action=DescribeTargetHealth&Version=2015-12-01')).text()).toContain("Value null at 'TargetGroupArn'");
    expect(await (await post(`Action=DescribeTargetHealth&Version=2015-12-01&TargetGroupArn=x`, 'application/json')).text()).toContain('<Code>InvalidAction</Code>');
  });
});
