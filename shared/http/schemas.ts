import { z } from 'zod';
import { ROLLOUT_STATUSES } from '../core/status';

const who = z.string().trim().min(1, 'is required').max(200, 'must be at most 200 characters');
const note = z.string().max(2000, 'must be at most 2000 characters').nullish();

// `by` names the person only when the integration token (ROLLOUT_API_TOKEN) acts for someone; any other
// credential is its own identity, and a `by` it sends is ignored.
export const approveBody = z.strictObject({ by: who.optional(), comment: note });
export const rejectBody = approveBody;
export const abortBody = z.strictObject({ by: who.optional(), reason: note });
export const promoteBody = z.strictObject({ by: who.optional() });
export const retryBody = z.strictObject({ by: who.optional() });
export const pauseBody = z.strictObject({ by: who.optional(), reason: note });
export const resumeBody = z.strictObject({ by: who.optional() });

export const listQuery = z.strictObject({
  service: z.string().min(1).max(63).optional(),
  status: z.enum(ROLLOUT_STATUSES, { message: `must be one of ${ROLLOUT_STATUSES.join(', ')}` }).optional(),
  limit: z.coerce.number().int('must be a whole number').min(1, 'must be between 1 and 100').max(100, 'must be between 1 and 100').optional(),
  cursor: z.string().min(1).max(2000).optional(),
});

export const localAlarmBody = z.strictObject({
  state: z.enum(['ALARM', 'OK', 'INSUFFICIENT_DATA'], { message: 'must be ALARM, OK or INSUFFICIENT_DATA' }),
  reason: z.string().max(1000).nullish(),
});
