/**
 * The emulated Elastic Load Balancing v2 control plane: load balancers, listeners, rules, target
 * groups and their targets, for the calls the orchestrator makes. Operations take the decoded request
 * (see `query-schema.ts`) and answer the output structure; errors are `ElbApiError` with ELBv2's codes.
 */
import type { Action, RuleCondition } from '@aws-sdk/client-elastic-load-balancing-v2';
import { acceptActions, forwardTargets, renderActions } from './actions';
import * as arns from './arns';
import {
  ElbApiError,
  invalidTarget,
  listenerNotFound,
  loadBalancerNotFound,
  operationNotPermitted,
  ruleNotFound,
  targetGroupNotFound,
  validationError,
} from './errors';
import { drainedAt, readTargetHealth, type TargetHealthReading } from './health';
import type { HealthCheck, StoredListener, StoredLoadBalancer, StoredRule, StoredTarget, StoredTargetGroup } from './types';
import { loadElbState, saveElbState } from './persistence';

export interface ElbV2StandInOptions {
  /** Default `us-east-1`. */
  readonly region?: string;
  /** Default `000000000000`. */
  readonly accountId?: string;
  /** The clock, in epoch milliseconds. Default `Date.now`. */
  readonly now?: () => number;
  /** Keep load balancers, listeners, rules and target groups in this file across restarts (persistence.ts). Default: memory only. */
  readonly stateFile?: string;
}

/** The operations that change what the file keeps. */
const KEPT_CHANGES = new Set(['ModifyRule', 'ModifyListener']);

export interface ElbCall {
  readonly operation: string;
  readonly input: Readonly<Record<string, unknown>>;
  readonly at: number;
  readonly error?: string;
}

type Input = Readonly<Record<string, unknown>>;

export interface SeedLoadBalancerInput {
  /** Default: a new ARN from `name`. */
  readonly arn?: string;
  readonly name?: string;
  readonly type?: 'application' | 'network';
  /** Default `vpc-local`. */
  readonly vpcId?: string;
}

export interface SeedListenerInput {
  readonly arn?: string;
  readonly loadBalancerArn: string;
  /** Default 80 (443 for HTTPS). */
  readonly port?: number;
  /** Default HTTP. */
  readonly protocol?: string;
  readonly defaultActions: Action[];
}

export interface SeedRuleInput {
  readonly arn?: string;
  readonly listenerArn: string;
  readonly priority: number;
  readonly conditions: RuleCondition[];
  readonly actions: Action[];
}

export interface SeedTargetGroupInput {
  readonly arn?: string;
  readonly name?: string;
  /** Default HTTP. */
  readonly protocol?: string;
  /** Default 80. */
  readonly port?: number;
  /** Default `vpc-local`. */
  readonly vpcId?: string;
  /** Default `ip`. */
  readonly targetType?: 'ip' | 'instance';
  /** Defaults: AWS's for HTTP target groups (30 s, 5 healthy, 2 unhealthy, 5 s timeout, `/`, 200). */
  readonly healthCheck?: Partial<HealthCheck>;
  /** Default 300, AWS's. */
  readonly deregistrationDelaySeconds?: number;
}

const DEFAULT_VPC = 'vpc-local';
const IPV4 = /^(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}$/;

const isHttp = (group: StoredTargetGroup): boolean => group.protocol === 'HTTP' || group.protocol === 'HTTPS';
const list = (value: unknown): unknown[] | undefined => (Array.isArray(value) ? value : undefined);
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

export class ElbV2StandIn {
  readonly region: string;
  readonly accountId: string;
  private readonly clock: () => number;
  private readonly loadBalancers = new Map<string, StoredLoadBalancer>();
  private readonly listeners = new Map<string, StoredListener>();
  private readonly rules = new Map<string, StoredRule>();
  private readonly targetGroups = new Map<string, StoredTargetGroup>();
  /** Target group ARN → since when its health checks fail. */
  private readonly failing = new Map<string, number>();
  private readonly pendingFailures = new Map<string, ElbApiError[]>();
  private readonly log: ElbCall[] = [];
  private readonly operations: Readonly<Record<string, (input: Input, now: number) => unknown>>;
  private readonly stateFile: string | undefined;

  constructor(options: ElbV2StandInOptions = {}) {
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '000000000000';
    this.clock = options.now ?? Date.now;
    this.stateFile = options.stateFile;
    if (this.stateFile) loadElbState(this.stateFile, this.records());
    this.operations = {
      DescribeLoadBalancers: (input) => this.describeLoadBalancers(input),
      DescribeListeners: (input) => this.describeListeners(input),
      DescribeRules: (input) => this.describeRules(input),
      ModifyRule: (input) => this.modifyRule(input),
      ModifyListener: (input) => this.modifyListener(input),
      DescribeTargetGroups: (input) => this.describeTargetGroups(input),
      DescribeTargetGroupAttributes: (input) => this.describeTargetGroupAttributes(input),
      DescribeTargetHealth: (input, now) => this.describeTargetHealth(input, now),
      RegisterTargets: (input, now) => this.registerTargets(input, now),
      DeregisterTargets: (input, now) => this.deregisterTargets(input, now),
    };
  }

  /** The operations served; anything else answers `InvalidAction`. */
  get operationNames(): readonly string[] {
    return Object.keys(this.operations);
  }

  get calls(): readonly ElbCall[] {
    return this.log;
  }

  callsTo(operation: string): ElbCall[] {
    return this.log.filter((call) => call.operation === operation);
  }

  clearCalls(): void {
    this.log.length = 0;
  }

  /** The next call to `operation` fails with this error (queued, one per call). */
  failNext(operation: string, error: ElbApiError): void {
    this.pendingFailures.set(operation, [...(this.pendingFailures.get(operation) ?? []), error]);
  }

  /** From now on the group's health checks fail (targets turn `unhealthy`); `false` makes them pass again. */
  failHealthChecks(targetGroupArn: string, failing = true): void {
    if (failing) this.failing.set(targetGroupArn, this.clock());
    else this.failing.delete(targetGroupArn);
  }

  /** Runs one operation on a decoded request. Throws `ElbApiError`. */
  invoke(operation: string, input: Input): unknown {
    const at = this.clock();
    try {
      const run = this.operations[operation];
      if (!run) throw new ElbApiError('InvalidAction', `The action ${operation} is not valid for this web service.`);
      const failure = this.pendingFailures.get(operation)?.shift();
      if (failure) throw failure;
      const output = run(input, at);
      if (KEPT_CHANGES.has(operation)) this.persist();
      this.log.push({ operation, input, at });
      return output;
    } catch (error) {
      this.log.push({ operation, input, at, error: error instanceof ElbApiError ? error.code : 'InternalFailure' });
      throw error;
    }
  }

  // --- seeding (local mode and tests) ---

  seedLoadBalancer(input: SeedLoadBalancerInput): StoredLoadBalancer {
    const parsed = input.arn ? arns.parseArn(input.arn) : null;
    const name = input.name ?? parsed?.path[1] ?? 'local';
    const type = input.type ?? (parsed?.path[0] === 'net' ? 'network' : 'application');
    const arn = input.arn ?? arns.loadBalancerArn(this, name, type);
    const existing = this.loadBalancers.get(arn);
    if (existing) return existing;
    const record: StoredLoadBalancer = { arn, name, type, vpcId: input.vpcId ?? DEFAULT_VPC, scheme: 'internet-facing', createdAt: this.clock() };
    this.loadBalancers.set(arn, record);
    this.persist();
    return record;
  }

  /** A listener and its default rule, whose actions are the listener's default actions. */
  seedListener(input: SeedListenerInput): StoredListener {
    const loadBalancer = this.loadBalancers.get(input.loadBalancerArn);
    if (!loadBalancer) throw loadBalancerNotFound(input.loadBalancerArn);
    const arn = input.arn ?? arns.listenerArn(loadBalancer.arn);
    const existing = this.listeners.get(arn);
    if (existing) return existing;
    const protocol = input.protocol ?? 'HTTP';
    const listener: StoredListener = { arn, loadBalancerArn: loadBalancer.arn, protocol, port: input.port ?? (protocol === 'HTTPS' ? 443 : 80) };
    this.listeners.set(arn, listener);
    const actions = acceptActions(input.defaultActions, this.actionContext(listener, null));
    const defaultRuleArn = arns.ruleArn(arn);
    this.rules.set(defaultRuleArn, { arn: defaultRuleArn, listenerArn: arn, priority: 'default', conditions: [], actions });
    this.persist();
    return listener;
  }

  seedRule(input: SeedRuleInput): StoredRule {
    const listener = this.listeners.get(input.listenerArn);
    if (!listener) throw listenerNotFound(input.listenerArn);
    const arn = input.arn ?? arns.ruleArn(listener.arn);
    const existing = this.rules.get(arn);
    if (existing) return existing;
    if (this.rulesOf(listener.arn).some((rule) => rule.priority === String(input.priority))) {
      throw new ElbApiError('PriorityInUse', `Priority '${input.priority}' is currently in use`);
    }
    const actions = acceptActions(input.actions, this.actionContext(listener, null));
    const rule: StoredRule = { arn, listenerArn: listener.arn, priority: String(input.priority), conditions: structuredClone(input.conditions), actions };
    this.rules.set(arn, rule);
    this.persist();
    return rule;
  }

  seedTargetGroup(input: SeedTargetGroupInput): StoredTargetGroup {
    const parsed = input.arn ? arns.parseArn(input.arn) : null;
    const name = input.name ?? parsed?.path[0] ?? 'local';
    const arn = input.arn ?? arns.targetGroupArn(this, name);
    const existing = this.targetGroups.get(arn);
    if (existing) return existing;
    const group: StoredTargetGroup = {
      arn,
      name,
      protocol: input.protocol ?? 'HTTP',
      port: input.port ?? 80,
      vpcId: input.vpcId ?? DEFAULT_VPC,
      targetType: input.targetType ?? 'ip',
      healthCheck: { intervalSeconds: 30, healthyThreshold: 5, unhealthyThreshold: 2, timeoutSeconds: 5, path: '/', matcher: '200', ...input.healthCheck },
      deregistrationDelaySeconds: input.deregistrationDelaySeconds ?? 300,
      targets: new Map(),
    };
    this.targetGroups.set(arn, group);
    this.persist();
    return group;
  }

  private persist(): void {
    if (this.stateFile) saveElbState(this.stateFile, this.records());
  }

  private records() {
    return { loadBalancers: this.loadBalancers, listeners: this.listeners, rules: this.rules, targetGroups: this.targetGroups };
  }

  // --- what the ECS stand-in's load balancer coupling uses ---

  hasTargetGroup(arn: string): boolean {
    return this.targetGroups.has(arn);
  }

  /** Registers targets at `at` (a task that started then). A draining target registered again starts over. */
  register(targetGroupArn: string, targets: readonly { readonly id: string; readonly port?: number }[], at: number): void {
    const group = this.group(targetGroupArn);
    for (const target of targets) {
      const current = group.targets.get(target.id);
      if (current && current.deregisteredAt === undefined) continue;
      group.targets.set(target.id, { id: target.id, port: target.port ?? group.port, registeredAt: at });
    }
  }

  /** Deregisters targets at `at`: they drain for the group's deregistration delay. */
  deregister(targetGroupArn: string, ids: readonly string[], at: number): void {
    const group = this.group(targetGroupArn);
    for (const id of ids) {
      const current = group.targets.get(id);
      if (current && current.deregisteredAt === undefined) group.targets.set(id, { ...current, deregisteredAt: at });
    }
  }

  /** A target's health now; `null` when it is not registered (or has drained). */
  targetHealth(targetGroupArn: string, id: string, now = this.clock()): TargetHealthReading | null {
    const group = this.group(targetGroupArn);
    this.dropDrained(group, now);
    const target = group.targets.get(id);
    return target ? this.health(group, target, now) : null;
  }

  /** Test and demo view: what the rule (or listener default rule) forwards, by target group ARN. */
  weights(ruleOrListenerArn: string): Record<string, number> {
    const rule = this.rules.get(ruleOrListenerArn) ?? this.defaultRule(ruleOrListenerArn);
    if (!rule) throw ruleNotFound(ruleOrListenerArn);
    return Object.fromEntries(forwardTargets(rule.actions).map(({ arn, weight }) => [arn, weight]));
  }

  // --- operations ---

  private describeLoadBalancers(input: Input) {
    const wanted = list(input.LoadBalancerArns) as string[] | undefined;
    const names = list(input.Names) as string[] | undefined;
    if (wanted && names) throw validationError('Load balancer ARNs and names cannot be specified at the same time');
    let found = [...this.loadBalancers.values()];
    if (wanted) {
      const missing = wanted.filter((arn) => !this.loadBalancers.has(arn));
      if (missing.length) throw loadBalancerNotFound(missing.join(', '));
      found = wanted.map((arn) => this.loadBalancers.get(arn)!);
    }
    if (names) {
      const missing = names.filter((name) => !found.some((lb) => lb.name === name));
      if (missing.length) throw loadBalancerNotFound(missing.join(', '));
      found = found.filter((lb) => names.includes(lb.name));
    }
    return {
      LoadBalancers: found.map((lb) => ({
        LoadBalancerArn: lb.arn,
        DNSName: `${lb.name}-1234567890.${this.region}.elb.amazonaws.com`,
        CanonicalHostedZoneId: 'Z35SXDOTRQ7X7K',
        CreatedTime: new Date(lb.createdAt),
        LoadBalancerName: lb.name,
        Scheme: lb.scheme,
        VpcId: lb.vpcId,
        State: { Code: 'active' },
        Type: lb.type,
        AvailabilityZones: [],
        SecurityGroups: [],
        IpAddressType: 'ipv4',
      })),
    };
  }

  private describeListeners(input: Input) {
    const loadBalancerArn = str(input.LoadBalancerArn);
    const wanted = list(input.ListenerArns) as string[] | undefined;
    if (!loadBalancerArn && !wanted) throw validationError('You must specify either listener ARNs or a load balancer ARN');
    if (loadBalancerArn && wanted) throw validationError('Listener ARNs and a load balancer ARN cannot be specified at the same time');
    let found: StoredListener[];
    if (wanted) {
      found = wanted.map((arn) => this.listeners.get(arn) ?? this.raise(listenerNotFound(arn)));
    } else {
      if (!this.loadBalancers.has(loadBalancerArn!)) throw loadBalancerNotFound(loadBalancerArn!);
      found = [...this.listeners.values()].filter((listener) => listener.loadBalancerArn === loadBalancerArn);
    }
    return {
      Listeners: found.map((listener) => ({
        ListenerArn: listener.arn,
        LoadBalancerArn: listener.loadBalancerArn,
        Port: listener.port,
        Protocol: listener.protocol,
        DefaultActions: renderActions(this.defaultRule(listener.arn)!.actions),
      })),
    };
  }

  private describeRules(input: Input) {
    const listenerArn = str(input.ListenerArn);
    const wanted = list(input.RuleArns) as string[] | undefined;
    if (!listenerArn && !wanted) throw validationError('You must specify either listener ARN or rule ARNs');
    if (listenerArn && wanted) throw validationError('Listener ARN and rule ARNs cannot be specified at the same time');
    let found: StoredRule[];
    if (wanted) found = wanted.map((arn) => this.rules.get(arn) ?? this.raise(ruleNotFound(arn)));
    else {
      if (!this.listeners.has(listenerArn!)) throw listenerNotFound(listenerArn!);
      found = this.rulesOf(listenerArn!);
    }
    return { Rules: found.map((rule) => this.ruleView(rule)) };
  }

  private modifyRule(input: Input) {
    const rule = this.rules.get(str(input.RuleArn) ?? '') ?? this.raise(ruleNotFound(str(input.RuleArn) ?? ''));
    if (rule.priority === 'default') throw operationNotPermitted('The default rule cannot be modified with ModifyRule; use ModifyListener');
    for (const member of ['Transforms', 'ResetTransforms']) {
      if (input[member] !== undefined) throw validationError(`${member} is not supported by this load balancer`);
    }
    const listener = this.listeners.get(rule.listenerArn)!;
    const conditions = list(input.Conditions) as RuleCondition[] | undefined;
    if (conditions !== undefined && conditions.length === 0) throw validationError('A rule must have at least one condition');
    const actions = input.Actions === undefined ? rule.actions : acceptActions(input.Actions as Action[], this.actionContext(listener, rule));
    if (conditions) rule.conditions = structuredClone(conditions);
    rule.actions = structuredClone(actions);
    return { Rules: [this.ruleView(rule)] };
  }

  private modifyListener(input: Input) {
    const arn = str(input.ListenerArn) ?? '';
    const listener = this.listeners.get(arn) ?? this.raise(listenerNotFound(arn));
    const changed = Object.keys(input).filter((member) => member !== 'ListenerArn' && member !== 'DefaultActions');
    if (changed.length > 0) throw validationError(`Changing ${changed.join(', ')} is not supported by this load balancer stand-in`);
    const rule = this.defaultRule(listener.arn)!;
    if (input.DefaultActions !== undefined) rule.actions = structuredClone(acceptActions(input.DefaultActions as Action[], this.actionContext(listener, rule)));
    return {
      Listeners: [
        { ListenerArn: listener.arn, LoadBalancerArn: listener.loadBalancerArn, Port: listener.port, Protocol: listener.protocol, DefaultActions: renderActions(rule.actions) },
      ],
    };
  }

  private describeTargetGroups(input: Input) {
    const loadBalancerArn = str(input.LoadBalancerArn);
    const wanted = list(input.TargetGroupArns) as string[] | undefined;
    const names = list(input.Names) as string[] | undefined;
    if ([loadBalancerArn, wanted, names].filter((x) => x !== undefined).length > 1) {
      throw validationError('Only one of load balancer ARN, target group ARNs or names can be specified');
    }
    let found = [...this.targetGroups.values()];
    if (wanted) found = wanted.map((arn) => this.targetGroups.get(arn) ?? this.raise(targetGroupNotFound(arn)));
    if (names) found = names.map((name) => found.find((group) => group.name === name) ?? this.raise(targetGroupNotFound(name)));
    if (loadBalancerArn) {
      if (!this.loadBalancers.has(loadBalancerArn)) throw loadBalancerNotFound(loadBalancerArn);
      found = found.filter((group) => this.loadBalancersOf(group.arn).includes(loadBalancerArn));
    }
    return {
      TargetGroups: found.map((group) => {
        // An HTTP(S) group (an Application Load Balancer's) checks a path and answers a protocol
        // version; a TCP, TLS or UDP group (a Network Load Balancer's) checks by TCP and has neither.
        const http = isHttp(group);
        return {
          TargetGroupArn: group.arn,
          TargetGroupName: group.name,
          Protocol: group.protocol,
          Port: group.port,
          VpcId: group.vpcId,
          HealthCheckProtocol: http ? group.protocol : 'TCP',
          HealthCheckPort: 'traffic-port',
          HealthCheckEnabled: true,
          HealthCheckIntervalSeconds: group.healthCheck.intervalSeconds,
          HealthCheckTimeoutSeconds: group.healthCheck.timeoutSeconds,
          HealthyThresholdCount: group.healthCheck.healthyThreshold,
          UnhealthyThresholdCount: group.healthCheck.unhealthyThreshold,
          ...(http ? { HealthCheckPath: group.healthCheck.path, Matcher: { HttpCode: group.healthCheck.matcher } } : {}),
          LoadBalancerArns: this.loadBalancersOf(group.arn),
          TargetType: group.targetType,
          ...(http ? { ProtocolVersion: 'HTTP1' } : {}),
          IpAddressType: 'ipv4',
        };
      }),
    };
  }

  private describeTargetGroupAttributes(input: Input) {
    const group = this.group(str(input.TargetGroupArn) ?? '');
    // The attributes ELBv2 answers for the group's kind (the API model's TargetGroupAttribute keys).
    const attributes: Record<string, string> = isHttp(group)
      ? {
          'deregistration_delay.timeout_seconds': String(group.deregistrationDelaySeconds),
          'stickiness.enabled': 'false',
          'stickiness.type': 'lb_cookie',
          'stickiness.lb_cookie.duration_seconds': '86400',
          'stickiness.app_cookie.cookie_name': '',
          'stickiness.app_cookie.duration_seconds': '86400',
          'slow_start.duration_seconds': '0',
          'load_balancing.algorithm.type': 'round_robin',
          'load_balancing.cross_zone.enabled': 'use_load_balancer_configuration',
        }
      : {
          'deregistration_delay.timeout_seconds': String(group.deregistrationDelaySeconds),
          'deregistration_delay.connection_termination.enabled': 'false',
          'stickiness.enabled': 'false',
          'stickiness.type': 'source_ip',
          'preserve_client_ip.enabled': group.targetType === 'ip' ? 'false' : 'true',
          'proxy_protocol_v2.enabled': 'false',
          'load_balancing.cross_zone.enabled': 'use_load_balancer_configuration',
        };
    return { Attributes: Object.entries(attributes).map(([Key, Value]) => ({ Key, Value })) };
  }

  private describeTargetHealth(input: Input, now: number) {
    const group = this.group(str(input.TargetGroupArn) ?? '');
    this.dropDrained(group, now);
    const asked = list(input.Targets) as { Id?: string; Port?: number }[] | undefined;
    const view = (id: string, port: number | undefined, target: StoredTarget | undefined) => {
      const health = target
        ? this.health(group, target, now)
        : { state: 'unused', reason: 'Target.NotRegistered', description: 'Target is not registered to the target group' };
      return {
        Target: { Id: id, Port: port ?? target?.port ?? group.port },
        HealthCheckPort: String(port ?? target?.port ?? group.port),
        TargetHealth: { State: health.state, Reason: health.reason, Description: health.description },
      };
    };
    if (asked) {
      return {
        TargetHealthDescriptions: asked.map((target) => {
          if (!target.Id) throw validationError('A target ID must be specified');
          this.checkTargetId(group, target.Id);
          const stored = group.targets.get(target.Id);
          return view(target.Id, target.Port, target.Port === undefined || stored?.port === target.Port ? stored : undefined);
        }),
      };
    }
    return { TargetHealthDescriptions: [...group.targets.values()].map((target) => view(target.id, target.port, target)) };
  }

  private registerTargets(input: Input, now: number) {
    const group = this.group(str(input.TargetGroupArn) ?? '');
    const targets = this.targetList(group, input.Targets);
    this.register(group.arn, targets.map((t) => ({ id: t.Id, port: t.Port })), now);
    return {};
  }

  private deregisterTargets(input: Input, now: number) {
    const group = this.group(str(input.TargetGroupArn) ?? '');
    this.dropDrained(group, now);
    const targets = this.targetList(group, input.Targets);
    const missing = targets.filter((t) => !group.targets.has(t.Id));
    if (missing.length) throw invalidTarget(`The following targets are not registered in target group '${group.arn}': ${missing.map((t) => t.Id).join(', ')}`);
    this.deregister(group.arn, targets.map((t) => t.Id), now);
    return {};
  }

  // --- helpers ---

  private raise(error: ElbApiError): never {
    throw error;
  }

  private group(arn: string): StoredTargetGroup {
    return this.targetGroups.get(arn) ?? this.raise(targetGroupNotFound(arn));
  }

  private targetList(group: StoredTargetGroup, value: unknown): { Id: string; Port?: number }[] {
    const targets = (list(value) ?? []) as { Id?: string; Port?: number }[];
    if (targets.length === 0) throw validationError('At least one target must be specified');
    return targets.map((target) => {
      if (!target.Id) throw validationError('A target ID must be specified');
      this.checkTargetId(group, target.Id);
      if (target.Port !== undefined && (target.Port < 1 || target.Port > 65_535)) throw validationError(`Port '${target.Port}' must be between 1 and 65535`);
      return { Id: target.Id, Port: target.Port };
    });
  }

  private checkTargetId(group: StoredTargetGroup, id: string): void {
    if (group.targetType === 'ip' && !IPV4.test(id)) throw invalidTarget(`The IP address '${id}' is not a valid IPv4 address`);
    if (group.targetType === 'instance' && !/^i-[0-9a-f]{8,17}$/.test(id)) throw invalidTarget(`The instance ID '${id}' is not valid`);
  }

  private dropDrained(group: StoredTargetGroup, now: number): void {
    for (const target of group.targets.values()) {
      const drained = drainedAt(group, target);
      if (drained !== null && now >= drained) group.targets.delete(target.id);
    }
  }

  private health(group: StoredTargetGroup, target: StoredTarget, now: number): TargetHealthReading {
    return readTargetHealth(group, target, now, { inUse: this.loadBalancersOf(group.arn).length > 0, failingSince: this.failing.get(group.arn) ?? null });
  }

  private rulesOf(listenerArn: string): StoredRule[] {
    const priority = (rule: StoredRule) => (rule.priority === 'default' ? Infinity : Number(rule.priority));
    return [...this.rules.values()].filter((rule) => rule.listenerArn === listenerArn).sort((a, b) => priority(a) - priority(b));
  }

  private defaultRule(listenerArn: string): StoredRule | undefined {
    return this.rulesOf(listenerArn).find((rule) => rule.priority === 'default');
  }

  /** The load balancers whose rules forward to the group, optionally not counting one rule. */
  private loadBalancersOf(targetGroupArn: string, except?: StoredRule | null): string[] {
    const found = new Set<string>();
    for (const rule of this.rules.values()) {
      if (rule === except) continue;
      if (forwardTargets(rule.actions).some((target) => target.arn === targetGroupArn)) {
        found.add(this.listeners.get(rule.listenerArn)!.loadBalancerArn);
      }
    }
    return [...found];
  }

  private actionContext(listener: StoredListener, rule: StoredRule | null) {
    return {
      loadBalancer: this.loadBalancers.get(listener.loadBalancerArn)!,
      listener,
      targetGroup: (arn: string) => this.targetGroups.get(arn),
      loadBalancersOf: (arn: string) => this.loadBalancersOf(arn, rule),
      previous: rule?.actions ?? [],
    };
  }

  private ruleView(rule: StoredRule) {
    return {
      RuleArn: rule.arn,
      Priority: rule.priority,
      Conditions: structuredClone(rule.conditions),
      Actions: renderActions(rule.actions),
      IsDefault: rule.priority === 'default',
    };
  }
}
