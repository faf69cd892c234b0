/**
 * Every text the rollout core writes: the event log's messages, the reasons it records, and why it
 * refuses a command. Kept apart from the transition logic; the CLI, the dashboard and the tests read
 * these texts, so a change here is a change of the product's output.
 */
import type { SignatureInfo } from './rollout';
import { type StepSpec, describeStep } from './steps';

/** `step 2/5`: a step by its position, counted from 1. */
export function stepLabel(index: number, total: number): string {
  return `step ${index + 1}/${total}`;
}

/** `step 4/5 (qa-signoff)`: the label, with the pause's name when the step is a named pause. */
export function pauseLabel(steps: readonly StepSpec[], index: number): string {
  const step = steps[index];
  const name = step && 'pause' in step ? step.pause.name : undefined;
  return `${stepLabel(index, steps.length)}${name ? ` (${name})` : ''}`;
}

/** Who decided, and through which credential: `ann (ops-token)`. */
function actor(by: string, credential: string | null | undefined): string {
  return `${by}${credential ? ` (${credential})` : ''}`;
}

const note = (text: string | null | undefined): string => (text ? `: ${text}` : '');

export const messages = {
  created: (ref: string, source: string) => `rollout of ${ref} created (${source})`,

  // PENDING: signature and lock
  signatureVerified: (s: SignatureInfo) =>
    s.type === 'aws-signer' && s.signingProfile
      ? `AWS Signer signature verified: profile version ${s.signingProfile.profileVersionArn}, job ${s.signingProfile.jobArn}`
      : s.type === 'notation' && s.certificate
        ? `Notation signature verified: signer ${s.certificate.subject} (certificate sha256:${s.certificate.fingerprint.slice(0, 12)}…), trusted by ${s.key}`
        : `signature verified with key ${s.key} (sha256:${s.keyFingerprint.slice(0, 12)}…)`,
  signatureMissing: (until: string | undefined, detail: string) => `waiting for a signature${until ? ` until ${until}` : ''}: ${detail}`,
  signatureRejected: (reason: string) => `signature rejected: ${reason}; ECS untouched`,
  queued: (behind: string | null, service: string) => `queued: rollout ${behind ?? '(unknown)'} of ${service} is still active`,
  started: (stableTaskSetId: string, stableDigest: string | null, steadyTimeout?: { readonly seconds: number; readonly basis: string }) =>
    `started: stable task set ${stableTaskSetId} runs ${stableDigest ?? 'an image not pinned by digest'}` +
    (steadyTimeout ? `; steady timeout ${steadyTimeout.seconds}s, from ${steadyTimeout.basis}` : ''),
  startFailed: (reason: string) => `cannot start: ${reason}; ECS untouched`,

  // The canary and the steps
  canaryCreated: (taskSetId: string, taskDefinitionArn: string) => `canary task set ${taskSetId} created from ${taskDefinitionArn} at 0%`,
  canaryAfterEnd: (taskSetId: string) => `canary task set ${taskSetId} was created after the rollout ended: removing it`,
  weightSet: (label: string, weight: number) => `${label}: canary weight set to ${weight}%`,
  stepStarted: (label: string, step: StepSpec, weight: number) => `${label}: ${describeStep(step)} at ${weight}%`,
  steadyStepCompleted: (label: string, weight: number, share?: number) =>
    `${label} completed: canary steady at ${weight}%` +
    (share === undefined ? '' : ` (its actual share of traffic is ${share}%: the task count cannot express ${weight}%)`),
  bakeCompleted: (label: string, step: StepSpec) => `${label} completed: ${describeStep(step)}`,
  steadyTimeout: (weight: number, seconds: number, why?: string | null) =>
    `canary did not reach steady state at ${weight}% within ${seconds}s${why ? ` (${why})` : ''}`,
  paused: (label: string, weight: number, approvals: number, timeout: number | undefined, onTimeout: string | undefined) =>
    `${label}: paused at ${weight}% until approved${approvals > 1 ? ` by ${approvals} people` : ''}${
      timeout === undefined ? '' : ` (within ${timeout}s, else ${onTimeout ?? 'rollback'})`
    }`,

  // Decisions
  approved: (label: string, by: string, credential: string | null | undefined, count: number, required: number, comment: string | null) =>
    `${label} approved by ${actor(by, credential)}${required > 1 ? ` (${count} of ${required})` : ''}${note(comment)}`,
  approvalTimeout: (label: string, timeout: number) => `no approval of ${label} within ${timeout}s`,
  approvalTimeoutPromoting: (what: string) => `${what}: promoting, as the pause says`,
  approvalTimeoutRollingBack: (what: string) => `${what}: rolling back`,
  /** `rejected by eve: latency`, `aborted by bob (ops-token)`. */
  decided: (verb: 'rejected' | 'aborted', by: string, credential: string | null | undefined, text: string | null) =>
    `${verb} by ${actor(by, credential)}${note(text)}`,
  endedBeforeStart: (what: string) => `${what}; it had not started, ECS untouched`,
  retryingRollback: (what: string) => `${what}: retrying the rollback`,
  retryingRollbackReason: (what: string) => `${what} (retrying a failed rollback)`,
  supersededBeforeStart: (by: string) => `superseded by rollout ${by} before it started; ECS untouched`,
  superseded: (by: string) => `superseded by rollout ${by} (a newer image; onNewImage: supersede)`,
  promoteRequested: (by: string) => `promotion to 100% requested by ${by}: remaining steps skipped`,
  /** `paused by ann (ops-token) at 20%: checking dashboards`. */
  manuallyPaused: (by: string, credential: string | null | undefined, weight: number, reason: string | null) =>
    `paused by ${actor(by, credential)} at ${weight}%${note(reason)}; alarms still roll it back, resume to go on`,
  /** `resumed by bob after 300s (paused by ann: checking dashboards)`. */
  resumed: (by: string, credential: string | null | undefined, seconds: number, pausedBy: string, reason: string | null) =>
    `resumed by ${actor(by, credential)} after ${seconds}s (paused by ${pausedBy}${note(reason)})`,

  // Holds and failures
  held: (reason: string) => `held: ${reason}`,
  unheld: (reason: string) => `no longer held (${reason})`,
  alarmFired: (alarm: string, reason: string | null) => `alarm ${alarm} fired${note(reason)}`,
  ecsFailed: (message: string) => `ECS call failed: ${message}`,
  workflowFailed: (message: string) => `workflow step failed: ${message}`,
  promotionRetry: (message: string) => `promotion call failed, retrying: ${message}`,

  // Promotion and rollback
  allStepsCompleted: (count: number) => `all ${count} steps completed: promoting`,
  promotionWeightSet: () => `canary weight set to 100% for promotion`,
  promoting: () => `canary steady at 100%: making it primary and removing the old task set`,
  previewStarted: (label: string) => `${label}: the new task set at full size behind the preview rule; production stays 100% on the stable set`,
  previewSteady: (label: string) => `${label} completed: the new task set is steady at full size behind the preview rule`,
  switchRequested: () => `switching production to the new task set (100%)`,
  switched: (delaySeconds: number) =>
    `production switched to the new task set (100%); the old task set stays at full size ${delaySeconds}s (scaleDownDelay), and an alarm or an abort switches back at once`,
  scaleDownDelayOver: (delaySeconds: number) => `scaleDownDelay of ${delaySeconds}s over: making the new task set primary and removing the old one`,
  succeeded: (digest: string) => `${digest} is now stable at 100%`,
  rollbackStarted: (previousDigest: string | null, stableTaskSetId: string | null) =>
    `rolling back to ${previousDigest ?? `stable task set ${stableTaskSetId ?? '(none)'}`}`,
  rollbackWaiting: (waitingFor: string) => `rollback waits for ${waitingFor}`,
  rolledBack: (stableTaskSetId: string | null) => `rolled back: stable task set ${stableTaskSetId ?? '(none)'} at 100%, canary removed`,
  rollbackFailed: (message: string) =>
    `rollback failed, a human must look: ${message}. The service lock stays held; abort again to retry the rollback.`,
  rollbackFailedReason: (reason: string | null, message: string) => `${reason ?? 'rollback'}; then the rollback failed: ${message}`,
} as const;

/** Why a command is refused (the InvalidTransitionError's message). */
export const refusals = {
  /** `allowed`: the statuses that take the command, in the order of RolloutStatus. */
  notInStatus: (verb: string, id: string, status: string, allowed: readonly string[]) =>
    `cannot ${verb} rollout ${id}: it is ${status}, and only ${orList(allowed)} rollouts can be`,
  beingMadePrimary: (verb: 'reject' | 'abort', id: string) => `cannot ${verb} rollout ${id}: the canary is steady at 100% and is being made primary`,
  supersedeFinalizing: (id: string) => `cannot supersede rollout ${id}: it is being made primary`,
  alreadyPromoting: (id: string) => `rollout ${id} is already being promoted`,
  pausePromoting: (id: string) => `cannot pause rollout ${id}: it is being promoted to 100% (abort it to roll back)`,
  oldSetBeingRemoved: (verb: 'reject' | 'abort', id: string) => `cannot ${verb} rollout ${id}: its scaleDownDelay is over and the old task set is being removed`,
  /** Approve on a manual pause, Resume on an approval pause: each pause has its own way out. */
  approveManualPause: (id: string, by: string) => `cannot approve rollout ${id}: it was paused by hand by ${by}, not at an approval pause; resume it instead`,
  resumeApprovalPause: (id: string, label: string) => `cannot resume rollout ${id}: it waits for approval at ${label}, not paused by hand; approve it instead`,
  alreadyApproved: (by: string, label: string, id: string, required: number) =>
    `${by} already approved ${label} of rollout ${id}: ${required} distinct approvers are needed`,
} as const;

/** `A`, `A or B`, `A, B or C`. */
function orList(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}
