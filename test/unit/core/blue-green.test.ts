/**
 * Blue-green in the core: the preview at full size (production 0%), the approval with the service's
 * quorum and timeout (or autoPromote), the switch, PROMOTING for scaleDownDelay with an instant switch
 * back, and the point of return after it.
 */
import { describe, expect, it } from 'vitest';
import { blueGreenSteps } from '../../../shared/core/blue-green';
import type { RolloutInput } from '../../../shared/core/commands';
import { nextDirective } from '../../../shared/core/directive';
import { EventType } from '../../../shared/core/events';
import { RolloutStatus, holdsEcs, isTerminal } from '../../../shared/core/status';
import { transition } from '../../../shared/core/transition';
import { InvalidTransitionError } from '../../../shared/errors';
import { PREVIEW_RULE, apply, at, canary, newBlueGreenRollout, started, states, verified } from './rollout-builders';

const S = states();
const directive = (r: Parameters<typeof nextDirective>[0], seconds = 0) => nextDirective(r, at(seconds), { steadyPollSeconds: 5 });
const alarm: RolloutInput = { type: 'AlarmFired', alarm: 'web-5xx', reason: 'p99 up' };
const abort: RolloutInput = { type: 'Abort', by: 'ann', reason: 'bad' };

describe('blue-green steps', () => {
  it('are the preview at full size, then its approval pause (none with autoPromote)', () => {
    expect(blueGreenSteps({ autoPromote: false })).toEqual([{ setWeight: 0 }, { pause: { name: 'preview' } }]);
    expect(blueGreenSteps({ autoPromote: true })).toEqual([{ setWeight: 0 }]);
  });

  it('carry the service approvals (quorum, timeout, onTimeout) and the settings on the record', () => {
    const r = newBlueGreenRollout({}, { required: 2, timeout: 600, onTimeout: 'rollback' });
    expect(r.steps[1]).toMatchObject({ pause: { name: 'preview', approvals: 2, timeout: 600, onTimeout: 'rollback' } });
    expect(r.blueGreen).toEqual({ previewListenerRule: PREVIEW_RULE, autoPromote: false, scaleDownDelaySeconds: 30 });
  });
});

describe('a blue-green rollout', () => {
  it('previews the new set with production at 0%, waiting for it to be steady', () => {
    expect(S.bgPreview).toMatchObject({ status: 'PROGRESSING', canaryWeight: 0, currentStep: 0, wait: { for: 'steady' } });
    expect(S.bgPreview!.events.at(-1)!.message).toContain('the new task set at full size behind the preview rule; production stays 100% on the stable set');
    expect(transition(apply(newBlueGreenRollout(), [verified, started]), canary, at(0)).effects).toEqual([{ type: 'applyWeight', weight: 0 }]);
  });

  it('waits PAUSED for approval once the new set is steady', () => {
    expect(S.bgPaused).toMatchObject({ status: 'PAUSED', canaryWeight: 0, wait: { for: 'approval' }, promoting: false });
    expect(directive(S.bgPaused!)).toEqual({ next: 'APPROVAL' });
  });

  it('needs the quorum before it switches', () => {
    const paused = apply(newBlueGreenRollout({}, { required: 2, timeout: null, onTimeout: 'rollback' }), [verified, started, canary, { type: 'Steady', weight: 0 }]);
    const one = apply(paused, [{ type: 'Approve', by: 'ann', comment: null }]);
    expect(one).toMatchObject({ status: 'PAUSED', canaryWeight: 0 });
    expect(() => transition(one, { type: 'Approve', by: 'ann', comment: null }, at(1))).toThrow(/already approved/);
    const two = apply(one, [{ type: 'Approve', by: 'bob', comment: null }]);
    expect(two).toMatchObject({ status: 'PROGRESSING', currentStep: 2 });
  });

  it('rolls back when nobody approves before the timeout, unless onTimeout is promote', () => {
    const rules = (onTimeout: 'rollback' | 'promote') => ({ required: 1, timeout: 60, onTimeout });
    const late = (onTimeout: 'rollback' | 'promote') =>
      transition(apply(newBlueGreenRollout({}, rules(onTimeout)), [verified, started, canary, { type: 'Steady', weight: 0 }]), { type: 'Tick' }, at(61)).rollout;
    expect(late('rollback')).toMatchObject({ status: 'ROLLING_BACK', canaryWeight: 0 });
    expect(late('promote')).toMatchObject({ status: 'PROGRESSING', promoting: true, canaryWeight: 100 });
  });

  it('on approval, switches production to 100% new (one applyWeight), still PROGRESSING until steady there', () => {
    const approved = apply(S.bgPaused!, [{ type: 'Approve', by: 'ann', comment: null }]);
    const res = transition(approved, { type: 'Tick' }, at(0));
    expect(res.effects).toEqual([{ type: 'applyWeight', weight: 100 }]);
    expect(res.rollout).toMatchObject({ status: 'PROGRESSING', promoting: true, canaryWeight: 100, wait: { for: 'steady' } });
    expect(res.rollout.events.at(-1)!.message).toBe('switching production to the new task set (100%)');
  });

  it('with autoPromote, switches once the new set is steady, without a pause', () => {
    const r = apply(newBlueGreenRollout({ autoPromote: true }), [verified, started, canary]);
    const res = transition(r, { type: 'Steady', weight: 0 }, at(1));
    expect(res.rollout).toMatchObject({ status: 'PROGRESSING', promoting: true, canaryWeight: 100 });
    expect(res.effects).toEqual([{ type: 'applyWeight', weight: 100 }]);
    expect(res.rollout.events.map((e) => e.type)).not.toContain(EventType.Paused);
  });

  it('is PROMOTING once steady at 100%, the old set kept for scaleDownDelay: not ended, and nothing removed yet', () => {
    const res = transition(S.bgSwitching!, { type: 'Steady', weight: 100, trafficShare: 100 }, at(5));
    expect(res.effects).toEqual([]);
    expect(res.rollout).toMatchObject({ status: 'PROMOTING', canaryWeight: 100, trafficShare: 100, wait: { for: 'bake', until: at(35).toISOString() } });
    expect(res.rollout.events.at(-1)).toMatchObject({ type: EventType.Switched });
    expect(isTerminal(RolloutStatus.Promoting)).toBe(false);
    expect(holdsEcs(RolloutStatus.Promoting)).toBe(true);
    expect(directive(res.rollout, 5)).toEqual({ next: 'WAIT', seconds: 30, for: 'bake' });
  });

  it.each([
    ['an alarm', alarm],
    ['an abort', abort],
    ['a reject', { type: 'Reject', by: 'ann', comment: 'no' } as RolloutInput],
    ['a failed ECS call', { type: 'EcsFailed', message: 'boom' } as RolloutInput],
  ])('within scaleDownDelay, switches back at once on %s', (_name, input) => {
    const res = transition(S.bgSwitched!, input, at(10));
    expect(res.rollout).toMatchObject({ status: 'ROLLING_BACK', canaryWeight: 0, promoting: false });
    expect(res.effects).toContainEqual({ type: 'rollback' });
  });

  it('after scaleDownDelay, makes the new set primary and removes the old one (claimed once), then SUCCEEDS', () => {
    expect(transition(S.bgSwitched!, { type: 'Tick' }, at(20)).changed).toBe(false);
    const res = transition(S.bgSwitched!, { type: 'Tick' }, at(31));
    expect(res.effects).toEqual([{ type: 'promote' }]);
    expect(res.rollout).toMatchObject({ status: 'PROMOTING', wait: null, ecs: { claim: { call: 'promote' } } });
    expect(transition(res.rollout, { type: 'Tick' }, at(32)).changed).toBe(false);
    const done = transition(res.rollout, { type: 'Promoted' }, at(33));
    expect(done.rollout).toMatchObject({ status: 'SUCCEEDED', canaryWeight: 100, trafficShare: 100 });
    expect(done.effects).toEqual([{ type: 'releaseLock' }]);
  });

  it('past the point of return, refuses an abort, ignores a late alarm and retries a failed promotion', () => {
    const f = S.bgFinalizing!;
    // The promote call in flight: the clock looks again at the usual interval.
    expect(directive(f, 40)).toEqual({ next: 'WAIT', seconds: 5, for: 'steady' });
    expect(() => transition(f, abort, at(40))).toThrow(InvalidTransitionError);
    expect(() => transition(f, abort, at(40))).toThrow(/its scaleDownDelay is over and the old task set is being removed/);
    expect(transition(f, alarm, at(40)).changed).toBe(false);
    const failed = transition(f, { type: 'EcsFailed', message: 'boom' }, at(40)).rollout;
    expect(failed).toMatchObject({ status: 'PROMOTING', wait: null, ecs: { claim: null } });
    expect(transition(failed, { type: 'Tick' }, at(41)).effects).toEqual([{ type: 'promote' }]);
  });

  it('refuses a pause, a promote and a supersede while PROMOTING', () => {
    expect(() => transition(S.bgSwitched!, { type: 'Pause', by: 'ann', reason: null }, at(10))).toThrow(/it is PROMOTING, and only PROGRESSING rollouts can be/);
    expect(() => transition(S.bgSwitched!, { type: 'Promote', by: 'ann' }, at(10))).toThrow(/it is PROMOTING, and only PROGRESSING or PAUSED rollouts can be/);
    expect(() => transition(S.bgSwitched!, { type: 'Supersede', by: 'r2' }, at(10))).toThrow(/being made primary/);
  });

  it('with no delay, promotes at the next tick', () => {
    const r = apply(newBlueGreenRollout({ autoPromote: true, scaleDownDelaySeconds: 0 }), [verified, started, canary, { type: 'Steady', weight: 0 }, { type: 'Steady', weight: 100 }]);
    expect(r).toMatchObject({ status: 'PROMOTING', wait: { for: 'bake', until: at(0).toISOString() } });
    expect(transition(r, { type: 'Tick' }, at(0)).effects).toEqual([{ type: 'promote' }]);
  });
});
