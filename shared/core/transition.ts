/**
 * The rollout as a pure state machine: `transition(rollout, input, now)` returns the next record and the
 * effects to run, and runs nothing. Commands that the status does not allow throw InvalidTransitionError;
 * observations that came too late (a Steady after a rollback, an alarm after success) change nothing.
 */
import { InvalidTransitionError } from '../errors';
import type { Effect, RolloutInput } from './commands';
import { EventType } from './events';
import type { Rollout, RolloutStep, Wait } from './rollout';
import { RolloutStatus, StepStatus, isTerminal } from './status';
import { describeStep, isSetWeight } from './steps';

export interface TransitionResult {
  readonly rollout: Rollout;
  readonly effects: readonly Effect[];
  /** False when the input changed nothing; the record is then returned as it was, same version. */
  readonly changed: boolean;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A working copy of the record for one transition, with the events and effects it adds. */
class Draft {
  readonly r: Mutable<Rollout>;
  readonly steps: Mutable<RolloutStep>[];
  readonly effects: Effect[] = [];
  private added = 0;

  constructor(
    private readonly base: Rollout,
    readonly at: string,
  ) {
    this.steps = base.steps.map((s) => ({ ...s }));
    this.r = { ...base, events: [...base.events], approvals: [...base.approvals] };
  }

  log(type: EventType, message: string): void {
    this.r.events = [...this.r.events, { seq: this.base.events.length + this.added, at: this.at, type, message }];
    this.added += 1;
  }

  effect(effect: Effect): void {
    this.effects.push(effect);
  }

  /** Asks the workflow to stop waiting, handing over (and forgetting) the approval wait's token. */
  wake(): void {
    this.effects.push({ type: 'wakeWorkflow', taskToken: this.r.taskToken });
    this.r.taskToken = null;
  }

  result(): TransitionResult {
    return {
      rollout: { ...this.r, steps: this.steps, updatedAt: this.at, version: this.base.version + 1 },
      effects: this.effects,
      changed: true,
    };
  }
}

const unchanged = (rollout: Rollout): TransitionResult => ({ rollout, effects: [], changed: false });

function refuse(r: Rollout, action: string, allowed: string): never {
  throw new InvalidTransitionError(`cannot ${action} rollout ${r.id}: it is ${r.status}, and only ${allowed} rollouts can be`);
}

function stepLabel(r: Rollout, index: number): string {
  return `step ${index + 1}/${r.steps.length}`;
}

export function transition(rollout: Rollout, input: RolloutInput, now: Date): TransitionResult {
  const d = new Draft(rollout, now.toISOString());
  const r = d.r;
  const { status } = rollout;
  const active = status === RolloutStatus.Progressing || status === RolloutStatus.Paused;

  switch (input.type) {
    case 'SignatureVerified': {
      if (status !== RolloutStatus.Pending || rollout.signature) return unchanged(rollout);
      r.signature = input.signature;
      r.wait = { for: 'lock', behind: null };
      d.log(EventType.SignatureVerified, `signature verified with key ${input.signature.key} (sha256:${input.signature.keyFingerprint.slice(0, 12)}…)`);
      d.effect({ type: 'acquireLock' });
      return d.result();
    }
    case 'SignatureMissing': {
      // Re-checks while waiting log the wait once, not once per check.
      const logged = rollout.events.some((e) => e.type === EventType.SignatureMissing);
      if (status !== RolloutStatus.Pending || rollout.signature || logged) return unchanged(rollout);
      const until = rollout.wait?.for === 'signature' ? rollout.wait.until : undefined;
      r.wait = until ? { for: 'signature', until } : { for: 'signature' };
      d.log(EventType.SignatureMissing, `waiting for a signature${until ? ` until ${until}` : ''}: ${input.detail}`);
      // The workflow's clock looks again until the deadline (a notification can be lost).
      if (until) d.effect({ type: 'startWorkflow' });
      return d.result();
    }
    case 'SignatureRejected': {
      if (status !== RolloutStatus.Pending || rollout.signature) return unchanged(rollout);
      r.status = RolloutStatus.Rejected;
      r.reason = input.reason;
      r.wait = null;
      d.log(EventType.SignatureRejected, `signature rejected: ${input.reason}; ECS untouched`);
      return d.result();
    }
    case 'Queued': {
      if (status !== RolloutStatus.Pending) return unchanged(rollout);
      const wait = rollout.wait;
      if (wait?.for === 'lock' && wait.behind === input.behind) return unchanged(rollout);
      r.wait = { for: 'lock', behind: input.behind };
      d.log(EventType.Queued, `queued: rollout ${input.behind ?? '(unknown)'} of ${rollout.service} is still active`);
      return d.result();
    }
    case 'Started': {
      // The lock was taken for a rollout that ended meanwhile (aborted while queued): give it back.
      if (isTerminal(status)) return { rollout, effects: [{ type: 'releaseLock' }], changed: false };
      if (status !== RolloutStatus.Pending || !rollout.signature) return unchanged(rollout);
      r.status = RolloutStatus.Progressing;
      r.previousDigest = input.stableDigest;
      r.currentStep = 0;
      r.wait = null;
      r.ecs = { ...rollout.ecs, stableTaskSetId: input.stableTaskSetId };
      d.log(EventType.Started, `started: stable task set ${input.stableTaskSetId} runs ${input.stableDigest ?? 'an image not pinned by digest'}`);
      d.effect({ type: 'startWorkflow' });
      return d.result();
    }
    case 'StartFailed': {
      if (status !== RolloutStatus.Pending) return unchanged(rollout);
      r.status = RolloutStatus.Rejected;
      r.reason = input.reason;
      r.wait = null;
      d.log(EventType.StartFailed, `cannot start: ${input.reason}; ECS untouched`);
      d.effect({ type: 'releaseLock' });
      return d.result();
    }
    case 'CanaryCreated': {
      if (rollout.ecs.canaryTaskSetId) return unchanged(rollout);
      r.ecs = { ...rollout.ecs, canaryTaskSetId: input.taskSetId, taskDefinitionArn: input.taskDefinitionArn, claim: null };
      if (status !== RolloutStatus.Progressing) {
        if (status === RolloutStatus.Pending || status === RolloutStatus.Rejected) return unchanged(rollout);
        // The rollout ended while ECS was creating the canary: remove it rather than leave it running.
        d.log(EventType.CanaryCreated, `canary task set ${input.taskSetId} was created after the rollout ended: removing it`);
        d.effect({ type: 'rollback' });
        return d.result();
      }
      d.log(EventType.CanaryCreated, `canary task set ${input.taskSetId} created from ${input.taskDefinitionArn} at 0%`);
      if (rollout.promoting) d.effect({ type: 'applyWeight', weight: rollout.canaryWeight });
      else advance(d, now);
      return d.result();
    }
    case 'Tick': {
      if (status === RolloutStatus.RollingBack) {
        // Re-drives a rollback that a crash interrupted; the adapter's rollback is idempotent.
        return { rollout, effects: [{ type: 'rollback' }], changed: false };
      }
      if (status === RolloutStatus.Paused) {
        const wait = rollout.wait;
        if (wait?.for !== 'approval' || !wait.until || now.getTime() < Date.parse(wait.until)) return unchanged(rollout);
        approvalTimedOut(d, rollout);
        return d.result();
      }
      if (status !== RolloutStatus.Progressing) return unchanged(rollout);
      if (rollout.wait?.for === 'hold') return unchanged(rollout);
      if (!rollout.ecs.canaryTaskSetId) return claimCall(d, rollout, 'createCanary', now);
      if (rollout.wait?.for === 'steady' && now.getTime() - Date.parse(rollout.wait.since) > rollout.steadyTimeoutSeconds * 1000) {
        const what = `canary did not reach steady state at ${rollout.canaryWeight}% within ${rollout.steadyTimeoutSeconds}s`;
        d.log(EventType.SteadyTimeout, what);
        startRollback(d, rollout, what);
        return d.result();
      }
      // Steady at 100% was recorded but the finalizing call never ran (a crash in between): run it now.
      if (rollout.promoting && rollout.wait === null) return claimCall(d, rollout, 'promote', now);
      const before = r.events.length;
      advance(d, now);
      return r.events.length === before && d.effects.length === 0 ? unchanged(rollout) : d.result();
    }
    case 'Steady': {
      if (status !== RolloutStatus.Progressing || rollout.wait?.for !== 'steady') return unchanged(rollout);
      // Seen at a weight the record has moved past (a promote or a step landed meanwhile): not this wait's answer.
      if (input.weight !== rollout.canaryWeight) return unchanged(rollout);
      r.wait = null;
      if (rollout.promoting) {
        d.log(EventType.Promoting, `canary steady at 100%: making it primary and removing the old task set`);
        r.ecs = { ...rollout.ecs, claim: { call: 'promote', since: d.at } };
        d.effect({ type: 'promote' });
        return d.result();
      }
      const i = rollout.currentStep ?? 0;
      const step = d.steps[i];
      if (!step || !isSetWeight(step) || step.status !== StepStatus.Running) return unchanged(rollout);
      step.status = StepStatus.Completed;
      step.completedAt = d.at;
      r.currentStep = i + 1;
      d.log(EventType.StepCompleted, `${stepLabel(rollout, i)} completed: canary steady at ${step.setWeight}%`);
      advance(d, now);
      return d.result();
    }
    case 'Approve': {
      if (status !== RolloutStatus.Paused) refuse(rollout, 'approve', 'PAUSED');
      const i = rollout.currentStep ?? 0;
      const step = rollout.steps[i];
      const required = step && 'pause' in step ? (step.pause.approvals ?? 1) : 1;
      const approvers = new Set(rollout.approvals.filter((a) => a.step === i).map((a) => a.by));
      if (approvers.has(input.by)) {
        throw new InvalidTransitionError(`${input.by} already approved ${stepLabel(rollout, i)} of rollout ${rollout.id}: ${required} distinct approvers are needed`);
      }
      r.approvals = [...r.approvals, { by: input.by, credential: input.credential ?? null, comment: input.comment, at: d.at, step: i }];
      const count = approvers.size + 1;
      const via = input.credential ? ` (${input.credential})` : '';
      const what = `${stepLabel(rollout, i)}${pauseName(rollout, i)} approved by ${input.by}${via}${required > 1 ? ` (${count} of ${required})` : ''}${input.comment ? `: ${input.comment}` : ''}`;
      d.log(EventType.Approved, what);
      if (count < required) return d.result();
      completeStep(d, i);
      r.status = RolloutStatus.Progressing;
      r.wait = null;
      r.currentStep = i + 1;
      d.wake();
      return d.result();
    }
    case 'Supersede': {
      if (status === RolloutStatus.Pending) {
        r.status = RolloutStatus.RolledBack;
        r.reason = `superseded by rollout ${input.by} before it started; ECS untouched`;
        r.wait = null;
        d.log(EventType.Superseded, r.reason);
        d.effect({ type: 'releaseLock' });
        return d.result();
      }
      if (!active) refuse(rollout, 'supersede', 'PENDING, PROGRESSING or PAUSED');
      if (finalizing(rollout)) throw new InvalidTransitionError(`cannot supersede rollout ${rollout.id}: it is being made primary`);
      const what = `superseded by rollout ${input.by} (a newer image; onNewImage: supersede)`;
      d.log(EventType.Superseded, what);
      startRollback(d, rollout, what);
      return d.result();
    }
    case 'Hold': {
      if (!active || rollout.promoting) return unchanged(rollout);
      const wait = rollout.wait;
      if (wait?.for === 'hold' && wait.reason === input.reason) return unchanged(rollout);
      // What it waited for before (a bake, a steady state) comes back when the hold ends.
      const resume = wait?.for === 'hold' ? wait.resume : wait;
      r.wait = { for: 'hold', reason: input.reason, since: wait?.for === 'hold' ? wait.since : d.at, resume: resume ?? null };
      d.log(EventType.Held, `held: ${input.reason}`);
      return d.result();
    }
    case 'Unhold': {
      if (rollout.wait?.for !== 'hold') return unchanged(rollout);
      r.wait = rollout.wait.resume;
      d.log(EventType.Unheld, `no longer held (${rollout.wait.reason})`);
      // Without a canary the next Tick creates it first; with one, the steps go on now.
      if (rollout.ecs.canaryTaskSetId) advance(d, now);
      return d.result();
    }
    case 'Reject':
    case 'Abort': {
      const verb = input.type === 'Reject' ? 'reject' : 'abort';
      const note = input.type === 'Reject' ? input.comment : input.reason;
      const type = input.type === 'Reject' ? EventType.Rejected : EventType.Aborted;
      const what = `${input.type === 'Reject' ? 'rejected' : 'aborted'} by ${input.by}${input.credential ? ` (${input.credential})` : ''}${note ? `: ${note}` : ''}`;
      if (status === RolloutStatus.Pending) {
        r.status = RolloutStatus.RolledBack;
        r.reason = `${what}; it had not started, ECS untouched`;
        r.wait = null;
        d.log(type, r.reason);
        d.effect({ type: 'releaseLock' });
        return d.result();
      }
      if (status === RolloutStatus.Failed && input.type === 'Abort') {
        // A failed rollback can be retried by aborting again once the cause is fixed.
        d.log(type, `${what}: retrying the rollback`);
        startRollback(d, rollout, `${what} (retrying a failed rollback)`);
        return d.result();
      }
      if (!active) refuse(rollout, verb, input.type === 'Abort' ? 'PENDING, PROGRESSING, PAUSED or FAILED' : 'PENDING, PROGRESSING or PAUSED');
      if (finalizing(rollout)) {
        throw new InvalidTransitionError(`cannot ${verb} rollout ${rollout.id}: the canary is steady at 100% and is being made primary`);
      }
      d.log(type, what);
      startRollback(d, rollout, what);
      return d.result();
    }
    case 'Promote': {
      if (!active) refuse(rollout, 'promote', 'PROGRESSING or PAUSED');
      if (rollout.promoting) throw new InvalidTransitionError(`rollout ${rollout.id} is already being promoted`);
      d.steps.forEach((step) => {
        if (step.status === StepStatus.Pending || step.status === StepStatus.Running) {
          step.status = StepStatus.Skipped;
          step.completedAt = d.at;
        }
      });
      r.status = RolloutStatus.Progressing;
      r.currentStep = rollout.steps.length;
      d.log(EventType.PromoteRequested, `promotion to 100% requested by ${input.by}: remaining steps skipped`);
      startPromotion(d);
      d.wake();
      return d.result();
    }
    case 'AlarmFired': {
      if (!active || finalizing(rollout)) return unchanged(rollout);
      const what = `alarm ${input.alarm} fired${input.reason ? `: ${input.reason}` : ''}`;
      d.log(EventType.AlarmFired, what);
      startRollback(d, rollout, what);
      return d.result();
    }
    case 'EcsFailed':
    case 'WorkflowFailed': {
      if (!active) return unchanged(rollout);
      if (finalizing(rollout)) {
        // The canary may already be primary and the old set gone: rolling back now would throw a
        // finished deploy away, or fail for good. The promotion is idempotent: look again and retry it.
        d.log(input.type === 'EcsFailed' ? EventType.EcsError : EventType.WorkflowError, `promotion call failed, retrying: ${input.message}`);
        r.wait = { for: 'steady', since: d.at };
        r.ecs = { ...rollout.ecs, claim: null };
        return d.result();
      }
      const what = input.type === 'EcsFailed' ? `ECS call failed: ${input.message}` : `workflow step failed: ${input.message}`;
      d.log(input.type === 'EcsFailed' ? EventType.EcsError : EventType.WorkflowError, what);
      startRollback(d, rollout, what);
      return d.result();
    }
    case 'ApprovalWaitStarted': {
      if (status !== RolloutStatus.Paused) {
        // Decided between the Advance that paused and this wait: answer the wait at once.
        return { rollout, effects: [{ type: 'wakeWorkflow', taskToken: input.taskToken }], changed: false };
      }
      if (rollout.taskToken === input.taskToken) return unchanged(rollout);
      r.taskToken = input.taskToken;
      return d.result();
    }
    case 'Promoted': {
      if (status !== RolloutStatus.Progressing || !rollout.promoting) return unchanged(rollout);
      r.status = RolloutStatus.Succeeded;
      r.ecs = { ...rollout.ecs, claim: null };
      r.canaryWeight = 100;
      r.wait = null;
      r.taskToken = null;
      d.log(EventType.Succeeded, `${rollout.image.digest} is now stable at 100%`);
      d.effect({ type: 'releaseLock' });
      return d.result();
    }
    case 'RolledBack': {
      if (status !== RolloutStatus.RollingBack) return unchanged(rollout);
      r.status = RolloutStatus.RolledBack;
      r.canaryWeight = 0;
      r.wait = null;
      r.taskToken = null;
      d.log(EventType.RolledBack, `rolled back: stable task set ${rollout.ecs.stableTaskSetId ?? '(none)'} at 100%, canary removed`);
      d.effect({ type: 'releaseLock' });
      return d.result();
    }
    case 'RollbackFailed': {
      if (status !== RolloutStatus.RollingBack) return unchanged(rollout);
      r.status = RolloutStatus.Failed;
      r.reason = `${rollout.reason ?? 'rollback'}; then the rollback failed: ${input.message}`;
      r.wait = null;
      d.log(EventType.RollbackFailed, `rollback failed, a human must look: ${input.message}. The service lock stays held; abort again to retry the rollback.`);
      return d.result();
    }
  }
}

function pauseName(rollout: Rollout, i: number): string {
  const step = rollout.steps[i];
  return step && 'pause' in step && step.pause.name ? ` (${step.pause.name})` : '';
}

/** Nobody approved in time: the pause's onTimeout decides, rollback unless it says promote. */
function approvalTimedOut(d: Draft, rollout: Rollout): void {
  const i = rollout.currentStep ?? 0;
  const step = rollout.steps[i];
  const pause = step && 'pause' in step ? step.pause : {};
  const what = `no approval of ${stepLabel(rollout, i)}${pauseName(rollout, i)} within ${pause.timeout ?? 0}s`;
  d.wake();
  if (pause.onTimeout === 'promote') {
    d.log(EventType.ApprovalTimeout, `${what}: promoting, as the pause says`);
    completeStep(d, i);
    d.steps.forEach((s) => {
      if (s.status === StepStatus.Pending || s.status === StepStatus.Running) {
        s.status = StepStatus.Skipped;
        s.completedAt = d.at;
      }
    });
    d.r.status = RolloutStatus.Progressing;
    d.r.currentStep = rollout.steps.length;
    startPromotion(d);
    return;
  }
  d.log(EventType.ApprovalTimeout, `${what}: rolling back`);
  startRollback(d, rollout, what);
}

const CLAIM_TTL_MS = 120_000;

/**
 * Asks for a create-canary or promote call once: the claim is saved under the version check, so of two
 * writers advancing the same rollout only one makes the call. A stale claim (its writer died) is renewed.
 */
function claimCall(d: Draft, rollout: Rollout, call: 'createCanary' | 'promote', now: Date): TransitionResult {
  const claim = rollout.ecs.claim;
  if (claim && claim.call === call && now.getTime() - Date.parse(claim.since) < CLAIM_TTL_MS) return unchanged(rollout);
  d.r.ecs = { ...rollout.ecs, claim: { call, since: d.at } };
  d.effect({ type: call });
  return d.result();
}

/** Promotion past the point of return: the canary is steady at 100% and the old set is being removed. */
function finalizing(rollout: Rollout): boolean {
  return rollout.promoting && rollout.wait?.for !== 'steady';
}

function completeStep(d: Draft, i: number): void {
  const step = d.steps[i];
  if (!step) return;
  step.status = StepStatus.Completed;
  step.completedAt = d.at;
}

function startRollback(d: Draft, rollout: Rollout, reason: string): void {
  d.r.ecs = { ...d.r.ecs, claim: null };
  d.r.status = RolloutStatus.RollingBack;
  d.r.reason = reason;
  d.r.canaryWeight = 0;
  d.r.wait = null;
  d.r.promoting = false;
  d.log(EventType.RollbackStarted, `rolling back to ${rollout.previousDigest ?? `stable task set ${rollout.ecs.stableTaskSetId ?? '(none)'}`}`);
  d.effect({ type: 'rollback' });
  d.wake();
}

function startPromotion(d: Draft): void {
  d.r.promoting = true;
  d.r.canaryWeight = 100;
  d.r.wait = { for: 'steady', since: d.at };
  d.log(EventType.WeightSet, `canary weight set to 100% for promotion`);
  d.effect({ type: 'applyWeight', weight: 100 });
}

/** Runs steps forward from `currentStep` until one has to wait (for steady state, a bake, or an approval). */
function advance(d: Draft, now: Date): void {
  const r = d.r;
  for (;;) {
    if (r.status !== RolloutStatus.Progressing || r.promoting) return;
    const i = r.currentStep ?? 0;
    const step = d.steps[i];
    if (!step) {
      d.log(EventType.Promoting, `all ${d.steps.length} steps completed: promoting`);
      startPromotion(d);
      return;
    }
    const label = `step ${i + 1}/${d.steps.length}`;
    if (step.status === StepStatus.Pending) {
      step.status = StepStatus.Running;
      step.startedAt = d.at;
      if (isSetWeight(step)) {
        r.canaryWeight = step.setWeight;
        r.wait = { for: 'steady', since: d.at };
        d.log(EventType.WeightSet, `${label}: canary weight set to ${step.setWeight}%`);
        d.effect({ type: 'applyWeight', weight: step.setWeight });
        return;
      }
      if (step.pause.duration === undefined) {
        r.status = RolloutStatus.Paused;
        const { timeout, approvals = 1, name } = step.pause;
        r.wait = timeout === undefined ? { for: 'approval' } : { for: 'approval', until: new Date(now.getTime() + timeout * 1000).toISOString() };
        const needs = approvals > 1 ? ` by ${approvals} people` : '';
        const deadline = timeout === undefined ? '' : ` (within ${timeout}s, else ${step.pause.onTimeout ?? 'rollback'})`;
        d.log(EventType.Paused, `${label}${name ? ` (${name})` : ''}: paused at ${r.canaryWeight}% until approved${needs}${deadline}`);
        return;
      }
      d.log(EventType.StepStarted, `${label}: ${describeStep(step)} at ${r.canaryWeight}%`);
      r.wait = { for: 'bake', until: new Date(now.getTime() + step.pause.duration * 1000).toISOString() };
    }
    if (step.status !== StepStatus.Running) {
      r.currentStep = i + 1;
      continue;
    }
    const wait: Wait | null = r.wait;
    if (wait?.for === 'bake') {
      if (now.getTime() < Date.parse(wait.until)) return;
      step.status = StepStatus.Completed;
      step.completedAt = d.at;
      r.wait = null;
      r.currentStep = i + 1;
      d.log(EventType.StepCompleted, `${label} completed: ${describeStep(step)}`);
      continue;
    }
    // Running and waiting for steady state or an approval: only Steady or Approve moves it on.
    return;
  }
}

