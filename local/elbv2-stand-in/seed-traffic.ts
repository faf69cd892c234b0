/**
 * Local mode's load balancer, from the configuration: for each service with `traffic.alb`, the load
 * balancer, listener, rule and the pair of target groups its ARNs name, the rule (or the listener's
 * default action) forwarding 100% to the group the service's PRIMARY task set uses (the first of the
 * pair on a first start) and 0% to the other, so both are in use and health-checked. With
 * `blueGreen`, its preview rule too, on its own (test) listener, forwarding 100% to that same group.
 * What the stand-in already has (kept from before a restart) is left as it is.
 */
import type { AlbTrafficConfig } from '../../shared/config/traffic-schema';
import { listenerOf, loadBalancerOf } from './arns';
import type { ElbV2StandIn } from './stand-in';
import type { HealthCheck } from './types';

export interface LocalTargetGroupTiming {
  /** Health checks of local target groups. Default every 2 s, healthy after 2 (AWS: 30 s and 5). */
  readonly healthCheck?: Partial<HealthCheck>;
  /** Default 5 s (AWS: 300 s). */
  readonly deregistrationDelaySeconds?: number;
}

export function seedTraffic(
  standIn: ElbV2StandIn,
  input: {
    readonly service: string;
    readonly alb: AlbTrafficConfig;
    readonly servingTargetGroupArn?: string | null;
    readonly priority?: number;
    /** `blueGreen.previewListenerRule`, when the service has one. */
    readonly previewListenerRule?: string;
  },
  timing: LocalTargetGroupTiming = {},
): void {
  const { alb } = input;
  const anchor = alb.listenerRule ?? alb.listener!;
  const loadBalancerArn = loadBalancerOf(anchor);
  standIn.seedLoadBalancer({ arn: loadBalancerArn });
  for (const arn of alb.targetGroups) {
    standIn.seedTargetGroup({
      arn,
      healthCheck: { intervalSeconds: 2, healthyThreshold: 2, ...timing.healthCheck },
      deregistrationDelaySeconds: timing.deregistrationDelaySeconds ?? 5,
    });
  }
  const serving = input.servingTargetGroupArn && alb.targetGroups.includes(input.servingTargetGroupArn) ? input.servingTargetGroupArn : alb.targetGroups[0];
  const other = alb.targetGroups.find((arn) => arn !== serving)!;
  const forward = {
    Type: 'forward' as const,
    ForwardConfig: {
      TargetGroups: [
        { TargetGroupArn: serving, Weight: 100 },
        { TargetGroupArn: other, Weight: 0 },
      ],
    },
  };
  const listenerArn = alb.listener ?? listenerOf(alb.listenerRule!);
  const fixed = { Type: 'fixed-response' as const, FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'no rule matched' } };
  standIn.seedListener({ arn: listenerArn, loadBalancerArn, defaultActions: [alb.listener ? forward : fixed] });
  if (alb.listenerRule) {
    standIn.seedRule({
      arn: alb.listenerRule,
      listenerArn,
      priority: input.priority ?? 10,
      conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: [`${input.service}.local`] } }],
      actions: [forward],
    });
  }
  const preview = input.previewListenerRule;
  if (preview) {
    const previewListenerArn = listenerOf(preview);
    const previewLoadBalancerArn = loadBalancerOf(preview);
    standIn.seedLoadBalancer({ arn: previewLoadBalancerArn });
    // A test listener: another port of the load balancer than production's (80).
    if (previewListenerArn !== listenerArn) standIn.seedListener({ arn: previewListenerArn, loadBalancerArn: previewLoadBalancerArn, port: 8080, defaultActions: [fixed] });
    standIn.seedRule({
      arn: preview,
      listenerArn: previewListenerArn,
      priority: (input.priority ?? 10) + 1000,
      conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: [`${input.service}.preview.local`] } }],
      actions: [{ Type: 'forward' as const, ForwardConfig: { TargetGroups: [{ TargetGroupArn: serving, Weight: 100 }] } }],
    });
  }
}
