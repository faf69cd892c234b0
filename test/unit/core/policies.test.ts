import { describe, expect, it } from 'vitest';
import { createRollout } from '../../../shared/core/create-rollout';
import { nextDirective } from '../../../shared/core/directive';
import { EventType } from '../../../shared/core/events';
import { RolloutStatus } from '../../../shared/core/status';
import type { StepSpec } from '../../../shared/core/steps';
import { transition } from '../../../shared/core/transition';
import { InvalidTransitionError } from '../../../shared/errors';
import { T0, apply, at, canary, started, states, verified } from './rollout-builders';

const S = states();

function pausedWith(pause: Extract<StepSpec, { pause: unknown }>['pause'], defaults?: Parameters<typeof createRollout>[0]['approvalDefaults']) {
  const r = createRollout(
    { id: 'r2', service: 'web', image: S.pending!.image, steps: [{ setWeight: 10 }, { pause }, { setWeight: 100 }], source: 'test', ...(defaults ? { approvalDefaults: defaults } : {}) },
    T0,
  );
  return apply(r, [verified, started, canary, { type: 'Steady', weight: 10 }]);
}

describe('approval quorum', () => {
  it('needs distinct approvers, counting each, and refuses the same person twice', () => {
    const paused = pausedWith({ name: 'qa-signoff', approvals: 2 });
    expect(paused.events.at(-1)!.message).toBe('step 2/3 (qa-signoff): paused at 10% until approved by 2 people');
    const once = transition(paused, { type: 'Approve', by: 'ann', credential: 'ops-token', comment: null }, at(1));
    expect(once.rollout.status).toBe(RolloutStatus.Paused);
    expect(once.effects).toEqual([]);
    expect(once.rollout.events.at(-1)!.message).toBe('step 2/3 (qa-signoff) approved by ann (ops-token) (1 of 2)');
    expect(() => transition(once.rollout, { type: 'Approve', by: 'ann', comment: null }, at(2))).toThrow(InvalidTransitionError);
    const twice = transition(once.rollout, { type: 'Approve', by: 'bob', comment: 'ok' }, at(3));
    expect(twice.rollout.status).toBe(RolloutStatus.Progressing);
    expect(twice.rollout.approvals.map((a) => [a.by, a.credential, a.step])).toEqual([['ann', 'ops-token', 1], ['bob', null, 1]]);
  });

  it('takes the service default when the step names none, and the step own value otherwise', () => {
    const byDefault = pausedWith({}, { required: 3, timeout: null, onTimeout: 'rollback' });
    expect(byDefault.steps[1]).toMatchObject({ pause: { approvals: 3, onTimeout: 'rollback' } });
    const own = pausedWith({ approvals: 1 }, { required: 3, timeout: 60, onTimeout: 'promote' });
    expect(own.steps[1]).toMatchObject({ pause: { approvals: 1, timeout: 60, onTimeout: 'promote' } });
  });
});

describe('approval deadlines', () => {
  it('roll back when nobody approves in time, by default', () => {
    const paused = pausedWith({ timeout: 60 });
    expect(paused.wait).toEqual({ for: 'approval', until: at(60).toISOString() });
    expect(nextDirective(paused, at(20), { steadyPollSeconds: 5 })).toEqual({ next: 'APPROVAL', seconds: 40 });
    expect(transition(paused, { type: 'Tick' }, at(59)).changed).toBe(false);
    const late = transition(paused, { type: 'Tick' }, at(60));
    expect(late.rollout.status).toBe(RolloutStatus.RollingBack);
    expect(late.rollout.reason).toBe('no approval of step 2/3 within 60s');
    expect(late.effects.map((e) => e.type)).toEqual(['wakeWorkflow', 'rollback', 'wakeWorkflow']);
  });

  it('promote when the pause says so', () => {
    const late = transition(pausedWith({ timeout: 60, onTimeout: 'promote' }), { type: 'Tick' }, at(61));
    expect(late.rollout.status).toBe(RolloutStatus.Progressing);
    expect(late.rollout.promoting).toBe(true);
    expect(late.rollout.events.some((e) => e.type === EventType.ApprovalTimeout && /promoting/.test(e.message))).toBe(true);
  });
});

describe('supersede', () => {
  it('rolls an active rollout back, naming the newer rollout', () => {
    const res = transition(S.paused!, { type: 'Supersede', by: 'r9' }, T0);
    expect(res.rollout.status).toBe(RolloutStatus.RollingBack);
    expect(res.rollout.reason).toBe('superseded by rollout r9 (a newer image; onNewImage: supersede)');
  });

  it('ends a queued rollout without touching ECS', () => {
    const res = transition(S.queued!, { type: 'Supersede', by: 'r9' }, T0);
    expect(res.rollout.status).toBe(RolloutStatus.RolledBack);
    expect(res.effects).toEqual([{ type: 'releaseLock' }]);
  });

  it('is refused once the rollout ended', () => {
    expect(() => transition(S.succeeded!, { type: 'Supersede', by: 'r9' }, T0)).toThrow(InvalidTransitionError);
  });
});

describe('holds', () => {
  it('keep the rollout where it is until unheld, then it moves on', () => {
    const held = transition(S.started!, { type: 'Hold', reason: 'alarm web-5xx is in ALARM' }, T0).rollout;
    expect(held.wait).toEqual({ for: 'hold', reason: 'alarm web-5xx is in ALARM', since: T0.toISOString(), resume: null });
    expect(transition(held, { type: 'Tick' }, at(5)).changed).toBe(false);
    expect(nextDirective(held, at(5), { steadyPollSeconds: 5 })).toEqual({ next: 'WAIT', seconds: 5, for: 'hold' });
    expect(transition(held, { type: 'Hold', reason: 'alarm web-5xx is in ALARM' }, at(5)).changed).toBe(false);
    const unheld = transition(held, { type: 'Unhold' }, at(10)).rollout;
    expect(unheld.wait).toBeNull();
    expect(transition(unheld, { type: 'Tick' }, at(10)).effects).toEqual([{ type: 'createCanary' }]);
  });
});

describe('steady-state timeout', () => {
  it('rolls back a weight that does not become steady in time', () => {
    const r = S.atWeight20!;
    expect(transition(r, { type: 'Tick' }, at(600)).changed).toBe(false);
    const late = transition(r, { type: 'Tick' }, at(601));
    expect(late.rollout.status).toBe(RolloutStatus.RollingBack);
    expect(late.rollout.reason).toBe('canary did not reach steady state at 20% within 600s');
  });
});

describe('a hold in the middle of a step', () => {
  it('gives back the bake it interrupted when it ends', () => {
    const held = transition(S.baking!, { type: 'Hold', reason: 'no data' }, at(5)).rollout;
    const unheld = transition(held, { type: 'Unhold' }, at(10)).rollout;
    expect(unheld.wait).toEqual(S.baking!.wait);
    expect(transition(unheld, { type: 'Tick' }, at(31)).rollout.canaryWeight).toBe(50);
  });

  it('gives back the steady-state wait it interrupted', () => {
    const held = transition(S.atWeight20!, { type: 'Hold', reason: 'no data' }, at(5)).rollout;
    expect(transition(held, { type: 'Unhold' }, at(6)).rollout.wait).toEqual(S.atWeight20!.wait);
  });
});
