import { describe, expect, it } from 'vitest';
import { coarseSteps, taskCountShareAt, taskSetScales } from '../../../shared/core/traffic-split';

describe('the ECS scales of a canary weight', () => {
  it.each([0, 1, 10, 33, 50, 99, 100])('with ALB weights keep the stable set full and the canary at least at one task (weight %i)', (w) => {
    expect(taskSetScales('alb', w)).toEqual({ canary: Math.max(1, w), stable: 100 });
  });

  it.each([0, 10, 50, 100])('with task counts split the scale (weight %i)', (w) => {
    expect(taskSetScales('taskCount', w)).toEqual({ canary: w, stable: 100 - w });
  });
});

describe('the share of traffic task counts give', () => {
  it.each([
    [1, 10, 50],
    [1, 50, 50],
    [2, 10, 33],
    [2, 50, 50],
    [4, 10, 20],
    [4, 25, 25],
    [10, 10, 10],
    [10, 25, 27],
    [10, 0, 0],
    [10, 100, 100],
  ])('desired %i at weight %i: %i%%', (desired, weight, share) => {
    expect(taskCountShareAt(desired, weight)).toBe(share);
  });

  it('reports the steps a desired count cannot express: one task, or more than 5 points off', () => {
    const weights = [10, null, 50, 100];
    expect(coarseSteps(weights, 1)).toEqual([
      { step: 0, weight: 10, share: 50 },
      { step: 2, weight: 50, share: 50 },
    ]);
    expect(coarseSteps(weights, 2)).toEqual([{ step: 0, weight: 10, share: 33 }]);
    expect(coarseSteps(weights, 4)).toEqual([{ step: 0, weight: 10, share: 20 }]);
    expect(coarseSteps(weights, 10)).toEqual([]);
  });
});
