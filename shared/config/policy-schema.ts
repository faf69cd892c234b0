/**
 * Per-service rollout policies: what a push during a rollout does, how long a weight may take to
 * become steady, how alarms without data count, and the default approval rules of `pause: {}` steps.
 */
import { z } from 'zod';
import { durationSchema } from './steps-schema';
import { intBetween } from './schema-helpers';
import { DEFAULT_STEADY_TIMEOUT_SECONDS } from '../core/steady-timeout';

export const ON_NEW_IMAGE = ['queue', 'supersede', 'reject'] as const;
export type OnNewImage = (typeof ON_NEW_IMAGE)[number];

export const INSUFFICIENT_DATA_POLICIES = ['ok', 'hold', 'fail'] as const;
export type InsufficientDataPolicy = (typeof INSUFFICIENT_DATA_POLICIES)[number];

export const ON_APPROVAL_TIMEOUT = ['rollback', 'promote'] as const;
export type OnApprovalTimeout = (typeof ON_APPROVAL_TIMEOUT)[number];

const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `must be one of ${values.join(', ')}` });

export const onNewImageSchema = oneOf(ON_NEW_IMAGE);

export const alarmPolicySchema = z.strictObject({ insufficientData: oneOf(INSUFFICIENT_DATA_POLICIES).nullish() });

/** How many distinct people must approve, and what happens when nobody does in time. */
export const approvalsSchema = z.strictObject({
  required: intBetween(1, 10).nullish(),
  timeout: durationSchema.nullish(),
  onTimeout: oneOf(ON_APPROVAL_TIMEOUT).nullish(),
});

export interface ServicePolicies {
  /** What a verified push does while another rollout of the service is active. Default supersede. */
  readonly onNewImage: OnNewImage;
  /**
   * Seconds a weight may take to become steady before the rollout rolls back. Default 600, or, for a
   * service with `traffic.alb`, what its target groups' health checks and deregistration delay need.
   */
  readonly steadyTimeout: number;
  /** Whether the file sets `steadyTimeout` (false: the default above, which `traffic.alb` may raise). */
  readonly steadyTimeoutConfigured: boolean;
  /** How an alarm in INSUFFICIENT_DATA counts. Default ok. */
  readonly insufficientData: InsufficientDataPolicy;
  /** Defaults for every `pause: {}` step. */
  readonly approvals: { readonly required: number; readonly timeout: number | null; readonly onTimeout: OnApprovalTimeout };
}

export { DEFAULT_STEADY_TIMEOUT_SECONDS };

export function toPolicies(s: {
  onNewImage?: OnNewImage | null;
  steadyTimeout?: number | null;
  alarmPolicy?: { insufficientData?: InsufficientDataPolicy | null } | null;
  approvals?: { required?: number | null; timeout?: number | null; onTimeout?: OnApprovalTimeout | null } | null;
}): ServicePolicies {
  return {
    onNewImage: s.onNewImage ?? 'supersede',
    steadyTimeout: s.steadyTimeout ?? DEFAULT_STEADY_TIMEOUT_SECONDS,
    steadyTimeoutConfigured: s.steadyTimeout != null,
    insufficientData: s.alarmPolicy?.insufficientData ?? 'ok',
    approvals: { required: s.approvals?.required ?? 1, timeout: s.approvals?.timeout ?? null, onTimeout: s.approvals?.onTimeout ?? 'rollback' },
  };
}
