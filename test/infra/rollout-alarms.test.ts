/** The orchestrator's own alarms: what each watches, and the SNS topic they notify when one is given. */
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { alarmTopicArn } from '../../infra/app-config';
import { REDRIVE_ALARM } from '../../infra/rollout-alarms';
import { configFrom, logicalId, nagViolations, synth } from './infra-fixtures';

type Alarm = { Properties: Record<string, any> };
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:ops-alerts';

async function alarms(props: Parameters<typeof synth>[1] = {}) {
  const s = synth(await configFrom(), props);
  const all = Object.values(s.template.findResources('AWS::CloudWatch::Alarm')) as Alarm[];
  const named = (metric: string) => all.filter((a) => a.Properties.MetricName === metric);
  return { ...s, all, named };
}

describe('the orchestrator alarms', () => {
  it('watch the dead-letter queue, a FAILED rollout of each service, repeated watchdog re-drives and every function’s errors', async () => {
    const { stack, all, named } = await alarms();
    const { orchestrator } = stack;
    expect(all).toHaveLength(1 + 2 + 1 + 8);

    const [deadLetters] = named('ApproximateNumberOfMessagesVisible');
    expect(deadLetters!.Properties).toMatchObject({ Namespace: 'AWS/SQS', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
    expect(deadLetters!.Properties.Dimensions).toEqual([{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(orchestrator.eventRules.deadLetterQueue), 'QueueName'] } }]);

    const failed = named('RolloutsFailed');
    expect(failed.map((a) => a.Properties.Dimensions)).toEqual([[{ Name: 'Service', Value: 'web' }], [{ Name: 'Service', Value: 'worker' }]]);
    for (const a of failed) expect(a.Properties).toMatchObject({ Namespace: 'RolloutOrchestrator', Statistic: 'Sum', Threshold: 1 });

    const [redrives] = named('WatchdogRedrives');
    expect(redrives!.Properties).toMatchObject({
      Namespace: 'RolloutOrchestrator',
      Dimensions: [{ Name: 'Source', Value: 'watchdog' }],
      Threshold: REDRIVE_ALARM.perPeriod,
      EvaluationPeriods: REDRIVE_ALARM.periods,
      DatapointsToAlarm: REDRIVE_ALARM.periods,
    });

    const errors = named('Errors');
    expect(errors.map((a) => a.Properties.Dimensions[0].Value.Ref).sort()).toEqual(Object.values(orchestrator.functions.all).map(logicalId).sort());
    for (const a of all) expect(a.Properties.AlarmActions).toBeUndefined();
  });

  it('notify the SNS topic given, on ALARM and on OK; the CDK app takes it from -c alarmTopicArn', async () => {
    const { all, stack } = await alarms({ alarmTopicArn: TOPIC });
    for (const a of all) {
      expect(a.Properties.AlarmActions).toEqual([TOPIC]);
      expect(a.Properties.OKActions).toEqual([TOPIC]);
    }
    expect(nagViolations(stack)).toEqual([]);
    expect(alarmTopicArn(new App({ context: { alarmTopicArn: TOPIC } }))).toEqual({ alarmTopicArn: TOPIC });
    expect(alarmTopicArn(new App())).toEqual({});
    expect(() => alarmTopicArn(new App({ context: { alarmTopicArn: 'ops-alerts' } }))).toThrow(/must be the ARN of an SNS topic/);
  });
});
