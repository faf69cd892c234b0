import { type BlueGreenSpec, blueGreenSteps } from '../../../shared/core/blue-green';
import type { RolloutInput } from '../../../shared/core/commands';
import { type NewRollout, createRollout } from '../../../shared/core/create-rollout';
import type { Rollout, SignatureInfo } from '../../../shared/core/rollout';
import type { StepSpec } from '../../../shared/core/steps';
import { transition } from '../../../shared/core/transition';

export const T0 = new Date('2026-01-01T00:00:00.000Z');
export const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

export const STEPS: readonly StepSpec[] = [
  { setWeight: 20 },
  { pause: { duration: 30 } },
  { setWeight: 50 },
  { pause: {} },
  { setWeight: 100 },
];

export const SIGNATURE: SignatureInfo = {
  type: 'cosign-key',
  key: 'keys/web.pub',
  keyFingerprint: 'ab'.repeat(32),
  signatureManifest: `sha256:${'cd'.repeat(32)}`,
  dockerReference: '127.0.0.1:5000/team/web',
  verifiedAt: T0.toISOString(),
};

export function newRollout(steps: readonly StepSpec[] = STEPS): Rollout {
  return createRollout(
    {
      id: 'r1',
      service: 'web',
      image: { registry: '127.0.0.1:5000', repository: 'team/web', tag: 'v2', digest: `sha256:${'2'.repeat(64)}` },
      steps,
      source: 'test',
    },
    T0,
  );
}

export const PREVIEW_RULE = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web/0123456789abcdef/1123456789abcdef/2123456789abcdef';

/** A blue-green rollout (30 s scaleDownDelay by default), its approval pause needing `approvals` people. */
export function newBlueGreenRollout(
  spec: Partial<BlueGreenSpec> = {},
  approvals: NonNullable<NewRollout['approvalDefaults']> = { required: 1, timeout: null, onTimeout: 'rollback' },
): Rollout {
  const blueGreen: BlueGreenSpec = { previewListenerRule: PREVIEW_RULE, autoPromote: false, scaleDownDelaySeconds: 30, ...spec };
  return createRollout(
    {
      id: 'r1',
      service: 'web',
      image: { registry: '127.0.0.1:5000', repository: 'team/web', tag: 'v2', digest: `sha256:${'2'.repeat(64)}` },
      steps: blueGreenSteps(blueGreen),
      source: 'test',
      approvalDefaults: approvals,
      blueGreen,
    },
    T0,
  );
}

/** Applies inputs in order, as drivers would, and returns the final record. */
export function apply(rollout: Rollout, inputs: readonly (RolloutInput | [RolloutInput, number])[]): Rollout {
  let r = rollout;
  for (const item of inputs) {
    const [input, seconds] = Array.isArray(item) ? item : [item, 0];
    r = transition(r, input, at(seconds)).rollout;
  }
  return r;
}

export const verified: RolloutInput = { type: 'SignatureVerified', signature: SIGNATURE };
export const started: RolloutInput = { type: 'Started', stableTaskSetId: 'ts-stable', stableDigest: `sha256:${'1'.repeat(64)}` };
export const canary: RolloutInput = { type: 'CanaryCreated', taskSetId: 'ts-canary', taskDefinitionArn: 'arn:td:2' };

/** Named points of the default five-step plan, each reached through the real transitions. */
export function states(): Record<string, Rollout> {
  const pending = newRollout();
  const queued = apply(pending, [verified, { type: 'Queued', behind: 'r0' }]);
  const startedR = apply(pending, [verified, started]);
  const atWeight20 = apply(startedR, [canary]);
  const baking = apply(atWeight20, [{ type: 'Steady', weight: 20 }]);
  const atWeight50 = apply(baking, [[{ type: 'Tick' }, 31]]);
  const paused = apply(atWeight50, [{ type: 'Steady', weight: 50 }]);
  const atWeight100 = apply(paused, [{ type: 'Approve', by: 'ann', comment: null }, { type: 'Tick' }]);
  // Promoted before the last step was steady: the promotion waits for steady state at 100% itself.
  const promoting = apply(atWeight100, [{ type: 'Promote', by: 'pat' }]);
  // The last step (100%) steady: the promotion needs no wait of its own, its promote call is claimed.
  const finalizing = apply(atWeight100, [{ type: 'Steady', weight: 100 }]);
  const succeeded = apply(finalizing, [{ type: 'Promoted' }]);
  const rollingBack = apply(atWeight20, [{ type: 'AlarmFired', alarm: 'web-5xx', reason: null }]);
  const rolledBack = apply(rollingBack, [{ type: 'RolledBack' }]);
  const failed = apply(rollingBack, [{ type: 'RollbackFailed', message: 'boom' }]);
  const rejected = apply(pending, [{ type: 'SignatureRejected', reason: 'bad key' }]);
  // Blue-green: the preview at full size, its approval, the switch, PROMOTING for scaleDownDelay, the old set's removal.
  const bgPreview = apply(newBlueGreenRollout(), [verified, started, canary]);
  const bgPaused = apply(bgPreview, [{ type: 'Steady', weight: 0 }]);
  const bgSwitching = apply(bgPaused, [{ type: 'Approve', by: 'ann', comment: null }, { type: 'Tick' }]);
  const bgSwitched = apply(bgSwitching, [{ type: 'Steady', weight: 100 }]);
  const bgFinalizing = apply(bgSwitched, [[{ type: 'Tick' }, 31]]);
  return {
    pending, queued, started: startedR, atWeight20, baking, atWeight50, paused, atWeight100, promoting, finalizing, succeeded, rollingBack, rolledBack, failed, rejected,
    bgPreview, bgPaused, bgSwitching, bgSwitched, bgFinalizing,
  };
}
