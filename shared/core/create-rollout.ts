import type { ImageRef, Rollout } from './rollout';
import { EventType } from './events';
import { RolloutStatus, StepStatus } from './status';
import { hashSteps, type StepSpec } from './steps';

export interface NewRollout {
  readonly id: string;
  readonly service: string;
  readonly image: ImageRef;
  readonly steps: readonly StepSpec[];
  /** Why the rollout exists, for the first event: e.g. `push of v3 from registry notification`. */
  readonly source: string;
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
    currentStep: null,
    steps: input.steps.map((spec) => ({ ...spec, status: StepStatus.Pending, startedAt: null, completedAt: null })),
    stepsHash: hashSteps(input.steps),
    promoting: false,
    approvals: [],
    signature: null,
    events: [{ seq: 0, at, type: EventType.Created, message: `rollout of ${ref} created (${input.source})` }],
    reason: null,
    wait: { for: 'signature' },
    ecs: { stableTaskSetId: null, canaryTaskSetId: null, taskDefinitionArn: null },
    taskToken: null,
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
}
