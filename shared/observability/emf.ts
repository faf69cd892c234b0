/**
 * CloudWatch embedded metric format: a JSON log line that CloudWatch Logs turns into metrics, with no
 * PutMetricData call (and no extra latency or IAM) in the Lambda. One line per counted change, with the
 * `Service` dimension; the rollout id rides along as a property, searchable in Logs Insights.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
import type { RolloutListener } from '../orchestration/orchestrator';
import { METRICS_NAMESPACE, type RolloutMetrics, rolloutMetrics } from './rollout-metrics';

export function emfRecord(metrics: RolloutMetrics, namespace = METRICS_NAMESPACE): Record<string, unknown> {
  const values = Object.fromEntries(metrics.data.map((d) => [d.name, d.value]));
  return {
    _aws: {
      Timestamp: metrics.timestamp,
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: [['Service']],
          Metrics: metrics.data.map((d) => ({ Name: d.name, Unit: d.unit })),
        },
      ],
    },
    Service: metrics.service,
    rolloutId: metrics.rolloutId,
    ...values,
  };
}

/**
 * An orchestrator listener that writes one EMF line per counted change. `write` defaults to stdout, where
 * Lambda hands each line to CloudWatch Logs as is (console.log would prefix it and break the JSON).
 */
export function emfMetricsListener(write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): RolloutListener {
  return (rollout, previous) => {
    const metrics = rolloutMetrics(rollout, previous);
    if (metrics) write(JSON.stringify(emfRecord(metrics)));
  };
}

/** The watchdog's re-drives: a rollout that had no running clock got a new one (docs/architecture.md, "The watchdog"). */
export const WATCHDOG_REDRIVES = { name: 'WatchdogRedrives', dimension: 'Source', source: 'watchdog' } as const;

/**
 * One EMF line counting the rollouts the watchdog re-drove in one sweep or on one execution's end,
 * with their ids as a property. A healthy orchestrator re-drives rarely (a crashed or stopped
 * execution); re-drives that keep coming mean a rollout that cannot keep a clock.
 */
export function emfWatchdogRedrives(rolloutIds: readonly string[], timestamp: number, namespace = METRICS_NAMESPACE): Record<string, unknown> {
  return {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [{ Namespace: namespace, Dimensions: [[WATCHDOG_REDRIVES.dimension]], Metrics: [{ Name: WATCHDOG_REDRIVES.name, Unit: 'Count' }] }],
    },
    [WATCHDOG_REDRIVES.dimension]: WATCHDOG_REDRIVES.source,
    rolloutIds: [...rolloutIds],
    [WATCHDOG_REDRIVES.name]: rolloutIds.length,
  };
}
