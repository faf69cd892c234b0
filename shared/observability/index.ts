export { emfMetricsListener, emfRecord } from './emf';
export { REDACTED, scrubbing, withFields } from './loggers';
export { MetricsRegistry, type MetricSnapshot, type MetricsSnapshot } from './metrics-registry';
export { type OperatorFeatures, type OperatorWiringOptions, PUBLIC_URL_ENV, wireOperatorFeatures } from './operator-wiring';
export { rolloutEventLogger } from './rollout-log';
export { METRICS_NAMESPACE, METRIC_UNITS, MetricName, type MetricDatum, type RolloutMetrics, alarmToRollbackMs, rolloutMetrics } from './rollout-metrics';
