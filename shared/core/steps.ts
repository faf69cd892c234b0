import { createHash } from 'node:crypto';

/**
 * A step as configured: exactly one of `setWeight` or `pause`, as in Argo Rollouts.
 * A pause without a duration waits for a human approval. Durations are whole seconds.
 */
export type StepSpec = { readonly setWeight: number } | { readonly pause: { readonly duration?: number } };

export function isSetWeight(step: StepSpec): step is { readonly setWeight: number } {
  return 'setWeight' in step;
}

export function isApprovalPause(step: StepSpec): boolean {
  return 'pause' in step && step.pause.duration === undefined;
}

/** Identifies a list of steps, so that a record shows which plan it was started with (Argo's currentStepHash). */
export function hashSteps(steps: readonly StepSpec[]): string {
  const canonical = steps.map((s) =>
    isSetWeight(s) ? { setWeight: s.setWeight } : { pause: s.pause.duration === undefined ? {} : { duration: s.pause.duration } },
  );
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 16);
}

export function describeStep(step: StepSpec): string {
  if (isSetWeight(step)) return `setWeight ${step.setWeight}%`;
  return step.pause.duration === undefined ? 'pause until approved' : `pause ${step.pause.duration}s`;
}
