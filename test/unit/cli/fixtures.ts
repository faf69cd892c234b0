/** Rollouts as the API shows them, checked against the response schema so the fixtures cannot drift from it. */
import type { RolloutView } from '../../../shared/http/response-schemas';
import { rolloutSchema } from '../../../shared/http/response-schemas';

export const ID = '01m8jb8yrx04r7fj816qgfdg94';
export const DIGEST = `sha256:${'ab'.repeat(32)}`;

export function rollout(overrides: Partial<RolloutView> = {}): RolloutView {
  return rolloutSchema.parse({
    id: ID,
    service: 'web',
    status: 'PAUSED',
    image: { registry: '127.0.0.1:5000', repository: 'team/web', tag: 'v2', digest: DIGEST },
    previousDigest: null,
    canaryWeight: 50,
    trafficShare: 50,
    currentStep: 1,
    steps: [
      { setWeight: 50, status: 'COMPLETED', startedAt: '2026-01-01T10:00:00.000Z', completedAt: '2026-01-01T10:00:05.000Z' },
      { pause: {}, status: 'RUNNING', startedAt: '2026-01-01T10:00:05.000Z', completedAt: null },
      { setWeight: 100, status: 'PENDING', startedAt: null, completedAt: null },
    ],
    stepsHash: 'abc',
    steadyTimeoutSeconds: 600,
    promoting: false,
    approvals: [],
    signature: { type: 'cosign-key', key: 'keys/test.pub', keyFingerprint: 'f'.repeat(64), signatureManifest: null, dockerReference: '127.0.0.1:5000/team/web', verifiedAt: '2026-01-01T10:00:00.000Z' },
    events: [
      { seq: 0, at: '2026-01-01T10:00:00.000Z', type: 'CREATED', message: 'created' },
      { seq: 1, at: '2026-01-01T10:00:05.000Z', type: 'PAUSED', message: 'step 2/3: paused at 50% until approved' },
    ],
    reason: null,
    wait: { for: 'approval' },
    ecs: { stableTaskSetId: 'ts-1', canaryTaskSetId: 'ts-2', taskDefinitionArn: 'td' },
    createdAt: '2026-01-01T10:00:00.000Z',
    updatedAt: '2026-01-01T10:00:05.000Z',
    version: 5,
    ...overrides,
  });
}

/** A stdout/stderr stand-in that keeps what was written. */
export function capture(isTTY = false, columns?: number) {
  let text = '';
  return {
    write: (s: string) => void (text += s),
    isTTY,
    ...(columns ? { columns } : {}),
    get text() {
      return text;
    },
  };
}
