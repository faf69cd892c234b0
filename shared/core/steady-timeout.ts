/**
 * How long a weight may take to become steady, from the mechanics that make it slow: a task set with a
 * load balancer is steady only once its new targets pass the health check (interval × healthy
 * threshold), and the set scaled down waits for its targets to drain (the deregistration delay). Pure:
 * the caller reads the target groups (ELBv2 DescribeTargetGroups / DescribeTargetGroupAttributes, or
 * the local stand-in) and passes the numbers in.
 */

/** A service's steady timeout when its file sets none and nothing raises it (docs/configuration.md). */
export const DEFAULT_STEADY_TIMEOUT_SECONDS = 600;

/** The timings of one target group, as ELBv2 reports them. */
export interface TargetGroupTiming {
  /** `HealthCheckIntervalSeconds` (ELBv2 default 30). */
  readonly healthCheckIntervalSeconds: number;
  /** `HealthyThresholdCount` (ELBv2 default 5). */
  readonly healthyThresholdCount: number;
  /** The `deregistration_delay.timeout_seconds` attribute (ELBv2 default 300). */
  readonly deregistrationDelaySeconds: number;
}

export interface SteadyTimeoutAllowance {
  /** Time for a task to be placed, pull its image and start, before health checks begin. Default 120 s. */
  readonly taskStartSeconds?: number;
  /** Factor on the computed time, for retries of failing checks and slow placements. Default 2. */
  readonly margin?: number;
  /** Never less than this (the configured default steady timeout). Default 600 s. */
  readonly atLeastSeconds?: number;
}

/** Seconds a new target takes to be reported healthy: it must pass `healthyThresholdCount` checks in a row. */
export const healthySeconds = (timing: TargetGroupTiming): number =>
  timing.healthCheckIntervalSeconds * timing.healthyThresholdCount;

/**
 * The steady timeout for a rollout whose task sets sit behind these target groups: the slowest group's
 * (task start + interval × healthy threshold + deregistration delay) × margin, and never less than
 * `atLeastSeconds`. Whole seconds.
 */
export function steadyTimeoutFor(groups: readonly TargetGroupTiming[], allowance: SteadyTimeoutAllowance = {}): number {
  const { taskStartSeconds = 120, margin = 2, atLeastSeconds = DEFAULT_STEADY_TIMEOUT_SECONDS } = allowance;
  for (const group of groups) {
    for (const [name, value] of Object.entries(group)) {
      if (!(Number.isFinite(value) && value >= 0)) throw new RangeError(`target group timing ${name} must be a number ≥ 0, not ${String(value)}`);
    }
  }
  const slowest = Math.max(0, ...groups.map((group) => healthySeconds(group) + group.deregistrationDelaySeconds));
  return Math.max(atLeastSeconds, Math.ceil((taskStartSeconds + slowest) * margin));
}
