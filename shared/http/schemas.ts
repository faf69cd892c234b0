import * as z from 'zod/mini';
import { ROLLOUT_STATUSES } from '../core/status';
import { LIMITS, SERVICE_NAME_PATTERN, UNSAFE_TEXT } from './limits';

/** Free text of at most `max` characters with no control character (see limits.ts). */
const text = (max: number) =>
  z.string().check(
    z.maxLength(max, `must be at most ${max} characters`),
    z.refine((t) => !UNSAFE_TEXT.test(t), 'must not contain control characters (C0, C1, DEL), bidi controls or line separators'),
  );

const who = z.pipe(z.string().check(z.trim(), z.minLength(1, 'is required')), text(LIMITS.person));
const note = z.nullish(text(LIMITS.note));

// `by` names the person only when the integration token (ROLLOUT_API_TOKEN) acts for someone; any other
// credential is its own identity, and a `by` it sends is ignored.
export const approveBody = z.strictObject({ by: z.optional(who), comment: note });
export const rejectBody = approveBody;
export const abortBody = z.strictObject({ by: z.optional(who), reason: note });
export const promoteBody = z.strictObject({ by: z.optional(who) });
export const retryBody = z.strictObject({ by: z.optional(who) });
export const pauseBody = z.strictObject({ by: z.optional(who), reason: note });
export const resumeBody = z.strictObject({ by: z.optional(who) });

export const listQuery = z.strictObject({
  service: z.optional(z.string().check(z.regex(SERVICE_NAME_PATTERN, 'must be a service name: up to 63 lower-case letters, digits, - and _'))),
  status: z.optional(z.enum(ROLLOUT_STATUSES, { error: `must be one of ${ROLLOUT_STATUSES.join(', ')}` })),
  limit: z.optional(z.coerce.number().check(z.int('must be a whole number'), z.gte(1, 'must be between 1 and 100'), z.lte(100, 'must be between 1 and 100'))),
  cursor: z.optional(z.string().check(z.regex(/^[A-Za-z0-9_-]{1,2048}$/, 'must be a cursor as a listing gave it'))),
});

export const localAlarmBody = z.strictObject({
  state: z.enum(['ALARM', 'OK', 'INSUFFICIENT_DATA'], { error: 'must be ALARM, OK or INSUFFICIENT_DATA' }),
  reason: z.nullish(text(LIMITS.alarmReason)),
});
