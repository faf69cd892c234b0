/** CloudWatch alarm state changes as EventBridge delivers them (`CloudWatch Alarm State Change`). */
import { z } from 'zod';

export const alarmStateChangeSchema = z.object({
  'detail-type': z.literal('CloudWatch Alarm State Change'),
  source: z.literal('aws.cloudwatch'),
  detail: z.object({
    alarmName: z.string().min(1),
    state: z.object({ value: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']), reason: z.string().optional() }),
    previousState: z.object({ value: z.string() }).optional(),
  }),
});

export type AlarmStateChange = z.infer<typeof alarmStateChangeSchema>;
