/**
 * The one change the ALB traffic router makes to a rule's actions: the forward's weights. ModifyRule
 * and ModifyListener replace the actions whole, so everything else is sent back as described: the
 * order, any authenticate action before the forward (an OIDC action with `UseExistingClientSecret`,
 * since describes never show the secret), the forward's stickiness. Conditions are not part of the
 * actions: ModifyRule without `Conditions` keeps them.
 */
import type { Action } from '@aws-sdk/client-elastic-load-balancing-v2';
import { LoadBalancerError } from '../../errors';

export interface ForwardWeights {
  readonly stableTargetGroupArn: string;
  readonly canaryTargetGroupArn: string;
  /** 0–100: the canary's share; the stable group gets the rest. */
  readonly canaryWeight: number;
}

const forwardOf = (actions: readonly Action[], where: string): Action => {
  const forwards = actions.filter((action) => action.Type === 'forward');
  if (forwards.length !== 1) throw new LoadBalancerError(`${where} has no forward action: traffic.alb needs it to forward to the target group pair`);
  return forwards[0]!;
};

/** The target groups a forward sends to, with their weights. */
export function forwardedGroups(actions: readonly Action[], where: string): { readonly arn: string; readonly weight: number }[] {
  const forward = forwardOf(actions, where);
  const tuples = forward.ForwardConfig?.TargetGroups;
  if (tuples?.length) return tuples.map((tuple) => ({ arn: tuple.TargetGroupArn ?? '', weight: tuple.Weight ?? 1 }));
  return forward.TargetGroupArn ? [{ arn: forward.TargetGroupArn, weight: 1 }] : [];
}

/** The actions to send back with only the forward's weights changed. */
export function reweighed(actions: readonly Action[], weights: ForwardWeights, where: string): Action[] {
  const pair = new Set([weights.stableTargetGroupArn, weights.canaryTargetGroupArn]);
  const strangers = forwardedGroups(actions, where).filter((group) => !pair.has(group.arn));
  if (strangers.length > 0) {
    throw new LoadBalancerError(`${where} also forwards to ${strangers.map((g) => g.arn).join(', ')}, outside traffic.alb.targetGroups: its weights would not be the configured split`);
  }
  return actions.map((action) => {
    if (action.Type === 'authenticate-oidc' && action.AuthenticateOidcConfig) {
      const { ClientSecret: _secret, ...config } = action.AuthenticateOidcConfig;
      return { ...action, AuthenticateOidcConfig: { ...config, UseExistingClientSecret: true } };
    }
    if (action.Type !== 'forward') return action;
    const { TargetGroupArn: _single, ...rest } = action;
    return {
      ...rest,
      ForwardConfig: {
        TargetGroups: [
          { TargetGroupArn: weights.stableTargetGroupArn, Weight: 100 - weights.canaryWeight },
          { TargetGroupArn: weights.canaryTargetGroupArn, Weight: weights.canaryWeight },
        ],
        ...(action.ForwardConfig?.TargetGroupStickinessConfig ? { TargetGroupStickinessConfig: action.ForwardConfig.TargetGroupStickinessConfig } : {}),
      },
    };
  });
}
