/**
 * The stand-in's records. Rules keep their conditions and actions exactly as they were given (the
 * decoded request members); times are epoch milliseconds.
 */
import type { Action, RuleCondition } from '@aws-sdk/client-elastic-load-balancing-v2';

export interface StoredLoadBalancer {
  readonly arn: string;
  readonly name: string;
  /** `application` or `network`. */
  readonly type: 'application' | 'network';
  readonly vpcId: string;
  readonly scheme: 'internet-facing' | 'internal';
  readonly createdAt: number;
}

export interface StoredListener {
  readonly arn: string;
  readonly loadBalancerArn: string;
  readonly port: number;
  /** HTTP or HTTPS for an Application Load Balancer. */
  readonly protocol: string;
}

export interface StoredRule {
  readonly arn: string;
  readonly listenerArn: string;
  /** `default` for the listener's default rule (its default actions), else 1–50000. */
  readonly priority: string;
  conditions: RuleCondition[];
  actions: Action[];
}

export interface HealthCheck {
  readonly intervalSeconds: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
  readonly timeoutSeconds: number;
  readonly path: string;
  readonly matcher: string;
}

export interface StoredTarget {
  readonly id: string;
  readonly port: number;
  readonly registeredAt: number;
  /** Set when deregistered: the target drains for the deregistration delay from then on. */
  readonly deregisteredAt?: number;
}

export interface StoredTargetGroup {
  readonly arn: string;
  readonly name: string;
  readonly protocol: string;
  readonly port: number;
  readonly vpcId: string;
  /** `ip` for tasks with awsvpc networking, `instance` otherwise. */
  readonly targetType: 'ip' | 'instance';
  readonly healthCheck: HealthCheck;
  /** `deregistration_delay.timeout_seconds`: 300 unless set. */
  readonly deregistrationDelaySeconds: number;
  /** Target id → the target; a drained target is dropped. */
  readonly targets: Map<string, StoredTarget>;
}
