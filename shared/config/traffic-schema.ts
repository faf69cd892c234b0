/**
 * `traffic:` (docs/configuration.md#traffic): how a service's traffic follows a rollout. Absent, traffic
 * follows task counts on the one target group the task sets share. With `alb`, an Application Load
 * Balancer's listener rule (or a listener's default action) forwards to a pair of target groups with
 * the step's exact weights; each task set is registered with its own group of the pair.
 *
 * Shapes are checked here (every ARN of the right kind, an Application Load Balancer's, two distinct
 * groups, all in one account and region); what only AWS knows (the rule forwards to the pair, the
 * groups' VPC and protocol) is checked when a rollout starts.
 */
import { z } from 'zod';
import { isPlainObject } from '../plain-object';

export interface AlbTrafficConfig {
  /** The listener rule whose forward action carries the weights; absent when `listener` is given. */
  readonly listenerRule?: string;
  /** The listener whose default action carries the weights; absent when `listenerRule` is given. */
  readonly listener?: string;
  /** The pair the stable and the canary task sets alternate between. */
  readonly targetGroups: readonly [string, string];
}

export interface TrafficConfig {
  readonly alb: AlbTrafficConfig;
}

const ARN = /^arn:(aws[a-z-]*):elasticloadbalancing:([a-z0-9-]+):(\d{12}):([a-z-]+)\/(.*)$/;
const HEX = '[0-9a-f]{16}';
const NAME = '[A-Za-z0-9][A-Za-z0-9-]{0,31}';
const SHAPES = {
  'listener-rule': new RegExp(`^app/${NAME}/${HEX}/${HEX}/${HEX}$`),
  listener: new RegExp(`^app/${NAME}/${HEX}/${HEX}$`),
  targetgroup: new RegExp(`^${NAME}/${HEX}$`),
} as const;
type Kind = keyof typeof SHAPES;
const WORDS: Record<Kind, string> = { 'listener-rule': 'a listener rule', listener: 'a listener', targetgroup: 'a target group' };
const EXAMPLES: Record<Kind, string> = {
  'listener-rule': 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web/0123456789abcdef/0123456789abcdef/0123456789abcdef',
  listener: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/0123456789abcdef/0123456789abcdef',
  targetgroup: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-blue/0123456789abcdef',
};

/** What is wrong with `value` as an ARN of `kind`, or null. */
function arnProblem(value: string, kind: Kind): string | null {
  const match = ARN.exec(value);
  if (!match) return `must be ${WORDS[kind]} ARN, like ${EXAMPLES[kind]}`;
  const found = match[4]!;
  const rest = match[5]!;
  if (found !== kind) {
    const what = found in WORDS ? WORDS[found as Kind] : `a ${found}`;
    const hint = kind === 'listener-rule' && found === 'listener' ? ' (use listener: for a listener default action)' : kind === 'listener' && found === 'listener-rule' ? ' (use listenerRule: for a rule)' : '';
    return `is ${what} ARN, not ${WORDS[kind]} ARN${hint}`;
  }
  if (kind === 'listener' && rest.startsWith('net/')) return 'is a Network Load Balancer listener: weighted target groups need an Application Load Balancer (app/)';
  if (kind === 'listener-rule' && rest.startsWith('net/')) return "is a Network Load Balancer's: a Network Load Balancer has no listener rules; name an Application Load Balancer's rule (app/)";
  if (!SHAPES[kind].test(rest)) return `must be ${WORDS[kind]} ARN, like ${EXAMPLES[kind]}`;
  return null;
}

/** A string that must be an Elastic Load Balancing ARN of `kind` (`blueGreen.previewListenerRule` uses it too). */
export const arnOf = (kind: Kind) =>
  z.string().check((ctx) => {
    const problem = ctx.value === '' ? 'must not be empty' : arnProblem(ctx.value, kind);
    if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
  });

/** `arn:aws:elasticloadbalancing:<region>:<account>` of an ARN. */
export const placeOf = (arn: string): string | null => {
  const match = ARN.exec(arn);
  return match ? `${match[2]}:${match[3]}` : null;
};

const albSchema = z
  .strictObject({
    listenerRule: arnOf('listener-rule').nullish(),
    listener: arnOf('listener').nullish(),
    targetGroups: z.array(arnOf('targetgroup')).check((ctx) => {
      if (ctx.value.length !== 2) {
        ctx.issues.push({ code: 'custom', message: 'must list exactly two target groups: the pair the stable and the canary alternate between', input: ctx.value });
      } else if (ctx.value[0] === ctx.value[1]) {
        ctx.issues.push({ code: 'custom', message: 'must be two distinct target groups (each task set needs its own)', path: [1], input: ctx.value[1] });
      }
    }),
  })
  .superRefine(
    (alb, ctx) => {
      const given = [alb.listenerRule, alb.listener].filter((value) => value != null);
      if (given.length !== 1) {
        ctx.addIssue({ code: 'custom', message: 'must name either listenerRule (a rule) or listener (its default action), not both', input: alb });
        return;
      }
      const anchor = given[0]!;
      const place = placeOf(anchor);
      alb.targetGroups.forEach((group, i) => {
        if (place && placeOf(group) !== place) {
          ctx.addIssue({ code: 'custom', message: `must be in the region and account of the ${alb.listenerRule != null ? 'listener rule' : 'listener'} (${place})`, path: ['targetGroups', i], input: group });
        }
      });
    },
    { when: (payload) => isPlainObject(payload.value) && payload.issues.length === 0 },
  )
  .transform((alb): AlbTrafficConfig => ({
    ...(alb.listenerRule != null ? { listenerRule: alb.listenerRule } : { listener: alb.listener! }),
    targetGroups: [alb.targetGroups[0]!, alb.targetGroups[1]!],
  }));

export const trafficSchema = z.strictObject({ alb: albSchema });

/** The listener rule or listener the weights are set on. */
export const weightedResource = (alb: AlbTrafficConfig): { readonly kind: 'listenerRule' | 'listener'; readonly arn: string } =>
  alb.listenerRule !== undefined ? { kind: 'listenerRule', arn: alb.listenerRule } : { kind: 'listener', arn: alb.listener! };
