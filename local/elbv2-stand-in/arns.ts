/** Elastic Load Balancing v2 ARNs, as AWS forms them, and reading their kind back. */
import { randomBytes } from 'node:crypto';

export interface Account {
  readonly region: string;
  readonly accountId: string;
}

const base = (account: Account) => `arn:aws:elasticloadbalancing:${account.region}:${account.accountId}`;
const id = () => randomBytes(8).toString('hex');

export const loadBalancerArn = (account: Account, name: string, type: 'application' | 'network' = 'application') =>
  `${base(account)}:loadbalancer/${type === 'application' ? 'app' : 'net'}/${name}/${id()}`;

/** `…:loadbalancer/app/<name>/<id>` → `app/<name>/<id>`. */
const loadBalancerPath = (arn: string) => arn.split(':loadbalancer/')[1] ?? '';

export const listenerArn = (loadBalancer: string) => `${loadBalancer.split(':loadbalancer/')[0]}:listener/${loadBalancerPath(loadBalancer)}/${id()}`;

export const ruleArn = (listener: string) => `${listener.replace(':listener/', ':listener-rule/')}/${id()}`;

export const targetGroupArn = (account: Account, name: string) => `${base(account)}:targetgroup/${name}/${id()}`;

const KIND = /^arn:aws[a-z-]*:elasticloadbalancing:([a-z0-9-]+):([0-9]{12}):(loadbalancer|listener|listener-rule|targetgroup)\/(.+)$/;

export interface ParsedArn {
  readonly region: string;
  readonly accountId: string;
  readonly kind: 'loadbalancer' | 'listener' | 'listener-rule' | 'targetgroup';
  /** The parts after the kind: `app/<lb>/<lbid>[/<listener id>[/<rule id>]]`, or `<name>/<id>` for a target group. */
  readonly path: readonly string[];
}

export function parseArn(arn: string): ParsedArn | null {
  const match = KIND.exec(arn);
  if (!match) return null;
  return { region: match[1]!, accountId: match[2]!, kind: match[3] as ParsedArn['kind'], path: match[4]!.split('/') };
}

/** The load balancer ARN a listener or rule ARN belongs to. */
export const loadBalancerOf = (arn: string): string => {
  const parsed = parseArn(arn);
  if (!parsed) return '';
  return `arn:aws:elasticloadbalancing:${parsed.region}:${parsed.accountId}:loadbalancer/${parsed.path.slice(0, 3).join('/')}`;
};

/** The listener ARN a rule ARN belongs to. */
export const listenerOf = (rule: string): string => {
  const parsed = parseArn(rule);
  if (!parsed) return '';
  return `arn:aws:elasticloadbalancing:${parsed.region}:${parsed.accountId}:listener/${parsed.path.slice(0, 4).join('/')}`;
};
