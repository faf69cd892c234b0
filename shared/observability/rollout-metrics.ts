/**
 * The rollout metrics, decided from one saved change (`rollout` after, `previous` before): a pure
 * function, so the EMF writer (Lambda) and the in-memory counters (local `GET /metrics`) count alike.
 */
import { EventType } from '../core/events';
import type { Rollout } from '../core/rollout';
import { RolloutStatus } from '../core/status';

export const METRICS_NAMESPACE = 'RolloutOrchestrator';

export const MetricName = {
  /** The rollout took the service lock and began changing ECS (PENDING → PROGRESSING). */
  RolloutsStarted: 'RolloutsStarted',
  RolloutsSucceeded: 'RolloutsSucceeded',
  RolloutsRolledBack: 'RolloutsRolledBack',
  /** Refused before ECS was touched (signature or policy). */
  RolloutsRejected: 'RolloutsRejected',
  /** The rollback itself failed: a human must look. */
  RolloutsFailed: 'RolloutsFailed',
  /** From the alarm being recorded (ALARM_FIRED) to ROLLED_BACK, for rollbacks an alarm caused. */
  TimeToRollback: 'TimeToRollback',
} as const;
export type MetricName = (typeof MetricName)[keyof typeof MetricName];

export type MetricUnit = 'Count' | 'Milliseconds';

export const METRIC_UNITS: Readonly<Record<MetricName, MetricUnit>> = {
  RolloutsStarted: 'Count',
  RolloutsSucceeded: 'Count',
  RolloutsRolledBack: 'Count',
  RolloutsRejected: 'Count',
  RolloutsFailed: 'Count',
  TimeToRollback: 'Milliseconds',
};

export interface MetricDatum {
  readonly name: MetricName;
  readonly unit: MetricUnit;
  readonly value: number;
}

export interface RolloutMetrics {
  readonly service: string;
  readonly rolloutId: string;
  /** Epoch milliseconds of the change (the record's `updatedAt`). */
  readonly timestamp: number;
  readonly data: readonly MetricDatum[];
}

const ENDED: Partial<Record<string, MetricName>> = {
  [RolloutStatus.Succeeded]: MetricName.RolloutsSucceeded,
  [RolloutStatus.RolledBack]: MetricName.RolloutsRolledBack,
  [RolloutStatus.Rejected]: MetricName.RolloutsRejected,
  [RolloutStatus.Failed]: MetricName.RolloutsFailed,
};

const datum = (name: MetricName, value: number): MetricDatum => ({ name, unit: METRIC_UNITS[name], value });

/** What one change counts for; null when it counts for nothing. */
export function rolloutMetrics(rollout: Rollout, previous: Rollout): RolloutMetrics | null {
  if (rollout.status === previous.status) return null;
  const data: MetricDatum[] = [];
  // The STARTED event marks the start whatever path led there (a queue, a late signature, a restart).
  const added = rollout.events.slice(previous === rollout ? 0 : previous.events.length);
  if (added.some((e) => e.type === EventType.Started)) data.push(datum(MetricName.RolloutsStarted, 1));
  const ended = ENDED[rollout.status];
  if (ended) data.push(datum(ended, 1));
  if (rollout.status === RolloutStatus.RolledBack) {
    const elapsed = alarmToRollbackMs(rollout);
    if (elapsed !== null) data.push(datum(MetricName.TimeToRollback, elapsed));
  }
  if (data.length === 0) return null;
  return { service: rollout.service, rolloutId: rollout.id, timestamp: Date.parse(rollout.updatedAt), data };
}

/**
 * Milliseconds from the ALARM_FIRED that started the last rollback to its ROLLED_BACK; null when the
 * rollback had another cause. The core logs a rollback's cause just before its ROLLBACK_STARTED.
 */
export function alarmToRollbackMs(rollout: Rollout): number | null {
  const events = rollout.events;
  const done = events.findLastIndex((e) => e.type === EventType.RolledBack);
  const started = done < 0 ? -1 : events.slice(0, done).findLastIndex((e) => e.type === EventType.RollbackStarted);
  const cause = started > 0 ? events[started - 1] : undefined;
  if (!cause || cause.type !== EventType.AlarmFired) return null;
  return Math.max(0, Date.parse(events[done]!.at) - Date.parse(cause.at));
}
