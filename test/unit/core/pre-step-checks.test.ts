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

describe('the pre-step checks: the rollback target is still in the registry', () => {
  const image = `127.0.0.1:5000/team/web@sha256:${'1'.repeat(64)}`;
  it('lets the canary be created when the registry serves the stable image by digest', () => {
    expect(preStepVerdict(beforeCanary(), POLICY, { alarmStates: {}, stable, stableImage: { image, present: true } })).toBeNull();
  });
  it('holds, naming the image, when the registry does not have it', () => {
    expect(preStepVerdict(beforeCanary(), POLICY, { alarmStates: {}, stable, stableImage: { image, present: false } })).toEqual({
      type: 'Hold',
      reason: `the stable image ${image} (the rollback target) is not in its registry; push it again (by digest) or fix the stable task set`,
    });
  });
  it('ends the hold once the image is back', () => {
    const held = apply(beforeCanary(), [{ type: 'Hold', reason: 'image gone' }]);
    expect(preStepVerdict(held, POLICY, { alarmStates: {}, stable, stableImage: { image, present: true } })).toEqual({ type: 'Unhold' });
  });
});
