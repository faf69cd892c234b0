/**
 * Rule actions as ModifyRule and ModifyListener accept them. Both replace the actions whole, so what
 * is checked here is the whole list: one terminal action (forward, redirect, fixed-response), last;
 * every action numbered with `Order` when there are several; a forward names its target groups by
 * `TargetGroupArn` or by `ForwardConfig` (1–5 distinct groups, weights 0–999), groups that exist, are
 * in the load balancer's VPC, speak its protocol family and serve no other load balancer; stickiness
 * lasts 1–604800 s; an `authenticate-oidc` action carries its client secret unless
 * `UseExistingClientSecret` keeps the one stored (answers never show the secret).
 */
import type { Action } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ElbApiError, invalidAction, targetGroupNotFound, validationError } from './errors';
import type { StoredLoadBalancer, StoredListener, StoredTargetGroup } from './types';

const TERMINAL = new Set(['forward', 'redirect', 'fixed-response']);
const AUTHENTICATE = new Set(['authenticate-oidc', 'authenticate-cognito']);
const CONFIG_OF: Readonly<Record<string, keyof Action | undefined>> = {
  forward: 'ForwardConfig',
  redirect: 'RedirectConfig',
  'fixed-response': 'FixedResponseConfig',
  'authenticate-oidc': 'AuthenticateOidcConfig',
  'authenticate-cognito': 'AuthenticateCognitoConfig',
  'jwt-validation': 'JwtValidationConfig',
};
const CONFIG_MEMBERS = Object.values(CONFIG_OF) as (keyof Action)[];

export interface ActionContext {
  readonly loadBalancer: StoredLoadBalancer;
  readonly listener: StoredListener;
  readonly targetGroup: (arn: string) => StoredTargetGroup | undefined;
  /** The load balancers a group serves now (through any rule other than the one being replaced). */
  readonly loadBalancersOf: (targetGroupArn: string) => readonly string[];
  /** The actions being replaced (for `UseExistingClientSecret`). */
  readonly previous: readonly Action[];
}

/** The target groups an action list forwards to, with their weights. */
export function forwardTargets(actions: readonly Action[]): { readonly arn: string; readonly weight: number }[] {
  const forward = actions.find((action) => action.Type === 'forward');
  if (!forward) return [];
  if (forward.ForwardConfig?.TargetGroups?.length) {
    return forward.ForwardConfig.TargetGroups.map((tuple) => ({ arn: tuple.TargetGroupArn ?? '', weight: tuple.Weight ?? 1 }));
  }
  return forward.TargetGroupArn ? [{ arn: forward.TargetGroupArn, weight: 1 }] : [];
}

function checkForward(action: Action, context: ActionContext): void {
  const tuples = action.ForwardConfig?.TargetGroups;
  if (!action.TargetGroupArn && !tuples?.length) {
    throw validationError('A forward action must specify a target group ARN or a forward config with target groups');
  }
  if (action.TargetGroupArn && tuples?.length && (tuples.length !== 1 || tuples[0]!.TargetGroupArn !== action.TargetGroupArn)) {
    throw validationError('You cannot specify both a target group ARN and a forward config with a different set of target groups');
  }
  if (tuples && tuples.length > 5) throw validationError('A forward action can have at most 5 target groups');
  const seen = new Set<string>();
  for (const [i, tuple] of (tuples ?? []).entries()) {
    if (!tuple.TargetGroupArn) throw validationError(`ForwardConfig.TargetGroups.member.${i + 1}.TargetGroupArn must be specified`);
    if (seen.has(tuple.TargetGroupArn)) throw validationError(`Target group '${tuple.TargetGroupArn}' is specified more than once in the forward config`);
    seen.add(tuple.TargetGroupArn);
    if (tuple.Weight !== undefined && (!Number.isInteger(tuple.Weight) || tuple.Weight < 0 || tuple.Weight > 999)) {
      throw validationError(`Target group weight '${tuple.Weight}' must be between 0 and 999`);
    }
  }
  const stickiness = action.ForwardConfig?.TargetGroupStickinessConfig;
  const duration = stickiness?.DurationSeconds;
  if (duration !== undefined && (!Number.isInteger(duration) || duration < 1 || duration > 604_800)) {
    throw validationError(`Target group stickiness duration '${duration}' must be between 1 and 604800 seconds`);
  }
  if (stickiness?.Enabled && duration === undefined) {
    throw validationError('Target group stickiness duration must be specified when stickiness is enabled');
  }
  const arns = tuples?.length ? tuples.map((tuple) => tuple.TargetGroupArn!) : [action.TargetGroupArn!];
  for (const arn of arns) {
    const group = context.targetGroup(arn);
    if (!group) throw targetGroupNotFound(arn);
    if (group.vpcId !== context.loadBalancer.vpcId) {
      throw new ElbApiError('InvalidConfigurationRequest', `Target group '${arn}' is in VPC '${group.vpcId}', not in the load balancer's VPC '${context.loadBalancer.vpcId}'`);
    }
    const family = context.loadBalancer.type === 'application' ? ['HTTP', 'HTTPS'] : ['TCP', 'TLS', 'UDP', 'TCP_UDP'];
    if (!family.includes(group.protocol)) {
      throw new ElbApiError('IncompatibleProtocols', `Target group '${arn}' uses protocol ${group.protocol}, incompatible with the load balancer`);
    }
    const others = context.loadBalancersOf(arn).filter((lb) => lb !== context.loadBalancer.arn);
    if (others.length > 0) {
      throw new ElbApiError('TargetGroupAssociationLimit', `The following target groups cannot be associated with more than one load balancer: ${arn}`);
    }
  }
}

function checkOidc(action: Action, context: ActionContext): Action {
  const config = action.AuthenticateOidcConfig!;
  if (config.ClientSecret !== undefined) {
    if (config.UseExistingClientSecret) throw validationError('You cannot specify a client secret when UseExistingClientSecret is true');
    return action;
  }
  if (!config.UseExistingClientSecret) throw validationError('A client secret must be specified for an authenticate-oidc action');
  const existing = context.previous.find(
    (previous) => previous.Type === 'authenticate-oidc' && previous.AuthenticateOidcConfig?.ClientId === config.ClientId,
  );
  if (!existing?.AuthenticateOidcConfig?.ClientSecret) {
    throw validationError(`No existing client secret for client '${config.ClientId}' to use`);
  }
  const { UseExistingClientSecret: _use, ...rest } = config;
  return { ...action, AuthenticateOidcConfig: { ...rest, ClientSecret: existing.AuthenticateOidcConfig.ClientSecret } };
}

/**
 * Checks a replacement action list and answers what is stored: the actions as given, ordered, with an
 * `authenticate-oidc` action's existing secret carried over.
 */
export function acceptActions(actions: readonly Action[] | undefined, context: ActionContext): Action[] {
  if (!actions || actions.length === 0) throw validationError('At least one action must be specified');
  if (actions.length > 1 && actions.some((action) => action.Order === undefined)) {
    throw validationError('An order must be specified for each action when a rule has more than one action');
  }
  for (const action of actions) {
    if (action.Order !== undefined && (!Number.isInteger(action.Order) || action.Order < 1 || action.Order > 50_000)) {
      throw validationError(`Action order '${action.Order}' must be between 1 and 50000`);
    }
  }
  if (new Set(actions.map((action) => action.Order)).size !== actions.length) throw validationError('Action orders must be unique');
  const ordered = [...actions].sort((a, b) => (a.Order ?? 0) - (b.Order ?? 0));
  const terminal = ordered.filter((action) => TERMINAL.has(action.Type ?? ''));
  if (terminal.length !== 1) throw invalidAction('A rule must have exactly one forward, redirect or fixed-response action');
  if (ordered.at(-1) !== terminal[0]) throw invalidAction('The forward, redirect or fixed-response action must be the last action');
  return ordered.map((action) => {
    const type = action.Type ?? '';
    const own = CONFIG_OF[type];
    if (!(type in CONFIG_OF)) throw validationError(`Action type '${type}' is not valid`);
    if (type === 'jwt-validation') throw invalidAction('jwt-validation actions are not supported by this load balancer');
    for (const member of CONFIG_MEMBERS) {
      if (member !== own && action[member] !== undefined) throw invalidAction(`A ${type} action cannot have ${member}`);
    }
    if (type !== 'forward' && action.TargetGroupArn !== undefined) throw invalidAction(`A ${type} action cannot have a TargetGroupArn`);
    if (own && type !== 'forward' && action[own] === undefined) throw validationError(`A ${type} action must have ${own}`);
    if (AUTHENTICATE.has(type) && context.listener.protocol !== 'HTTPS') {
      throw invalidAction(`${type} actions are supported only on HTTPS listeners`);
    }
    if (type === 'forward') checkForward(action, context);
    if (type === 'authenticate-oidc') return checkOidc(action, context);
    return action;
  });
}

/** The actions as describes show them: a single-group forward gets its ForwardConfig, secrets are withheld. */
export function renderActions(actions: readonly Action[]): Action[] {
  return actions.map((action, i) => {
    const shown: Action = { ...structuredClone(action), Order: action.Order ?? i + 1 };
    if (shown.Type === 'forward') {
      const tuples = shown.ForwardConfig?.TargetGroups?.length
        ? shown.ForwardConfig.TargetGroups.map((tuple) => ({ TargetGroupArn: tuple.TargetGroupArn, Weight: tuple.Weight ?? 1 }))
        : [{ TargetGroupArn: shown.TargetGroupArn, Weight: 1 }];
      shown.ForwardConfig = {
        TargetGroups: tuples,
        TargetGroupStickinessConfig: shown.ForwardConfig?.TargetGroupStickinessConfig ?? { Enabled: false },
      };
      if (tuples.length === 1) shown.TargetGroupArn = tuples[0]!.TargetGroupArn;
    }
    if (shown.AuthenticateOidcConfig) {
      const { ClientSecret: _secret, ...rest } = shown.AuthenticateOidcConfig;
      shown.AuthenticateOidcConfig = rest as typeof shown.AuthenticateOidcConfig;
    }
    return shown;
  });
}
