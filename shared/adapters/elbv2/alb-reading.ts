/**
 * Reads what ELBv2 knows of a service's `traffic.alb` (shared/core/alb-checks.ts judges it): the load
 * balancer (DescribeLoadBalancers), the rule's or listener's actions (DescribeRules / DescribeListeners),
 * the pair of target groups (DescribeTargetGroups) and their deregistration delay
 * (DescribeTargetGroupAttributes); for blue-green, the preview rule's load balancer and actions
 * (readAnchor). Read-only. A resource that does not exist reads as null; any other
 * failure (access denied, throttling) is a LoadBalancerError: nothing can be said then.
 */
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  type Action,
  type ElasticLoadBalancingV2Client,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { AlbPair, AlbReading, AnchorReading, LoadBalancerReading, TargetGroupReading } from '../../core/alb-checks';
import { LoadBalancerError } from '../../errors';

/** ELBv2's defaults for an HTTP target group, for a field a describe leaves out. */
const DEFAULTS = { healthCheckIntervalSeconds: 30, healthyThresholdCount: 5, deregistrationDelaySeconds: 300 } as const;

const NOT_FOUND = new Set(['LoadBalancerNotFoundException', 'ListenerNotFoundException', 'RuleNotFoundException', 'TargetGroupNotFoundException']);
const isNotFound = (error: unknown): boolean => error instanceof Error && NOT_FOUND.has(error.name);

/** The load balancer a listener or listener rule ARN belongs to. */
export function loadBalancerArnOf(listenerOrRuleArn: string): string {
  return listenerOrRuleArn.replace(/:listener(?:-rule)?\/((?:app|net|gwy)\/[^/]+\/[^/]+)\/.*$/, ':loadbalancer/$1');
}

async function describeLoadBalancer(client: ElasticLoadBalancingV2Client, arn: string) {
  const lbs = await call('DescribeLoadBalancers', `load balancer ${arn}`, () => client.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [arn] })));
  return lbs?.LoadBalancers?.[0];
}

async function call<T>(operation: string, what: string, send: () => Promise<T>): Promise<T | null> {
  try {
    return await send();
  } catch (error) {
    if (isNotFound(error)) return null;
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new LoadBalancerError(`Elastic Load Balancing ${operation} failed for ${what}: ${text}`, { cause: error });
  }
}

function forwardsOf(actions: readonly Action[]): { arn: string; weight: number }[] | null {
  const forwards = actions.filter((action) => action.Type === 'forward');
  if (forwards.length !== 1) return null;
  const forward = forwards[0]!;
  const tuples = forward.ForwardConfig?.TargetGroups;
  if (tuples?.length) return tuples.map((tuple) => ({ arn: tuple.TargetGroupArn ?? '', weight: tuple.Weight ?? 1 }));
  return forward.TargetGroupArn ? [{ arn: forward.TargetGroupArn, weight: 1 }] : [];
}

async function readTargetGroup(client: ElasticLoadBalancingV2Client, group: TargetGroup): Promise<TargetGroupReading> {
  const arn = group.TargetGroupArn!;
  const attributes = await call('DescribeTargetGroupAttributes', `target group ${arn}`, () => client.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: arn })));
  const delay = attributes?.Attributes?.find((attribute) => attribute.Key === 'deregistration_delay.timeout_seconds')?.Value;
  return {
    arn,
    protocol: group.Protocol ?? '',
    vpcId: group.VpcId ?? '',
    loadBalancerArns: group.LoadBalancerArns ?? [],
    healthCheckIntervalSeconds: group.HealthCheckIntervalSeconds ?? DEFAULTS.healthCheckIntervalSeconds,
    healthyThresholdCount: group.HealthyThresholdCount ?? DEFAULTS.healthyThresholdCount,
    deregistrationDelaySeconds: delay !== undefined && /^\d+(\.\d+)?$/.test(delay) ? Number(delay) : DEFAULTS.deregistrationDelaySeconds,
  };
}

/** The pair in the configured order; a group that does not exist is null (each looked up alone when the pair's describe says one is missing). */
async function readPair(client: ElasticLoadBalancingV2Client, pair: readonly [string, string]): Promise<[TargetGroupReading | null, TargetGroupReading | null]> {
  const describe = (arns: string[]) =>
    call('DescribeTargetGroups', `target groups ${arns.join(', ')}`, () => client.send(new DescribeTargetGroupsCommand({ TargetGroupArns: arns })));
  let found = (await describe([...pair]))?.TargetGroups;
  if (found === undefined) {
    const one = await Promise.all(pair.map(async (arn) => (await describe([arn]))?.TargetGroups?.[0]));
    found = one.filter((group): group is TargetGroup => group !== undefined);
  }
  const read = async (arn: string) => {
    const group = found!.find((candidate) => candidate.TargetGroupArn === arn);
    return group ? readTargetGroup(client, group) : null;
  };
  return [await read(pair[0]), await read(pair[1])];
}

/**
 * The load balancer a rule or listener belongs to and the rule's (or the listener's default) actions:
 * `traffic.alb`'s anchor, or `blueGreen.previewListenerRule` (`{ listenerRule: <preview> }`). `known`:
 * a load balancer already read, not described again when it is the anchor's.
 */
export async function readAnchor(client: ElasticLoadBalancingV2Client, anchor: Pick<AlbPair, 'listenerRule' | 'listener'>, known?: LoadBalancerReading | null): Promise<AnchorReading> {
  const anchorArn = anchor.listenerRule ?? anchor.listener ?? '';
  const loadBalancerArn = loadBalancerArnOf(anchorArn);
  const lb = known?.arn === loadBalancerArn ? { LoadBalancerArn: known.arn, Type: known.type, VpcId: known.vpcId } : await describeLoadBalancer(client, loadBalancerArn);
  if (!lb) return { loadBalancer: null, anchor: null };
  let actions: Action[] | null;
  if (anchor.listenerRule !== undefined) {
    const rules = await call('DescribeRules', `listener rule ${anchor.listenerRule}`, () => client.send(new DescribeRulesCommand({ RuleArns: [anchor.listenerRule!] })));
    actions = rules?.Rules?.[0]?.Actions ?? null;
  } else {
    const listeners = await call('DescribeListeners', `listener ${anchor.listener}`, () => client.send(new DescribeListenersCommand({ ListenerArns: [anchor.listener!] })));
    actions = listeners?.Listeners?.[0]?.DefaultActions ?? null;
  }
  return {
    loadBalancer: { arn: lb.LoadBalancerArn ?? loadBalancerArn, type: lb.Type ?? 'application', vpcId: lb.VpcId ?? '' },
    anchor: actions === null ? null : { forwards: forwardsOf(actions) },
  };
}

/** What ELBv2 shows of `alb`, for shared/core/alb-checks.ts. */
export async function readAlb(client: ElasticLoadBalancingV2Client, alb: AlbPair): Promise<AlbReading> {
  const anchor = await readAnchor(client, alb);
  if (anchor.loadBalancer === null) return { ...anchor, targetGroups: [null, null] };
  return { ...anchor, targetGroups: await readPair(client, alb.targetGroups) };
}
