/**
 * CloudWatch alarms on the orchestrator itself, so that its own trouble reaches a human: events that
 * failed every retry (the dead-letter queue is not empty), a rollout FAILED (its rollback failed and it
 * holds its service's lock until someone looks), the watchdog re-driving rollouts again and again (a
 * rollout that cannot keep a clock), and errors of each Lambda function. Each alarm notifies the SNS
 * topic given, when one is.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { WATCHDOG_REDRIVES } from '../shared/observability/emf';
import { METRICS_NAMESPACE, MetricName } from '../shared/observability/rollout-metrics';
import type { RolloutFunctionName } from './rollout-functions';

export interface RolloutAlarmsProps {
  readonly functions: Readonly<Record<RolloutFunctionName, lambda.IFunction>>;
  /** The event rules' and functions' dead-letter queue. */
  readonly deadLetterQueue: sqs.IQueue;
  /** The configured services: one FAILED alarm each (the metric has the `Service` dimension). */
  readonly services: readonly string[];
  /**
   * Where the alarms notify (on ALARM and back to OK).
   * @default none: the alarms only change state
   */
  readonly topic?: sns.ITopic;
}

/** Re-drives per 5 minutes, in each of 3 periods in a row: the watchdog sweeps every minute. */
export const REDRIVE_ALARM = { perPeriod: 3, periods: 3 } as const;

export class RolloutAlarms extends Construct {
  readonly deadLetters: cloudwatch.Alarm;
  /** By service name. */
  readonly rolloutFailed: Readonly<Record<string, cloudwatch.Alarm>>;
  readonly watchdogRedrives: cloudwatch.Alarm;
  /** By function name. */
  readonly functionErrors: Readonly<Record<RolloutFunctionName, cloudwatch.Alarm>>;
  readonly all: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: RolloutAlarmsProps) {
    super(scope, id);
    const fiveMinutes = Duration.minutes(5);
    this.deadLetters = new cloudwatch.Alarm(this, 'DeadLetters', {
      alarmDescription: 'Rollout orchestrator: events failed every retry and wait in the dead-letter queue (read them, then redrive or purge).',
      metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: 'Maximum' }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.rolloutFailed = Object.fromEntries(
      props.services.map((service) => [
        service,
        new cloudwatch.Alarm(this, `RolloutFailed-${service}`, {
          alarmDescription: `Rollout orchestrator: a rollout of ${service} is FAILED (its rollback failed): look at ECS, then abort it again to retry the rollback.`,
          metric: new cloudwatch.Metric({
            namespace: METRICS_NAMESPACE,
            metricName: MetricName.RolloutsFailed,
            dimensionsMap: { Service: service },
            statistic: 'Sum',
            period: fiveMinutes,
          }),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      ]),
    );
    this.watchdogRedrives = new cloudwatch.Alarm(this, 'WatchdogRedrives', {
      alarmDescription:
        'Rollout orchestrator: the watchdog keeps re-driving rollouts (a rollout that cannot keep its clock); the rolloutIds of its WatchdogRedrives log lines name them.',
      metric: new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: WATCHDOG_REDRIVES.name,
        dimensionsMap: { [WATCHDOG_REDRIVES.dimension]: WATCHDOG_REDRIVES.source },
        statistic: 'Sum',
        period: fiveMinutes,
      }),
      threshold: REDRIVE_ALARM.perPeriod,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: REDRIVE_ALARM.periods,
      datapointsToAlarm: REDRIVE_ALARM.periods,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.functionErrors = Object.fromEntries(
      (Object.entries(props.functions) as [RolloutFunctionName, lambda.IFunction][]).map(([name, fn]) => [
        name,
        new cloudwatch.Alarm(this, `Errors-${name}`, {
          alarmDescription: `Rollout orchestrator: the ${name} function failed (see its log group).`,
          metric: fn.metricErrors({ period: fiveMinutes, statistic: 'Sum' }),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      ]),
    ) as Record<RolloutFunctionName, cloudwatch.Alarm>;
    this.all = [this.deadLetters, ...Object.values(this.rolloutFailed), this.watchdogRedrives, ...Object.values(this.functionErrors)];
    if (props.topic) {
      const notify = new actions.SnsAction(props.topic);
      for (const alarm of this.all) {
        alarm.addAlarmAction(notify);
        alarm.addOkAction(notify);
      }
    }
  }
}
