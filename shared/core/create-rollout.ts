/** Creating a rollout record: PENDING, version 1, its first event, and the rules its approval pauses will apply. */
import type { BlueGreenSpec } from './blue-green';
import type { ImageRef, Rollout } from './rollout';
import { EventType } from './events';
import { messages } from './messages';
import { RolloutStatus, StepStatus } from './status';
import { hashSteps, type StepSpec } from './steps';

export interface NewRollout {
  readonly id: string;
  readonly service: string;
  readonly image: ImageRef;
  readonly steps: readonly StepSpec[];
  /** Why the rollout exists, for the first event: e.g. `push of v3 from registry notification`. */
  readonly source: string;
  /** Default 600. */
  readonly steadyTimeoutSeconds?: number;
  /** How long to wait for a signature before rejecting (`verify.waitFor`). Default: no deadline recorded. */
  readonly signatureWaitSeconds?: number;
  /** The service's defaults for approval pauses; a step's own values win. */
  readonly approvalDefaults?: { readonly required: number; readonly timeout: number | null; readonly onTimeout: 'rollback' | 'promote' };
  /** Blue-green: `steps` are then the blue-green steps (blue-green.ts). */
  readonly blueGreen?: BlueGreenSpec;
}

/** Approval pauses carry their effective rules, so the record alone says what the pause needs. */
export function withApprovalDefaults(steps: readonly StepSpec[], defaults: NewRollout['approvalDefaults']): StepSpec[] {
  if (!defaults) return [...steps];
  return steps.map((step) => {
    if (!('pause' in step) || step.pause.duration !== undefined) return step;
    const timeout = step.pause.timeout ?? defaults.timeout;
    return {
      pause: {
        ...step.pause,
        approvals: step.pause.approvals ?? defaults.required,
        ...(timeout === null || timeout === undefined ? {} : { timeout }),
        onTimeout: step.pause.onTimeout ?? defaults.onTimeout,
      },
    };
  });
}

/** A new rollout, PENDING until its signature is verified and the service lock is taken. Version 1. */
export function createRollout(input: NewRollout, now: Date): Rollout {
  const at = now.toISOString();
  const ref = `${input.image.registry}/${input.image.repository}${input.image.tag ? `:${input.image.tag}` : ''}@${input.image.digest}`;
  return {
    id: input.id,
    service: input.service,
    status: RolloutStatus.Pending,
    image: input.image,
    previousDigest: null,
    canaryWeight: 0,
    trafficShare: 0,
    currentStep: null,
    ...(input.blueGreen ? { blueGreen: input.blueGreen } : {}),
    steps: withApprovalDefaults(input.steps, input.approvalDefaults).map((spec) => ({ ...spec, status: StepStatus.Pending, startedAt: null, completedAt: null })),
    stepsHash: hashSteps(input.steps),
    steadyTimeoutSeconds: input.steadyTimeoutSeconds ?? 600,
    promoting: false,
    approvals: [],
    signature: null,
    events: [{ seq: 0, at, type: EventType.Created, message: messages.created(ref, input.source) }],
    reason: null,
    wait: input.signatureWaitSeconds === undefined ? { for: 'signature' } : { for: 'signature', until: new Date(now.getTime() + input.signatureWaitSeconds * 1000).toISOString() },
    ecs: { stableTaskSetId: null, canaryTaskSetId: null, taskDefinitionArn: null },
    taskToken: null,
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
}
