/**
 * `TrafficRouter` over an Application Load Balancer (`traffic.alb`): the listener rule's (or the
 * listener's default) forward action carries the canary's exact weight between the two target groups
 * of the pair. One DescribeRules (or DescribeListeners) and one ModifyRule (or ModifyListener) per move.
 */
import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  ModifyListenerCommand,
  ModifyRuleCommand,
  type Action,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { AlbTrafficConfig } from '../../config/traffic-schema';
import { weightedShare } from '../../core/traffic-split';
import { LoadBalancerError } from '../../errors';
import type { AlbReading, AnchorReading, LoadBalancerReading } from '../../core/alb-checks';
import type { TaskSetView, TrafficRouter } from '../../ports';
import { readAlb, readAnchor } from './alb-reading';
import { forwardedGroups, reweighed } from './forward-weights';

export interface AlbTrafficRouterOptions {
  /** A client for the load balancer's account and region, or one pointed at the ELBv2 stand-in. */
  readonly client: ElasticLoadBalancingV2Client;
  readonly alb: AlbTrafficConfig;
}

export class AlbTrafficRouter implements TrafficRouter {
  readonly mode = 'alb' as const;
  private readonly client: ElasticLoadBalancingV2Client;
  private readonly alb: AlbTrafficConfig;

  constructor(options: AlbTrafficRouterOptions) {
    this.client = options.client;
    this.alb = options.alb;
  }

  private get where(): string {
    return this.alb.listenerRule !== undefined ? `listener rule ${this.alb.listenerRule}` : `listener ${this.alb.listener}`;
  }

  async route(input: { readonly stableTargetGroupArn: string | null; readonly canaryTargetGroupArn: string | null; readonly canaryWeight: number }): Promise<void> {
    const { stableTargetGroupArn, canaryTargetGroupArn, canaryWeight } = input;
    if (!(Number.isInteger(canaryWeight) && canaryWeight >= 0 && canaryWeight <= 100)) throw new LoadBalancerError(`canary weight ${canaryWeight} is not a whole number between 0 and 100`);
    for (const [role, arn] of [['stable', stableTargetGroupArn], ['canary', canaryTargetGroupArn]] as const) {
      if (!arn || !this.alb.targetGroups.includes(arn)) {
        throw new LoadBalancerError(`the ${role} task set's target group ${arn ?? '(none)'} is not one of traffic.alb.targetGroups (${this.alb.targetGroups.join(', ')})`);
      }
    }
    if (stableTargetGroupArn === canaryTargetGroupArn) throw new LoadBalancerError(`the stable and the canary task sets share target group ${stableTargetGroupArn}: each needs its own of the pair`);
    const actions = reweighed(await this.actions(), { stableTargetGroupArn: stableTargetGroupArn!, canaryTargetGroupArn: canaryTargetGroupArn!, canaryWeight }, this.where);
    await this.call(this.alb.listenerRule !== undefined ? 'ModifyRule' : 'ModifyListener', () =>
      this.alb.listenerRule !== undefined
        ? this.client.send(new ModifyRuleCommand({ RuleArn: this.alb.listenerRule, Actions: actions }))
        : this.client.send(new ModifyListenerCommand({ ListenerArn: this.alb.listener, DefaultActions: actions })),
    );
  }

  async share(input: { readonly stable: TaskSetView | null; readonly canary: TaskSetView | null }): Promise<number> {
    const groups = forwardedGroups(await this.actions(), this.where);
    const total = groups.reduce((sum, group) => sum + group.weight, 0);
    const canary = groups.find((group) => group.arn === input.canary?.targetGroupArn);
    return canary ? weightedShare(canary.weight, total) : 0;
  }

  inspect(): Promise<AlbReading> {
    return readAlb(this.client, this.alb);
  }

  inspectRule(known?: LoadBalancerReading | null): Promise<AnchorReading> {
    return readAnchor(this.client, this.alb, known);
  }

  /** The actions as the load balancer has them now. */
  private async actions(): Promise<Action[]> {
    if (this.alb.listenerRule !== undefined) {
      const { Rules } = await this.call('DescribeRules', () => this.client.send(new DescribeRulesCommand({ RuleArns: [this.alb.listenerRule!] })));
      return Rules?.[0]?.Actions ?? [];
    }
    const { Listeners } = await this.call('DescribeListeners', () => this.client.send(new DescribeListenersCommand({ ListenerArns: [this.alb.listener!] })));
    return Listeners?.[0]?.DefaultActions ?? [];
  }

  private async call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new LoadBalancerError(`Elastic Load Balancing ${operation} failed for ${this.where}: ${what}`, { cause: error });
    }
  }
}
