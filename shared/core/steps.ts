import { createHash } from 'node:crypto';

/**
 * A step as configured: exactly one of `setWeight` or `pause`, as in Argo Rollouts.
 * A pause without a duration waits for a human approval. Durations are whole seconds.
 */
export type StepSpec = { readonly setWeight: number } | { readonly pause: PauseSpec };

export interface PauseSpec {
  /** Seconds to bake; absent: wait for approval. */
  readonly duration?: number;
  /** What the pause is for (`qa-signoff`), shown in events and approvals. */
  readonly name?: string;
  /** Approval pauses: distinct approvers needed. Default 1 (or the service's `approvals.required`). */
  readonly approvals?: number;
  /** Approval pauses: seconds to wait for the approvals before `onTimeout`. Default: no deadline. */
  readonly timeout?: number;
  readonly onTimeout?: 'rollback' | 'promote';
}

export function isSetWeight(step: StepSpec): step is { readonly setWeight: number } {
  return 'setWeight' in step;
}

export function isApprovalPause(step: StepSpec): boolean {
  return 'pause' in step && step.pause.duration === undefined;
}

/** Identifies a list of steps, so that a record shows which plan it was started with (Argo's currentStepHash). */
export function hashSteps(steps: readonly StepSpec[]): string {
  const canonical = steps.map((s) => (isSetWeight(s) ? { setWeight: s.setWeight } : { pause: s.pause }));
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 16);
}

export function describeStep(step: StepSpec): string {
  if (isSetWeight(step)) return `setWeight ${step.setWeight}%`;
  const named = step.pause.name ? ` (${step.pause.name})` : '';
  return step.pause.duration === undefined ? `pause until approved${named}` : `pause ${step.pause.duration}s${named}`;
}
