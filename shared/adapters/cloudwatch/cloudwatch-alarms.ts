import { type CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import type { AlarmState, Alarms } from '../../ports';

export interface CloudWatchAlarmsOptions {
  readonly client: CloudWatchClient;
}

/** DescribeAlarms takes at most 100 names a call. */
const BATCH = 100;

/**
 * Reads alarm states before each step. Alarm *events* come through EventBridge and act at once; this
 * covers what events cannot: an alarm already in ALARM when a rollout starts, and missing data.
 */
export class CloudWatchAlarms implements Alarms {
  constructor(private readonly options: CloudWatchAlarmsOptions) {}

  async states(names: readonly string[]): Promise<Readonly<Record<string, AlarmState>>> {
    const out: Record<string, AlarmState> = {};
    for (let i = 0; i < names.length; i += BATCH) {
      let nextToken: string | undefined;
      do {
        const page = await this.options.client.send(
          new DescribeAlarmsCommand({ AlarmNames: names.slice(i, i + BATCH), AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], NextToken: nextToken }),
        );
        for (const alarm of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
          if (alarm.AlarmName && alarm.StateValue) out[alarm.AlarmName] = alarm.StateValue as AlarmState;
        }
        nextToken = page.NextToken;
      } while (nextToken);
    }
    return out;
  }
}
