/**
 * PROGRESSING: the canary is created, then the steps run (a weight waits for steady state, a bake for
 * its time), then the promotion: the canary at 100%, made primary once steady.
 */
import { InvalidTransitionError } from '../../errors';
import { EventType } from '../events';
import { messages, refusals, stepLabel } from '../messages';
import { RolloutPolicy } from '../policy';
import { RolloutStatus, StepStatus } from '../status';
import { isSetWeight } from '../steps';
import { isCoarse } from '../traffic-split';
import { takenWhileActive } from './active';
import { type Draft, type Handler, type StatusHandlers, unchanged } from './draft';
import { answerWaitAtOnce } from './shared';
import { advance, claimPromote, completeStep, startRollback, switched } from './step-progress';

/**
 * Asks for a create-canary or promote call once: the claim is saved under the version check, so of two
 * writers advancing the same rollout only one makes the call. A stale claim (its writer died: too old,
 * or made under an older clock, which only stops being the clock once it stopped) is renewed.
 */
export function claimCall(d: Draft, call: 'createCanary' | 'promote') {
  const { ecs } = d.before;
  const claim = ecs.claim;
  const attempt = d.before.clock?.attempt ?? 0;
  const fresh = d.now.getTime() - Date.parse(claim?.since ?? '') < RolloutPolicy.claimLifetimeSeconds * 1000;
  if (claim && claim.call === call && fresh && (claim.attempt ?? 0) === attempt) return unchanged(d.before);
  d.r.ecs = { ...ecs, claim: { call, since: d.at, attempt }, ...(call === 'createCanary' ? { canaryRequested: true } : {}) };
  d.effect({ type: call });
  return d.result();
}

const canaryCreated: Handler<'CanaryCreated'> = (d, input) => {
  const rollout = d.before;
  if (rollout.ecs.canaryTaskSetId) return unchanged(rollout);
  d.r.ecs = { ...rollout.ecs, canaryTaskSetId: input.taskSetId, taskDefinitionArn: input.taskDefinitionArn, claim: null };
  d.log(EventType.CanaryCreated, messages.canaryCreated(input.taskSetId, input.taskDefinitionArn));
  if (rollout.promoting) d.effect({ type: 'applyWeight', weight: rollout.canaryWeight });
  else advance(d);
  return d.result();
};

/** The workflow's clock: create the canary, time a weight out, finish a promotion, or move the steps on. */
const tick: Handler<'Tick'> = (d, input) => {
  const rollout = d.before;
  const wait = rollout.wait;
  if (wait?.for === 'hold') return unchanged(rollout);
  if (!rollout.ecs.canaryTaskSetId) return claimCall(d, 'createCanary');
  if (wait?.for === 'steady' && d.now.getTime() - Date.parse(wait.since) > rollout.steadyTimeoutSeconds * 1000) {
    const what = messages.steadyTimeout(rollout.canaryWeight, rollout.steadyTimeoutSeconds, input.unsteady);
    d.log(EventType.SteadyTimeout, what);
    startRollback(d, what);
    return d.result();
  }
  // Steady at 100% was recorded but the finalizing call never ran (a crash in between): run it now.
  if (rollout.promoting && wait === null) return claimCall(d, 'promote');
  advance(d);
  return d.touched ? d.result() : unchanged(rollout);
};

const steady: Handler<'Steady'> = (d, input) => {
  const rollout = d.before;
  // Seen at a weight the record has moved past (a promote or a step landed meanwhile): not this wait's answer.
  if (rollout.wait?.for !== 'steady' || input.weight !== rollout.canaryWeight) return unchanged(rollout);
  d.r.wait = null;
  if (input.trafficShare !== undefined) d.r.trafficShare = input.trafficShare;
  if (rollout.promoting && rollout.blueGreen) {
    switched(d, rollout.blueGreen.scaleDownDelaySeconds);
    return d.result();
  }
  if (rollout.promoting) {
    claimPromote(d);
    return d.result();
  }
  const i = rollout.currentStep ?? 0;
  const step = d.steps[i];
  if (!step || !isSetWeight(step) || step.status !== StepStatus.Running) return unchanged(rollout);
  completeStep(d, i);
  const share = input.trafficShare;
  const coarse = share !== undefined && isCoarse(step.setWeight, share) ? share : undefined;
  const label = stepLabel(i, rollout.steps.length);
  d.log(EventType.StepCompleted, rollout.blueGreen ? messages.previewSteady(label) : messages.steadyStepCompleted(label, step.setWeight, coarse));
  // A last step of 100% steady now is the promotion's steady state too: it is claimed at once.
  advance(d, input.weight);
  return d.result();
};

/**
 * The workflow waits for ECS under this task token: recorded while the rollout waits for steady state,
 * so that an ECS event can wake it; answered at once when it moved on meanwhile.
 */
const steadyWaitStarted: Handler<'SteadyWaitStarted'> = (d, input) => {
  if (d.before.wait?.for !== 'steady') return answerWaitAtOnce(d, input);
  if (d.before.taskToken === input.taskToken) return unchanged(d.before);
  d.r.taskToken = input.taskToken;
  return d.result();
};

export const promoted: Handler<'Promoted'> = (d) => {
  const rollout = d.before;
  if (!rollout.promoting) return unchanged(rollout);
  d.r.status = RolloutStatus.Succeeded;
  d.r.ecs = { ...rollout.ecs, claim: null };
  d.r.canaryWeight = 100;
  d.r.trafficShare = 100;
  d.r.wait = null;
  d.log(EventType.Succeeded, messages.succeeded(rollout.image.digest));
  d.effect({ type: 'releaseLock' });
  return d.result();
};

/**
 * Held by hand at the current weight: PAUSED, with who and why. What it waited for (a bake, a steady
 * state) is kept in the wait and given back on Resume (paused.ts); alarms still roll it back.
 */
const pause: Handler<'Pause'> = (d, input) => {
  const rollout = d.before;
  if (rollout.promoting) throw new InvalidTransitionError(refusals.pausePromoting(rollout.id));
  const wait = rollout.wait?.for === 'manual' ? rollout.wait.resume : rollout.wait;
  d.r.status = RolloutStatus.Paused;
  d.r.wait = { for: 'manual', by: input.by, reason: input.reason, since: d.at, resume: wait };
  d.log(EventType.ManuallyPaused, messages.manuallyPaused(input.by, input.credential, rollout.canaryWeight, input.reason));
  return d.result();
};

export const progressing: StatusHandlers = {
  CanaryCreated: canaryCreated,
  Tick: tick,
  Steady: steady,
  Promoted: promoted,
  Pause: pause,
  // Taken alike while PAUSED (active.ts):
  ...takenWhileActive,
  ApprovalWaitStarted: answerWaitAtOnce,
  SteadyWaitStarted: steadyWaitStarted,
};
