/**
 * Late signatures (`verify.waitFor`): CI often pushes the signature a little after the image, so a
 * rollout without one waits PENDING; once the wait has lasted `waitFor` since the rollout was created,
 * a still-missing signature becomes a rejection. Pure functions: the orchestrator passes the clock in.
 */
import { formatDuration } from '../config/duration';
import type { VerificationResult } from '../ports';
import type { RolloutInput } from './commands';
import type { Rollout } from './rollout';
import { RolloutStatus } from './status';

/** When the rollout stops waiting for its signature. */
export function signatureDeadline(rollout: Pick<Rollout, 'createdAt'>, waitForSeconds: number): Date {
  return new Date(Date.parse(rollout.createdAt) + waitForSeconds * 1000);
}

/** True for a rollout still waiting for its signature at or after its deadline. */
export function signatureDeadlinePassed(
  rollout: Pick<Rollout, 'status' | 'signature' | 'createdAt'>,
  now: Date,
  waitForSeconds: number,
): boolean {
  return rollout.status === RolloutStatus.Pending && rollout.signature === null && now >= signatureDeadline(rollout, waitForSeconds);
}

/**
 * The core input for a verification outcome: `missing` (or a failed check, passed as `missing` with the
 * error as detail) is SignatureMissing before the deadline and SignatureRejected after it.
 */
export function signatureWaitInput(
  verdict: VerificationResult,
  rollout: Pick<Rollout, 'status' | 'signature' | 'createdAt'>,
  now: Date,
  waitForSeconds: number,
): RolloutInput {
  switch (verdict.outcome) {
    case 'verified':
      return { type: 'SignatureVerified', signature: verdict.signature };
    case 'rejected':
      return { type: 'SignatureRejected', reason: verdict.reason };
    case 'missing':
      if (!signatureDeadlinePassed(rollout, now, waitForSeconds)) return { type: 'SignatureMissing', detail: verdict.detail };
      return { type: 'SignatureRejected', reason: `no valid signature within verify.waitFor (${formatDuration(waitForSeconds)}): ${verdict.detail}` };
  }
}
