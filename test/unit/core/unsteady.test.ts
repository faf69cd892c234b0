import { describe, expect, it } from 'vitest';
import { unsteadyReason } from '../../../shared/core/unsteady';

const set = (role: string, over: object) => ({ role, id: `ts-${role}`, status: 'ACTIVE', steady: false, runningCount: 0, ...over });

describe('why a weight is not steady', () => {
  it('says nothing when every task set is steady', () => {
    expect(unsteadyReason([set('canary', { steady: true, runningCount: 2 }), set('stable', { steady: true })])).toBeNull();
  });

  it.each([
    ['tasks not started', set('canary', { runningCount: 1, desiredCount: 3, pendingCount: 2 }), 'canary tasks not started: 1 of 3 running, 2 pending'],
    ['targets unhealthy', set('canary', { runningCount: 2, desiredCount: 2, pendingCount: 0 }), 'canary targets not healthy yet: 2 of 2 tasks running, not STEADY_STATE'],
    ['tasks draining', set('stable', { runningCount: 4, desiredCount: 2 }), 'stable tasks draining: 4 running, 2 wanted'],
    ['a DRAINING set', set('stable', { status: 'DRAINING', runningCount: 1 }), 'stable task set ts-stable is DRAINING (1 tasks still running)'],
  ])('names %s', (_what, taskSet, reason) => {
    expect(unsteadyReason([taskSet])).toBe(reason);
  });

  it('gives the reasons of both task sets', () => {
    const both = [set('canary', { runningCount: 0, desiredCount: 1 }), set('stable', { runningCount: 3, desiredCount: 2 })];
    expect(unsteadyReason(both)).toBe('canary tasks not started: 0 of 1 running; stable tasks draining: 3 running, 2 wanted');
  });
});
