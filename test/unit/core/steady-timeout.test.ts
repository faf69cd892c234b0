import { describe, expect, it } from 'vitest';
import { healthySeconds, steadyTimeoutFor } from '../../../shared/core/steady-timeout';

const ELB_DEFAULTS = { healthCheckIntervalSeconds: 30, healthyThresholdCount: 5, deregistrationDelaySeconds: 300 };

describe('the steady timeout from the target groups', () => {
  it('is (task start + interval × healthy threshold + deregistration delay) × 2 for ELBv2 defaults', () => {
    expect(healthySeconds(ELB_DEFAULTS)).toBe(150);
    // (120 + 150 + 300) × 2: past the fixed 600 s that rolled healthy rollouts back.
    expect(steadyTimeoutFor([ELB_DEFAULTS])).toBe(1140);
  });

  it('follows the slowest target group of the pair', () => {
    const quick = { healthCheckIntervalSeconds: 5, healthyThresholdCount: 2, deregistrationDelaySeconds: 10 };
    const slow = { ...ELB_DEFAULTS, deregistrationDelaySeconds: 600 };
    expect(steadyTimeoutFor([quick, slow])).toBe((120 + 150 + 600) * 2);
  });

  it('never goes below the configured floor, and takes its allowances', () => {
    const quick = { healthCheckIntervalSeconds: 5, healthyThresholdCount: 2, deregistrationDelaySeconds: 10 };
    expect(steadyTimeoutFor([quick])).toBe(600);
    expect(steadyTimeoutFor([quick], { atLeastSeconds: 0, taskStartSeconds: 20, margin: 1.5 })).toBe(60);
    expect(steadyTimeoutFor([], { atLeastSeconds: 30 })).toBe(240);
  });

  it('refuses timings that are not numbers of seconds, naming the field', () => {
    expect(() => steadyTimeoutFor([{ ...ELB_DEFAULTS, healthyThresholdCount: -1 }])).toThrow('target group timing healthyThresholdCount must be a number ≥ 0, not -1');
  });
});
