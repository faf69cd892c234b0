import { z } from 'zod';
import { ROLLOUT_STATUSES } from '../core/status';
import { LIMITS, SERVICE_NAME_PATTERN, UNSAFE_TEXT } from './limits';

/** Free text of at most `max` characters with no control character (see limits.ts). */
const text = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .refine((t) => !UNSAFE_TEXT.test(t), 'must not contain control characters (C0, C1, DEL), bidi controls or line separators');

const who = z.string().trim().min(1, 'is required').pipe(text(LIMITS.person));
const note = text(LIMITS.note).nullish();

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
  service: z.string().regex(SERVICE_NAME_PATTERN, 'must be a service name: up to 63 lower-case letters, digits, - and _').optional(),
  status: z.enum(ROLLOUT_STATUSES, { message: `must be one of ${ROLLOUT_STATUSES.join(', ')}` }).optional(),
  limit: z.coerce.number().int('must be a whole number').min(1, 'must be between 1 and 100').max(100, 'must be between 1 and 100').optional(),
  cursor: z.string().regex(/^[A-Za-z0-9_-]{1,2048}$/, 'must be a cursor as a listing gave it').optional(),
});

export const localAlarmBody = z.strictObject({
  state: z.enum(['ALARM', 'OK', 'INSUFFICIENT_DATA'], { message: 'must be ALARM, OK or INSUFFICIENT_DATA' }),
  reason: text(LIMITS.alarmReason).nullish(),
});
