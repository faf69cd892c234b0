/**
 * `steps:` as in Argo Rollouts: each item is exactly one of `setWeight: <0..100>` or `pause: {}` /
 * `pause: { duration: 30s }`. A pause without a duration waits for a human approval.
 *
 * Rules, and why:
 * - the list must not be empty: a rollout with no step would jump straight to 100%, which is a plain
 *   deploy and not what a canary config is for;
 * - `pause:` with nothing after it (YAML null) is accepted as `pause: {}` because that is how people write it;
 *   `duration:` with nothing is refused, as the missing value more likely is a forgotten duration than a
 *   wish to wait for approval (omit `duration` for that);
 * - weights may go down as well as up (Argo allows it, e.g. a short 50% spike back to 20%);
 * - a pause may be the last step: it bakes the final weight, or asks for approval before promotion;
 * - the steps need not reach 100: after the last step the rollout promotes the canary anyway;
 * - a pause lasts at most 365 days: a Step Functions execution cannot outlive a year.
 */
import { z } from 'zod';
import type { StepSpec } from '../core/steps';
import { DurationError, formatDuration, parseDuration } from './duration';
import { intBetween } from './schema-helpers';

export const MAX_PAUSE_SECONDS = 365 * 24 * 3600;

export const durationSchema = z
  .union([z.string(), z.number()], {
    error: (issue) => {
      if (issue.input === undefined) return undefined;
      if (issue.input === null) return 'must be a duration like 30s (omit duration to wait for approval)';
      return 'must be a duration like 30s, 5m or 1h30m';
    },
  })
  .transform((value, ctx) => {
    try {
      const seconds = parseDuration(value);
      if (seconds <= MAX_PAUSE_SECONDS) return seconds;
      ctx.addIssue({ code: 'custom', message: `must be at most ${formatDuration(MAX_PAUSE_SECONDS)}`, input: value });
    } catch (error) {
      if (!(error instanceof DurationError)) throw error;
      ctx.addIssue({ code: 'custom', message: error.message, input: value });
    }
    return z.NEVER;
  });

const pauseSchema = z.strictObject(
  {
    duration: durationSchema.optional(),
    // Approval pauses only (no duration): a name says what is approved; the rest override the service's `approvals`.
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 _.:-]{0,62}$/, 'must be a short name (letters, digits, spaces, _ . : -)').optional(),
    approvals: intBetween(1, 10).optional(),
    timeout: durationSchema.optional(),
    onTimeout: z.enum(['rollback', 'promote'], { error: 'must be one of rollback, promote' }).optional(),
  },
  {
    error: (issue) => {
      if (issue.code !== 'invalid_type' || issue.input === undefined || issue.input === null) return undefined;
      const shown = typeof issue.input === 'string' || typeof issue.input === 'number' ? String(issue.input) : '30s';
      return `must be a mapping: write pause: { duration: ${shown} }, or pause: {} to wait for approval`;
    },
  },
);

const stepSchema = z
  .strictObject(
    { setWeight: intBetween(0, 100).optional(), pause: pauseSchema.nullish() },
    {
      error: (issue) =>
        issue.code === 'invalid_type' && issue.input !== undefined
          ? 'must be one of setWeight or pause, like setWeight: 20 or pause: { duration: 30s }'
          : undefined,
    },
  )
  .superRefine((step, ctx) => {
    const pause = step.pause;
    if (pause && pause.duration !== undefined) {
      for (const key of ['approvals', 'timeout', 'onTimeout'] as const) {
        if (pause[key] !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['pause', key], message: `only applies to a pause that waits for approval (one without duration)`, input: pause[key] });
        }
      }
    }
    const hasWeight = step.setWeight !== undefined;
    const hasPause = step.pause !== undefined;
    if (!hasWeight && !hasPause) ctx.addIssue({ code: 'custom', message: 'must be one of setWeight or pause', input: step });
    if (hasWeight && hasPause) {
      ctx.addIssue({
        code: 'custom',
        message: 'must have only one of setWeight or pause: write each as its own step',
        input: step,
      });
    }
  })
  .transform((step): StepSpec => {
    if (step.setWeight !== undefined) return { setWeight: step.setWeight };
    const { duration, name, approvals, timeout, onTimeout } = step.pause ?? {};
    if (duration !== undefined) return { pause: { duration, ...(name === undefined ? {} : { name }) } };
    return {
      pause: {
        ...(name === undefined ? {} : { name }),
        ...(approvals === undefined ? {} : { approvals }),
        ...(timeout === undefined ? {} : { timeout }),
        ...(onTimeout === undefined ? {} : { onTimeout }),
      },
    };
  });

export const stepsSchema = z.array(stepSchema).min(1, { error: 'must list at least one step, like - setWeight: 100' });
