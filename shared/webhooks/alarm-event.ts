/** CloudWatch alarm state changes as EventBridge delivers them (`CloudWatch Alarm State Change`). */
import * as z from 'zod/mini';

export const alarmStateChangeSchema = z.object({
  'detail-type': z.literal('CloudWatch Alarm State Change'),
  source: z.literal('aws.cloudwatch'),
  detail: z.object({
    alarmName: z.string().check(z.minLength(1)),
    state: z.object({ value: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']), reason: z.optional(z.string()) }),
    previousState: z.optional(z.object({ value: z.string() })),
  }),
});

export type AlarmStateChange = z.infer<typeof alarmStateChangeSchema>;
