import { describe, expect, it } from 'vitest';
import type { RolloutInput } from '../../../shared/core/commands';
import { nextDirective } from '../../../shared/core/directive';
import { EventType } from '../../../shared/core/events';
import { RolloutStatus, StepStatus } from '../../../shared/core/status';
import { transition } from '../../../shared/core/transition';
import { InvalidTransitionError } from '../../../shared/errors';
import { T0, apply, at, canary, newRollout, started, states, verified } from './rollout-builders';

const S = states();
const directive = (r: Parameters<typeof nextDirective>[0], seconds = 0) => nextDirective(r, at(seconds), { steadyPollSeconds: 5 });

describe('a rollout through the default plan', () => {
  it('starts PENDING, waiting for its signature, with one CREATED event', () => {
    const r = S.pending!;
    expect(r.status).toBe(RolloutStatus.Pending);
    expect(r.wait).toEqual({ for: 'signature' });
    expect(r.events.map((e) => e.type)).toEqual([EventType.Created]);
    expect(r.version).toBe(1);
  });

  it('asks for the service lock once the signature is verified', () => {
    const res = transition(S.pending!, verified, T0);
    expect(res.effects).toEqual([{ type: 'acquireLock' }]);
    expect(res.rollout.signature?.key).toBe('keys/web.pub');
    expect(res.rollout.status).toBe(RolloutStatus.Pending);
    expect(res.rollout.version).toBe(2);
  });

  it('starts the workflow when the lock is taken, then asks for the canary on the first tick', () => {
    const res = transition(apply(S.pending!, [verified]), started, T0);
    expect(res.rollout.status).toBe(RolloutStatus.Progressing);
    expect(res.rollout.previousDigest).toBe(`sha256:${'1'.repeat(64)}`);
    // Its first clock attempt is taken in this save, and the effect starts that one.
    expect(res.rollout.clock).toEqual({ attempt: 1, since: T0.toISOString() });
    expect(res.effects).toEqual([{ type: 'startWorkflow', attempt: 1 }]);
    expect(transition(res.rollout, { type: 'Tick' }, T0).effects).toEqual([{ type: 'createCanary' }]);
  });

  it('keeps the clock a rollout has when it starts (one that looked for a late signature), starting it only if it stopped', () => {
    const looking = { ...apply(S.pending!, [verified]), clock: { attempt: 2, since: T0.toISOString() } };
    const res = transition(looking, started, T0);
    expect(res.rollout.clock).toEqual({ attempt: 2, since: T0.toISOString() });
    expect(res.effects).toEqual([{ type: 'startWorkflow' }]);
  });

  it('sets the first weight as soon as the canary exists and waits for steady state', () => {
    const res = transition(S.started!, canary, T0);
    expect(res.effects).toEqual([{ type: 'applyWeight', weight: 20 }]);
    expect(res.rollout.canaryWeight).toBe(20);
    expect(res.rollout.wait).toEqual({ for: 'steady', since: T0.toISOString() });
    expect(res.rollout.steps[0]!.status).toBe(StepStatus.Running);
    // Waiting for ECS is a callback an ECS event answers (or a look at ECS when it times out), not a poll.
    expect(directive(res.rollout)).toEqual({ next: 'STEADY' });
  });

  it('completes a weight step on steady state and starts the timed pause at once', () => {
    const r = S.baking!;
    expect(r.steps[0]!.status).toBe(StepStatus.Completed);
    expect(r.steps[1]!.status).toBe(StepStatus.Running);
    expect(r.currentStep).toBe(1);
    expect(r.wait).toEqual({ for: 'bake', until: at(30).toISOString() });
    expect(directive(r, 10)).toEqual({ next: 'WAIT', seconds: 20, for: 'bake' });
  });

  it('does nothing on a tick before the bake has elapsed', () => {
    expect(transition(S.baking!, { type: 'Tick' }, at(29)).changed).toBe(false);
  });

  it("forgets a wait's token in a save of the workflow's Advance (Tick, Steady), and keeps it when nothing changed", () => {
    const waiting = { ...S.atWeight20!, taskToken: 'tok-steady' };
    expect(transition(waiting, { type: 'Tick' }, at(1)).rollout.taskToken).toBe('tok-steady');
    expect(transition(waiting, { type: 'Steady', weight: 20 }, at(1)).rollout).toMatchObject({ taskToken: null, wait: { for: 'bake' } });
    const baked = { ...S.baking!, taskToken: 'tok-old' };
    expect(transition(baked, { type: 'Tick' }, at(29)).rollout.taskToken).toBe('tok-old');
    expect(transition(baked, { type: 'Tick' }, at(30)).rollout).toMatchObject({ taskToken: null, canaryWeight: 50 });
    // Any other save keeps it: an operator's decision answers the wait first.
    expect(transition(waiting, { type: 'Pause', by: 'ann', reason: null }, at(1)).rollout.taskToken).toBe('tok-steady');
  });

  it('moves past the bake on the first tick after it elapsed and sets the next weight', () => {
    const res = transition(S.baking!, { type: 'Tick' }, at(30));
    expect(res.rollout.steps[1]!.status).toBe(StepStatus.Completed);
    expect(res.rollout.canaryWeight).toBe(50);
    expect(res.effects).toEqual([{ type: 'applyWeight', weight: 50 }]);
  });

  it('pauses for approval on a pause without duration', () => {
    const r = S.paused!;
    expect(r.status).toBe(RolloutStatus.Paused);
    expect(r.wait).toEqual({ for: 'approval' });
    expect(r.canaryWeight).toBe(50);
    expect(directive(r)).toEqual({ next: 'APPROVAL' });
  });

  it('records the approver and wakes the workflow on approve', () => {
    const res = transition(S.paused!, { type: 'Approve', by: 'ann', comment: 'looks good' }, at(40));
    expect(res.rollout.status).toBe(RolloutStatus.Progressing);
    expect(res.rollout.approvals).toEqual([{ by: 'ann', credential: null, comment: 'looks good', at: at(40).toISOString(), step: 3 }]);
    expect(res.rollout.steps[3]!.status).toBe(StepStatus.Completed);
    expect(res.effects).toEqual([{ type: 'wakeWorkflow', taskToken: null }]);
    expect(res.rollout.events.at(-1)).toMatchObject({ type: EventType.Approved, message: 'step 4/5 approved by ann: looks good' });
  });

  it('promotes after the last step: at once when that step was 100% and is steady, with the promotion\'s events', () => {
    const res = transition(S.atWeight100!, { type: 'Steady', weight: 100 }, T0);
    expect(res.rollout).toMatchObject({ status: 'PROGRESSING', promoting: true, currentStep: 5, canaryWeight: 100, wait: null, ecs: { claim: { call: 'promote' } } });
    expect(res.effects).toEqual([{ type: 'promote' }]);
    expect(res.rollout.events.slice(-4).map((e) => e.type)).toEqual([EventType.StepCompleted, EventType.Promoting, EventType.WeightSet, EventType.Promoting]);
  });

  it('promotes after the last step: a last weight below 100% scales the canary to 100%, then finalizes when steady', () => {
    const below = apply(newRollout([{ setWeight: 20 }, { setWeight: 60 }]), [verified, started, canary, { type: 'Steady', weight: 20 }]);
    const res = transition(below, { type: 'Steady', weight: 60 }, T0);
    expect(res.rollout).toMatchObject({ promoting: true, currentStep: 2, canaryWeight: 100, wait: { for: 'steady' } });
    expect(res.effects).toEqual([{ type: 'applyWeight', weight: 100 }]);
    expect(transition(res.rollout, { type: 'Steady', weight: 100 }, T0).effects).toEqual([{ type: 'promote' }]);
  });

  it('promotes after a Promote: scales the canary to 100%, then finalizes when steady', () => {
    expect(S.promoting!.promoting).toBe(true);
    expect(S.promoting!.currentStep).toBe(5);
    expect(S.promoting!.wait?.for).toBe('steady');
    const res = transition(S.promoting!, { type: 'Steady', weight: 100 }, T0);
    expect(res.effects).toEqual([{ type: 'promote' }]);
    expect(S.succeeded!.status).toBe(RolloutStatus.Succeeded);
    expect(S.succeeded!.canaryWeight).toBe(100);
    expect(transition(S.finalizing!, { type: 'Promoted' }, T0).effects).toEqual([{ type: 'releaseLock' }]);
  });

  it('numbers events from 0 without gaps, in order', () => {
    const seqs = S.succeeded!.events.map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i));
  });

  it('increments the version by one on every change', () => {
    const r = S.paused!;
    const res = transition(r, { type: 'Approve', by: 'a', comment: null }, T0);
    expect(res.rollout.version).toBe(r.version + 1);
  });

  it('skips a zero-second pause without waiting', () => {
    const r = apply(newRollout([{ setWeight: 10 }, { pause: { duration: 0 } }, { setWeight: 100 }]), [verified, started, canary, { type: 'Steady', weight: 10 }]);
    expect(r.steps[1]!.status).toBe(StepStatus.Completed);
    expect(r.canaryWeight).toBe(100);
  });
});

describe('signature outcomes', () => {
  it('rejects the rollout with the reason, asks for no ECS effect, and gives back the lock it may hold', () => {
    const res = transition(S.pending!, { type: 'SignatureRejected', reason: 'not signed by any configured key' }, T0);
    expect(res.rollout.status).toBe(RolloutStatus.Rejected);
    expect(res.rollout.reason).toBe('not signed by any configured key');
    // A verified signature is recorded after the lock is taken: a crash in between leaves the lock with
    // a rollout whose signature is checked again.
    expect(res.effects).toEqual([{ type: 'releaseLock' }]);
  });

  it('logs a missing signature once however often it is checked', () => {
    const once = transition(S.pending!, { type: 'SignatureMissing', detail: 'no sha256-….sig tag' }, T0).rollout;
    expect(transition(once, { type: 'SignatureMissing', detail: 'again' }, T0).changed).toBe(false);
  });

  it('ignores a late signature verdict for a rollout that already moved on', () => {
    for (const r of [S.started!, S.rejected!, S.rolledBack!]) {
      expect(transition(r, verified, T0).changed).toBe(false);
      expect(transition(r, { type: 'SignatureRejected', reason: 'x' }, T0).changed).toBe(false);
    }
  });

  it('queues behind the lock holder and logs it once', () => {
    expect(S.queued!.wait).toEqual({ for: 'lock', behind: 'r0' });
    expect(transition(S.queued!, { type: 'Queued', behind: 'r0' }, T0).changed).toBe(false);
  });
});

const ACTIVE_POINTS = ['started', 'atWeight20', 'baking', 'atWeight50', 'paused', 'atWeight100', 'promoting'] as const;
const ENDED_POINTS = ['succeeded', 'rolledBack', 'rejected'] as const;

describe('abort', () => {
  it.each(ACTIVE_POINTS)('rolls back from %s: ROLLING_BACK, weight intent 0, rollback and wake effects', (point) => {
    const res = transition(S[point]!, { type: 'Abort', by: 'bob', reason: 'bad day' }, T0);
    expect(res.rollout.status).toBe(RolloutStatus.RollingBack);
    expect(res.rollout.canaryWeight).toBe(0);
    expect(res.rollout.reason).toBe('aborted by bob: bad day');
    expect(res.effects).toEqual([{ type: 'rollback' }, { type: 'wakeWorkflow', taskToken: null }]);
    const done = transition(res.rollout, { type: 'RolledBack' }, T0);
    expect(done.rollout.status).toBe(RolloutStatus.RolledBack);
    expect(done.effects).toEqual([{ type: 'releaseLock' }]);
  });

  it('ends a PENDING rollout without touching ECS', () => {
    for (const r of [S.pending!, S.queued!]) {
      const res = transition(r, { type: 'Abort', by: 'bob', reason: null }, T0);
      expect(res.rollout.status).toBe(RolloutStatus.RolledBack);
      expect(res.effects).toEqual([{ type: 'releaseLock' }]);
    }
  });

  it.each(ENDED_POINTS)('is refused with a conflict when the rollout is %s', (point) => {
    expect(() => transition(S[point]!, { type: 'Abort', by: 'bob', reason: null }, T0)).toThrow(InvalidTransitionError);
  });

  it('is refused while rolling back', () => {
    expect(() => transition(S.rollingBack!, { type: 'Abort', by: 'bob', reason: null }, T0)).toThrow(/ROLLING_BACK/);
  });

  it('is refused once the canary is steady at 100% and being made primary', () => {
    expect(() => transition(S.finalizing!, { type: 'Abort', by: 'bob', reason: null }, T0)).toThrow(/being made primary/);
  });

  it('retries the rollback of a FAILED rollout', () => {
    const res = transition(S.failed!, { type: 'Abort', by: 'ops', reason: 'fixed IAM' }, T0);
    expect(res.rollout.status).toBe(RolloutStatus.RollingBack);
    expect(res.effects).toContainEqual({ type: 'rollback' });
  });

  it('keeps the canary while the stable set gets steady, once, and makes sure the clock runs to look again', () => {
    const retried = transition(S.failed!, { type: 'Abort', by: 'ops', reason: 'fixed IAM' }, T0).rollout;
    const waiting = transition(retried, { type: 'RollbackWaiting', waitingFor: 'the stable task set to be steady' }, T0);
    expect(waiting.rollout.status).toBe(RolloutStatus.RollingBack);
    expect(waiting.rollout.wait).toEqual({ for: 'steady', since: T0.toISOString() });
    expect(waiting.rollout.events.at(-1)?.type).toBe('ROLLBACK_WAITING');
    // A rollback retried from FAILED runs outside any execution of the workflow.
    expect(waiting.effects).toEqual([{ type: 'startWorkflow' }]);
    const again = transition(waiting.rollout, { type: 'RollbackWaiting', waitingFor: 'the stable task set to be steady' }, at(10));
    expect(again.rollout).toBe(waiting.rollout);
    expect(again.effects).toEqual([]);
  });
});

describe('reject (an explicit no)', () => {
  it.each(ACTIVE_POINTS)('rolls back from %s', (point) => {
    const res = transition(S[point]!, { type: 'Reject', by: 'eve', comment: 'latency' }, T0);
    expect(res.rollout.status).toBe(RolloutStatus.RollingBack);
    expect(res.rollout.events.some((e) => e.type === EventType.Rejected)).toBe(true);
  });

  it('is refused for a FAILED rollout', () => {
    expect(() => transition(S.failed!, { type: 'Reject', by: 'eve', comment: null }, T0)).toThrow(InvalidTransitionError);
  });
});

describe('promote', () => {
  it.each(ACTIVE_POINTS.filter((p) => p !== 'promoting'))('skips the remaining steps from %s and scales the canary to 100%%', (point) => {
    const res = transition(S[point]!, { type: 'Promote', by: 'pat' }, T0);
    expect(res.rollout.status).toBe(RolloutStatus.Progressing);
    expect(res.rollout.promoting).toBe(true);
    expect(res.rollout.canaryWeight).toBe(100);
    expect(res.rollout.steps.every((s) => s.status === StepStatus.Completed || s.status === StepStatus.Skipped)).toBe(true);
    expect(res.effects).toEqual([{ type: 'applyWeight', weight: 100 }, { type: 'wakeWorkflow', taskToken: null }]);
  });

  it('is refused twice', () => {
    expect(() => transition(S.promoting!, { type: 'Promote', by: 'pat' }, T0)).toThrow(/already being promoted/);
  });

  it.each([...ENDED_POINTS, 'pending', 'rollingBack', 'failed'] as const)('is refused when the rollout is %s', (point) => {
    expect(() => transition(S[point]!, { type: 'Promote', by: 'pat' }, T0)).toThrow(InvalidTransitionError);
  });
});

describe('approve', () => {
  it.each(['pending', 'queued', 'started', 'atWeight20', 'baking', 'atWeight50', 'atWeight100', 'promoting', 'succeeded', 'rollingBack', 'rolledBack', 'failed', 'rejected'] as const)(
    'is refused with a conflict when the rollout is %s (not PAUSED)',
    (point) => {
      expect(() => transition(S[point]!, { type: 'Approve', by: 'a', comment: null }, T0)).toThrow(/only PAUSED rollouts/);
    },
  );

  it('counts one person once, however the e-mail address is capitalised', () => {
    const paused = apply(newRollout([{ setWeight: 10 }, { pause: { approvals: 2 } }, { setWeight: 100 }]), [verified, started, canary, { type: 'Steady', weight: 10 }]);
    const once = transition(paused, { type: 'Approve', by: 'olga@example.com', comment: null }, T0).rollout;
    expect(() => transition(once, { type: 'Approve', by: 'OLGA@example.com', comment: null }, T0)).toThrow(
      'OLGA@example.com already approved step 2/3 of rollout r1: 2 distinct approvers are needed',
    );
    const twice = transition(once, { type: 'Approve', by: 'pat@example.com', comment: null }, T0);
    expect(twice.rollout.status).toBe(RolloutStatus.Progressing);
    expect(twice.rollout.events.at(-1)).toMatchObject({ type: EventType.Approved, message: 'step 2/3 approved by pat@example.com (2 of 2)' });
  });
});

describe('alarms', () => {
  it.each(ACTIVE_POINTS)('roll back at once from %s with a reason naming the alarm', (point) => {
    const res = transition(S[point]!, { type: 'AlarmFired', alarm: 'web-5xx', reason: 'Threshold Crossed' }, T0);
    expect(res.rollout.status).toBe(RolloutStatus.RollingBack);
    expect(res.rollout.reason).toBe('alarm web-5xx fired: Threshold Crossed');
    expect(res.effects[0]).toEqual({ type: 'rollback' });
  });

  it.each(['pending', 'queued', 'finalizing', 'succeeded', 'rollingBack', 'rolledBack', 'failed', 'rejected'] as const)('change nothing when the rollout is %s', (point) => {
    expect(transition(S[point]!, { type: 'AlarmFired', alarm: 'web-5xx', reason: null }, T0).changed).toBe(false);
  });
});

describe('ECS failures and late observations', () => {
  it.each(ACTIVE_POINTS)('an ECS failure at %s rolls back', (point) => {
    const res = transition(S[point]!, { type: 'EcsFailed', message: 'ThrottlingException' }, T0);
    expect(res.rollout.status).toBe(RolloutStatus.RollingBack);
    expect(res.rollout.reason).toContain('ThrottlingException');
  });

  it('a failed rollback ends FAILED with both reasons', () => {
    expect(S.failed!.status).toBe(RolloutStatus.Failed);
    expect(S.failed!.reason).toBe('alarm web-5xx fired; then the rollback failed: boom');
  });

  it('a tick while rolling back re-drives the rollback without changing the record', () => {
    const res = transition(S.rollingBack!, { type: 'Tick' }, T0);
    expect(res).toMatchObject({ changed: false, effects: [{ type: 'rollback' }] });
  });

  const late: RolloutInput[] = [{ type: 'Tick' }, { type: 'Steady', weight: 100 }, { type: 'Promoted' }, { type: 'RolledBack' }, canary];
  it.each(ENDED_POINTS)('inputs that arrive after the rollout is %s change nothing', (point) => {
    for (const input of late) expect(transition(S[point]!, input, T0).changed).toBe(false);
  });

  it('the workflow is told DONE for every ended rollout', () => {
    for (const p of [...ENDED_POINTS, 'failed'] as const) expect(directive(S[p]!).next).toBe('DONE');
  });
});

describe('start failures', () => {
  it('reject a rollout whose service cannot be deployed to and release the lock', () => {
    const res = transition(apply(S.pending!, [verified]), { type: 'StartFailed', reason: 'ECS service demo/web not found' }, T0);
    expect(res.rollout.status).toBe(RolloutStatus.Rejected);
    expect(res.rollout.reason).toBe('ECS service demo/web not found');
    expect(res.effects).toEqual([{ type: 'releaseLock' }]);
  });

  it('change nothing once the rollout started', () => {
    expect(transition(S.atWeight20!, { type: 'StartFailed', reason: 'x' }, T0).changed).toBe(false);
  });
});

describe('crash recovery through ticks', () => {
  it('a tick re-runs the finalizing promote when steady at 100% was recorded but promote never ran', () => {
    // finalizing holds the claim of the promote it asked for: a Tick within two minutes leaves it to that writer.
    expect(transition(S.finalizing!, { type: 'Tick' }, T0).changed).toBe(false);
    const later = new Date(T0.getTime() + 121_000);
    expect(transition(S.finalizing!, { type: 'Tick' }, later)).toMatchObject({ changed: true, effects: [{ type: 'promote' }] });
  });

  it('a tick under a newer clock renews a claim made under an older one at once: its writer stopped with its clock', () => {
    const reDriven = { ...S.finalizing!, clock: { attempt: (S.finalizing!.clock?.attempt ?? 0) + 1, since: T0.toISOString() } };
    const res = transition(reDriven, { type: 'Tick' }, T0);
    expect(res).toMatchObject({ changed: true, effects: [{ type: 'promote' }] });
    expect(res.rollout.ecs.claim).toMatchObject({ call: 'promote', attempt: reDriven.clock.attempt });
    // Claimed under this clock now: the next tick leaves it to that writer.
    expect(transition(res.rollout, { type: 'Tick' }, T0).changed).toBe(false);
  });
});

describe('Step Functions callback tokens', () => {
  it('on the record a STEADY or APPROVAL directive was decided from, the start of the wait sets the token and nothing else (what the store writes unread: docs/architecture.md)', () => {
    for (const [state, type, next] of [
      [S.atWeight20!, 'SteadyWaitStarted', 'STEADY'],
      [S.atWeight50!, 'SteadyWaitStarted', 'STEADY'],
      [S.paused!, 'ApprovalWaitStarted', 'APPROVAL'],
    ] as const) {
      expect(directive(state).next).toBe(next);
      const res = transition(state, { type, taskToken: 'tok-1' }, at(1));
      expect(res.effects).toEqual([]);
      // The store's unread write sets these three: the token, and the version and time of any save.
      const { taskToken, version, updatedAt: _updatedAt, ...rest } = res.rollout;
      const { taskToken: before, version: v0, updatedAt: _u0, ...restBefore } = state;
      expect({ taskToken, before }).toEqual({ taskToken: 'tok-1', before: null });
      expect(version).toBeGreaterThanOrEqual(v0);
      expect(rest).toEqual(restBefore);
    }
  });

  it('are recorded on a PAUSED rollout, once', () => {
    const res = transition(S.paused!, { type: 'ApprovalWaitStarted', taskToken: 'tok-1' }, T0);
    expect(res.rollout.taskToken).toBe('tok-1');
    expect(transition(res.rollout, { type: 'ApprovalWaitStarted', taskToken: 'tok-1' }, T0).changed).toBe(false);
  });

  it('are handed to the wake effect when the approval is decided, and kept until the answer went through', () => {
    const withToken = transition(S.paused!, { type: 'ApprovalWaitStarted', taskToken: 'tok-1' }, T0).rollout;
    for (const input of [
      { type: 'Approve', by: 'a', comment: null },
      { type: 'Reject', by: 'a', comment: null },
      { type: 'Abort', by: 'a', reason: null },
      { type: 'Promote', by: 'a' },
      { type: 'AlarmFired', alarm: 'x', reason: null },
    ] as const) {
      const res = transition(withToken, input, T0);
      expect(res.effects).toContainEqual({ type: 'wakeWorkflow', taskToken: 'tok-1' });
      // A failed SendTaskSuccess must be sent again: the record forgets the token only once it went through.
      expect(res.rollout.taskToken).toBe('tok-1');
      const answered = transition(res.rollout, { type: 'WaitAnswered', taskToken: 'tok-1' }, T0);
      expect(answered).toMatchObject({ changed: true, effects: [] });
      expect(answered.rollout.taskToken).toBeNull();
      expect(answered.rollout.events).toHaveLength(res.rollout.events.length);
      // The answer to another wait's token changes nothing.
      expect(transition(res.rollout, { type: 'WaitAnswered', taskToken: 'other' }, T0).changed).toBe(false);
    }
  });

  it('are answered at once when the rollout is no longer paused', () => {
    for (const r of [S.atWeight100!, S.rolledBack!, S.rollingBack!]) {
      expect(transition(r, { type: 'ApprovalWaitStarted', taskToken: 'late' }, T0)).toMatchObject({
        changed: false,
        effects: [{ type: 'wakeWorkflow', taskToken: 'late' }],
      });
    }
  });
});

describe('workflow failures', () => {
  it.each(ACTIVE_POINTS)('roll back from %s with a WORKFLOW_ERROR event', (point) => {
    const res = transition(S[point]!, { type: 'WorkflowFailed', message: 'Lambda timed out' }, T0);
    expect(res.rollout.status).toBe(RolloutStatus.RollingBack);
    expect(res.rollout.reason).toBe('workflow step failed: Lambda timed out');
    expect(res.rollout.events.some((e) => e.type === EventType.WorkflowError)).toBe(true);
  });
});

describe('races the core settles', () => {
  it('a steady state seen at an older weight does not complete the current wait', () => {
    expect(transition(S.atWeight20!, { type: 'Steady', weight: 0 }, T0).changed).toBe(false);
    const promoted = transition(S.atWeight20!, { type: 'Promote', by: 'pat' }, T0).rollout;
    // Seen at 20% just before the promote was recorded: must not finalize the promotion.
    expect(transition(promoted, { type: 'Steady', weight: 20 }, T0).changed).toBe(false);
    expect(transition(promoted, { type: 'Steady', weight: 100 }, T0).effects).toEqual([{ type: 'promote' }]);
  });

  it('the lock taken for a rollout that ended meanwhile is given back', () => {
    const aborted = transition(S.queued!, { type: 'Abort', by: 'a', reason: null }, T0).rollout;
    expect(transition(aborted, started, T0)).toMatchObject({ changed: false, effects: [{ type: 'releaseLock' }] });
  });

  it('a canary created after the rollout ended is recorded and removed', () => {
    const rollingBack = transition(S.started!, { type: 'Abort', by: 'a', reason: null }, T0).rollout;
    for (const r of [rollingBack, transition(rollingBack, { type: 'RolledBack' }, T0).rollout]) {
      const res = transition(r, canary, T0);
      expect(res.rollout.ecs.canaryTaskSetId).toBe('ts-canary');
      expect(res.effects).toEqual([{ type: 'rollback' }]);
      expect(res.rollout.status).toBe(r.status);
    }
  });

  it('a promote decided before the canary existed scales it to 100% once it exists', () => {
    const promoted = transition(S.started!, { type: 'Promote', by: 'pat' }, T0).rollout;
    const res = transition(promoted, canary, T0);
    expect(res.effects).toEqual([{ type: 'applyWeight', weight: 100 }]);
    expect(res.rollout.wait?.for).toBe('steady');
  });
});

describe('pause and resume by hand', () => {
  const pause = (reason: string | null = 'checking dashboards'): RolloutInput => ({ type: 'Pause', by: 'ann', credential: 'token:ann', reason });
  const resume: RolloutInput = { type: 'Resume', by: 'bob' };
  const pausedBaking = transition(S.baking!, pause(), at(10)).rollout;

  /** Every named point, by status, and what Pause and Resume do there: taken, or refused with this message. */
  const TABLE = [
    ['pending', 'PENDING', /cannot pause rollout r1: it is PENDING, and only PROGRESSING rollouts can be/, /cannot resume rollout r1: it is PENDING, and only PAUSED rollouts can be/],
    ['queued', 'PENDING', /only PROGRESSING rollouts can be/, /only PAUSED rollouts can be/],
    ['started', 'PROGRESSING', 'taken', /cannot resume rollout r1: it is PROGRESSING, and only PAUSED rollouts can be/],
    ['atWeight20', 'PROGRESSING', 'taken', /only PAUSED rollouts can be/],
    ['baking', 'PROGRESSING', 'taken', /only PAUSED rollouts can be/],
    ['atWeight50', 'PROGRESSING', 'taken', /only PAUSED rollouts can be/],
    ['atWeight100', 'PROGRESSING', 'taken', /only PAUSED rollouts can be/],
    ['promoting', 'PROGRESSING', /cannot pause rollout r1: it is being promoted to 100%/, /only PAUSED rollouts can be/],
    ['finalizing', 'PROGRESSING', /cannot pause rollout r1: it is being promoted to 100%/, /only PAUSED rollouts can be/],
    ['paused', 'PAUSED', /cannot pause rollout r1: it is PAUSED, and only PROGRESSING rollouts can be/, /cannot resume rollout r1: it waits for approval at step 4\/5, not paused by hand; approve it instead/],
    ['rollingBack', 'ROLLING_BACK', /it is ROLLING_BACK, and only PROGRESSING rollouts can be/, /it is ROLLING_BACK, and only PAUSED rollouts can be/],
    ['succeeded', 'SUCCEEDED', /it is SUCCEEDED, and only PROGRESSING/, /it is SUCCEEDED, and only PAUSED/],
    ['rolledBack', 'ROLLED_BACK', /it is ROLLED_BACK, and only PROGRESSING/, /it is ROLLED_BACK, and only PAUSED/],
    ['rejected', 'REJECTED', /it is REJECTED, and only PROGRESSING/, /it is REJECTED, and only PAUSED/],
    ['failed', 'FAILED', /it is FAILED, and only PROGRESSING/, /it is FAILED, and only PAUSED/],
    ['bgSwitched', 'PROMOTING', /cannot pause rollout r1: it is PROMOTING, and only PROGRESSING rollouts can be/, /it is PROMOTING, and only PAUSED rollouts can be/],
  ] as const;

  it('covers every status', () => {
    expect(new Set(TABLE.map(([, status]) => status))).toEqual(new Set(Object.values(RolloutStatus)));
    for (const [point, status] of TABLE) expect(S[point]!.status).toBe(status);
  });

  it.each(TABLE)('Pause at %s (%s): %s', (point, _status, outcome) => {
    if (outcome !== 'taken') {
      expect(() => transition(S[point]!, pause(), T0)).toThrow(InvalidTransitionError);
      expect(() => transition(S[point]!, pause(), T0)).toThrow(outcome);
      return;
    }
    const before = S[point]!;
    const res = transition(before, pause(), at(10));
    expect(res.rollout.status).toBe(RolloutStatus.Paused);
    expect(res.rollout.canaryWeight).toBe(before.canaryWeight);
    expect(res.rollout.wait).toEqual({ for: 'manual', by: 'ann', reason: 'checking dashboards', since: at(10).toISOString(), resume: before.wait });
    expect(res.effects).toEqual([]);
    expect(res.rollout.events.at(-1)).toMatchObject({
      type: EventType.ManuallyPaused,
      message: `paused by ann (token:ann) at ${before.canaryWeight}%: checking dashboards; alarms still roll it back, resume to go on`,
    });
    expect(directive(res.rollout, 10)).toEqual({ next: 'APPROVAL' });
  });

  it.each(TABLE)('Resume at %s (%s): %s', (point, _status, _pause, outcome) => {
    expect(() => transition(S[point]!, resume, T0)).toThrow(InvalidTransitionError);
    expect(() => transition(S[point]!, resume, T0)).toThrow(outcome);
  });

  it('Pause of a rollout paused by hand is refused; Approve of it is refused with the way out', () => {
    expect(() => transition(pausedBaking, pause(), at(11))).toThrow(/it is PAUSED, and only PROGRESSING rollouts can be/);
    expect(() => transition(pausedBaking, { type: 'Approve', by: 'bob', comment: null }, at(11))).toThrow(
      'cannot approve rollout r1: it was paused by hand by ann, not at an approval pause; resume it instead',
    );
  });

  it('Resume goes on where it was: PROGRESSING, RESUMED logged, the workflow woken with its token', () => {
    const waiting = transition(pausedBaking, { type: 'ApprovalWaitStarted', taskToken: 'tok-9' }, at(11)).rollout;
    expect(waiting.taskToken).toBe('tok-9');
    const res = transition(waiting, resume, at(100));
    expect(res.rollout.status).toBe(RolloutStatus.Progressing);
    expect(res.rollout.taskToken).toBe('tok-9'); // kept until the answer went through (WaitAnswered)
    expect(res.effects).toEqual([{ type: 'wakeWorkflow', taskToken: 'tok-9' }]);
    expect(res.rollout.events.at(-1)).toMatchObject({ type: EventType.Resumed, message: 'resumed by bob after 90s (paused by ann: checking dashboards)' });
  });

  it('a bake keeps the time it had left: paused with 20 s to go, it bakes 20 s more after the resume', () => {
    const resumed = transition(pausedBaking, resume, at(100)).rollout;
    expect(resumed.wait).toEqual({ for: 'bake', until: at(120).toISOString() });
    expect(directive(resumed, 100)).toEqual({ next: 'WAIT', seconds: 20, for: 'bake' });
    expect(transition(resumed, { type: 'Tick' }, at(119)).changed).toBe(false);
    const done = transition(resumed, { type: 'Tick' }, at(120));
    expect(done.rollout.steps[1]!.status).toBe(StepStatus.Completed);
    expect(done.effects).toEqual([{ type: 'applyWeight', weight: 50 }]);
  });

  it('a steady wait keeps its timeout: the time paused does not count', () => {
    const resumed = apply(S.atWeight20!, [[pause(), 5], [resume, 65]]);
    expect(resumed.wait).toEqual({ for: 'steady', since: at(60).toISOString() });
    expect(transition(resumed, { type: 'Steady', weight: 20 }, at(66)).rollout.wait).toEqual({ for: 'bake', until: at(96).toISOString() });
  });

  it('nothing but a person or an alarm moves it: Tick (past the bake), Steady, Hold and Unhold change nothing', () => {
    for (const [input, seconds] of [
      [{ type: 'Tick' }, 1000],
      [{ type: 'Steady', weight: 20 }, 11],
      [{ type: 'Hold', reason: 'alarm web-5xx is in ALARM' }, 11],
      [{ type: 'Unhold' }, 11],
    ] as const) {
      expect(transition(pausedBaking, input, at(seconds)).changed).toBe(false);
    }
    const pausedSteady = transition(S.atWeight20!, pause(), at(1)).rollout;
    expect(transition(pausedSteady, { type: 'Steady', weight: 20 }, at(2)).changed).toBe(false);
    expect(transition(pausedSteady, { type: 'Tick' }, at(10_000)).changed).toBe(false);
  });

  it('an alarm, an abort, a reject, a newer image or a workflow failure still roll it back', () => {
    for (const input of [
      { type: 'AlarmFired', alarm: 'web-5xx', reason: 'Threshold Crossed' },
      { type: 'Abort', by: 'bob', reason: null },
      { type: 'Reject', by: 'bob', comment: null },
      { type: 'Supersede', by: 'r2' },
      { type: 'WorkflowFailed', message: 'Lambda timed out' },
      { type: 'EcsFailed', message: 'boom' },
    ] as const) {
      const res = transition(pausedBaking, input, at(20));
      expect(res.rollout.status, input.type).toBe(RolloutStatus.RollingBack);
      expect(res.effects, input.type).toContainEqual({ type: 'rollback' });
      expect(res.rollout.wait).toBeNull();
    }
    expect(transition(pausedBaking, { type: 'AlarmFired', alarm: 'web-5xx', reason: 'Threshold Crossed' }, at(20)).rollout.reason).toBe('alarm web-5xx fired: Threshold Crossed');
  });

  it('a promote goes to 100% from a pause by hand', () => {
    const res = transition(pausedBaking, { type: 'Promote', by: 'pat' }, at(20));
    expect(res.rollout).toMatchObject({ status: RolloutStatus.Progressing, promoting: true, canaryWeight: 100, wait: { for: 'steady' } });
    expect(res.effects).toEqual([{ type: 'applyWeight', weight: 100 }, { type: 'wakeWorkflow', taskToken: null }]);
  });

  it('paused before the canary existed: the canary ECS reports is kept, and the steps start on it after the resume', () => {
    const pausedEarly = transition(S.started!, pause(null), at(1)).rollout;
    expect(pausedEarly.events.at(-1)!.message).toBe('paused by ann (token:ann) at 0%; alarms still roll it back, resume to go on');
    const withCanary = transition(pausedEarly, canary, at(2));
    expect(withCanary.effects).toEqual([]);
    expect(withCanary.rollout).toMatchObject({ status: RolloutStatus.Paused, ecs: { canaryTaskSetId: 'ts-canary' } });
    const resumed = transition(withCanary.rollout, resume, at(3)).rollout;
    expect(transition(resumed, { type: 'Tick' }, at(4)).effects).toEqual([{ type: 'applyWeight', weight: 20 }]);
  });

  it('paused while held: the hold comes back on resume, with the bake it held', () => {
    const held = transition(S.baking!, { type: 'Hold', reason: 'no data' }, at(5)).rollout;
    const resumed = apply(held, [[pause(), 10], [resume, 70]]);
    expect(resumed.wait).toEqual({ for: 'hold', reason: 'no data', since: at(5).toISOString(), resume: { for: 'bake', until: at(90).toISOString() } });
  });
});
