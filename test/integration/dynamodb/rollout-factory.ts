/**
 * Test rollouts for the store tests, built here rather than with the core's factory so these tests
 * exercise the store alone. Every field shape the record can hold appears: nulls, nested steps
 * (including a pause without a duration), arrays, a wait object.
 */
import { EventType, type RolloutEvent } from '../../../shared/core/events';
import type { Rollout } from '../../../shared/core/rollout';
import { RolloutStatus, StepStatus } from '../../../shared/core/status';

const BASE_TIME = Date.parse('2026-08-01T10:00:00.000Z');

export function isoAt(offsetSeconds: number): string {
  return new Date(BASE_TIME + offsetSeconds * 1000).toISOString();
}

export function makeRollout(overrides: Partial<Rollout> = {}): Rollout {
  const id = overrides.id ?? 'r-0001';
  const createdAt = overrides.createdAt ?? isoAt(0);
  return {
    id,
    service: 'web',
    status: RolloutStatus.Pending,
    image: {
      registry: '127.0.0.1:5000',
      repository: 'team/web',
      tag: null,
      digest: `sha256:${'a'.repeat(64)}`,
    },
    previousDigest: null,
    canaryWeight: 0,
    currentStep: null,
    steps: [
      { setWeight: 20, status: StepStatus.Pending, startedAt: null, completedAt: null },
      { pause: { duration: 30 }, status: StepStatus.Pending, startedAt: null, completedAt: null },
      { pause: {}, status: StepStatus.Pending, startedAt: null, completedAt: null },
      { setWeight: 100, status: StepStatus.Pending, startedAt: null, completedAt: null },
    ],
    stepsHash: '0123456789abcdef',
    steadyTimeoutSeconds: 600,
    promoting: false,
    approvals: [],
    signature: null,
    events: [event(0, EventType.Created, 'created from push of team/web', createdAt)],
    reason: null,
    wait: { for: 'signature' },
    ecs: { stableTaskSetId: null, canaryTaskSetId: null, taskDefinitionArn: null },
    taskToken: null,
    createdAt,
    updatedAt: createdAt,
    version: 1,
    ...overrides,
  };
}

export function event(seq: number, type: EventType, message: string, at = isoAt(seq)): RolloutEvent {
  return { seq, type, message, at };
}

/** The rollout as the core would hand it to `save`: changes applied, events appended, version bumped. */
export function advance(rollout: Rollout, changes: Partial<Rollout>, ...added: [EventType, string][]): Rollout {
  const events = [
    ...rollout.events,
    ...added.map(([type, message], i) => event(rollout.events.length + i, type, message)),
  ];
  return { ...rollout, ...changes, events, version: rollout.version + 1, updatedAt: isoAt(rollout.version * 10) };
}
