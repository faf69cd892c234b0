import { describe, expect, it } from 'vitest';
import { preStepVerdict, type PreStepObservations } from '../../../shared/core/pre-step-checks';
import { apply, newRollout, started, verified } from './rollout-builders';

const POLICY = { alarms: [], insufficientData: 'ok' } as const;
const beforeCanary = () => apply(newRollout(), [verified, started]);
const stable = { id: 'ts-stable', steady: true, runningCount: 2 };

describe('the pre-step checks: room for the canary among the service task sets', () => {
  it.each([
    ['below the limit', { count: 4, draining: 2, ownCanary: false }, null],
    ['at the limit, this rollout canary among them (a lost answer)', { count: 5, draining: 3, ownCanary: true }, null],
  ] as const)('lets the canary be created %s', (_what, taskSets, verdict) => {
    expect(preStepVerdict(beforeCanary(), POLICY, { alarmStates: {}, stable, taskSets })).toEqual(verdict);
  });

  it('holds at 5 task sets with the reason, DRAINING ones counted', () => {
    const seen: PreStepObservations = { alarmStates: {}, stable, taskSets: { count: 5, draining: 4, ownCanary: false } };
    expect(preStepVerdict(beforeCanary(), POLICY, seen)).toEqual({
      type: 'Hold',
      reason: 'the ECS service already has 5 task sets (4 DRAINING), the most ECS allows (5); the canary is created once one has drained',
    });
  });

  it('gives every reason to hold at once, and a reason to roll back wins', () => {
    const seen: PreStepObservations = {
      alarmStates: {},
      stable: { id: 'ts-stable', steady: false, runningCount: 1 },
      taskSets: { count: 5, draining: 1, ownCanary: false },
    };
    const verdict = preStepVerdict(beforeCanary(), POLICY, seen);
    expect(verdict).toMatchObject({ type: 'Hold', reason: expect.stringMatching(/not steady yet .*; the ECS service already has 5 task sets/) });
    expect(preStepVerdict(beforeCanary(), POLICY, { ...seen, stable: 'missing' })).toMatchObject({ type: 'EcsFailed' });
  });
});
