/**
 * Moving through the steps: advance as far as the steps allow, complete a step, skip the rest, start
 * the promotion or the rollback, and what happens when nobody approved a pause in time.
 */
import { EventType } from '../events';
import { messages, pauseLabel, stepLabel } from '../messages';
import { RolloutStatus, StepStatus } from '../status';
import { isSetWeight } from '../steps';
import type { Draft } from './draft';

/** Marks step `i` completed now; the record stops waiting for it and points at the next step. */
export function completeStep(d: Draft, i: number): void {
  const step = d.steps[i];
  if (step) {
    step.status = StepStatus.Completed;
    step.completedAt = d.at;
  }
  d.r.wait = null;
  d.r.currentStep = i + 1;
}

/** Goes straight to 100%: the steps not done are skipped, and the promotion starts. */
export function promoteNow(d: Draft): void {
  for (const step of d.steps) {
    if (step.status === StepStatus.Pending || step.status === StepStatus.Running) {
      step.status = StepStatus.Skipped;
      step.completedAt = d.at;
    }
  }
  d.r.status = RolloutStatus.Progressing;
  d.r.currentStep = d.steps.length;
  startPromotion(d);
}

/**
 * The canary to 100%, then made primary once steady. `steadyAt100`: ECS was just seen steady at 100%
 * (a last step of 100%, in the same transition), so the promotion waits for nothing and its promote
 * call is claimed at once.
 */
export function startPromotion(d: Draft, steadyAt100 = false): void {
  d.r.promoting = true;
  d.r.canaryWeight = 100;
  d.r.wait = { for: 'steady', since: d.at };
  // Blue-green: the new set already runs at full size; this is the switch of production (one call).
  d.log(EventType.WeightSet, d.r.blueGreen ? messages.switchRequested() : messages.promotionWeightSet());
  if (steadyAt100 && !d.r.blueGreen) claimPromote(d);
  else d.effect({ type: 'applyWeight', weight: 100 });
}

/** Steady at 100%: the canary is made primary, a call claimed on the record so that one writer makes it. */
export function claimPromote(d: Draft): void {
  d.r.wait = null;
  d.log(EventType.Promoting, messages.promoting());
  d.r.ecs = { ...d.r.ecs, claim: { call: 'promote', since: d.at, attempt: d.before.clock?.attempt ?? 0 } };
  d.effect({ type: 'promote' });
}

/** Blue-green, steady at 100% behind production: PROMOTING, the old set kept `delaySeconds` (transitions/promoting.ts). */
export function switched(d: Draft, delaySeconds: number): void {
  d.r.status = RolloutStatus.Promoting;
  d.r.wait = { for: 'bake', until: new Date(d.now.getTime() + delaySeconds * 1000).toISOString() };
  d.log(EventType.Switched, messages.switched(delaySeconds));
}

/** Takes the canary out and gives the stable task set all traffic; `reason` is recorded as the rollout's. */
export function startRollback(d: Draft, reason: string): void {
  const { previousDigest, ecs } = d.before;
  d.r.ecs = { ...d.r.ecs, claim: null };
  d.r.status = RolloutStatus.RollingBack;
  d.r.reason = reason;
  d.r.canaryWeight = 0;
  d.r.wait = null;
  d.r.promoting = false;
  d.log(EventType.RollbackStarted, messages.rollbackStarted(previousDigest, ecs.stableTaskSetId));
  d.effect({ type: 'rollback' });
  d.wake();
}

/** Nobody approved in time: the pause's onTimeout decides, rollback unless it says promote. */
export function approvalTimedOut(d: Draft): void {
  const rollout = d.before;
  const i = rollout.currentStep ?? 0;
  const step = rollout.steps[i];
  const pause = step && 'pause' in step ? step.pause : {};
  const what = messages.approvalTimeout(pauseLabel(rollout.steps, i), pause.timeout ?? 0);
  d.wake();
  if (pause.onTimeout === 'promote') {
    d.log(EventType.ApprovalTimeout, messages.approvalTimeoutPromoting(what));
    completeStep(d, i);
    promoteNow(d);
    return;
  }
  d.log(EventType.ApprovalTimeout, messages.approvalTimeoutRollingBack(what));
  startRollback(d, what);
}

/**
 * Runs steps forward from `currentStep` until one has to wait (for steady state, a bake, or an approval).
 * `steadyAt`: the weight ECS was seen steady at in this transition (Steady), if any.
 */
export function advance(d: Draft, steadyAt?: number): void {
  const { r, now } = d;
  for (;;) {
    if (r.status !== RolloutStatus.Progressing || r.promoting) return;
    const i = r.currentStep ?? 0;
    const step = d.steps[i];
    if (!step) {
      d.log(EventType.Promoting, messages.allStepsCompleted(d.steps.length));
      startPromotion(d, steadyAt === 100 && r.canaryWeight === 100);
      return;
    }
    const label = stepLabel(i, d.steps.length);
    if (step.status === StepStatus.Pending) {
      step.status = StepStatus.Running;
      step.startedAt = d.at;
      if (isSetWeight(step)) {
        r.canaryWeight = step.setWeight;
        r.wait = { for: 'steady', since: d.at };
        d.log(EventType.WeightSet, r.blueGreen ? messages.previewStarted(label) : messages.weightSet(label, step.setWeight));
        d.effect({ type: 'applyWeight', weight: step.setWeight });
        return;
      }
      const { duration, timeout, approvals = 1, onTimeout } = step.pause;
      if (duration === undefined) {
        r.status = RolloutStatus.Paused;
        r.wait = timeout === undefined ? { for: 'approval' } : { for: 'approval', until: new Date(now.getTime() + timeout * 1000).toISOString() };
        d.log(EventType.Paused, messages.paused(pauseLabel(d.steps, i), r.canaryWeight, approvals, timeout, onTimeout));
        return;
      }
      d.log(EventType.StepStarted, messages.stepStarted(label, step, r.canaryWeight));
      r.wait = { for: 'bake', until: new Date(now.getTime() + duration * 1000).toISOString() };
    }
    if (step.status !== StepStatus.Running) {
      r.currentStep = i + 1;
      continue;
    }
    const wait = r.wait;
    if (wait?.for !== 'bake') return; // waiting for steady state or an approval: only Steady or Approve moves it on
    if (now.getTime() < Date.parse(wait.until)) return;
    completeStep(d, i);
    d.log(EventType.StepCompleted, messages.bakeCompleted(label, step));
  }
}
