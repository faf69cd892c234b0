/**
 * Local mode's metrics: the same counters as the EMF lines, kept in memory since the process started and
 * served as JSON at `GET /metrics`. (In Lambda every instance would hold its own partial counts, so there
 * the numbers live in CloudWatch instead.)
 */
import type { RolloutListener } from '../orchestration/orchestrator';
import { METRICS_NAMESPACE, METRIC_UNITS, MetricName, type MetricUnit, type RolloutMetrics, rolloutMetrics } from './rollout-metrics';

interface Summary {
  count: number;
  sum: number;
  min: number | null;
  max: number | null;
  last: number | null;
}

export interface MetricSnapshot {
  readonly unit: MetricUnit;
  /** Counts: the number of occurrences. Timings: the number of measurements. */
  readonly total: number;
  readonly byService: Readonly<Record<string, number>>;
  /** Timings only: over every service. */
  readonly summary?: Summary & { readonly avg: number | null };
}

export interface MetricsSnapshot {
  readonly namespace: string;
  readonly since: string;
  readonly metrics: Readonly<Record<MetricName, MetricSnapshot>>;
}

export class MetricsRegistry {
  private readonly since: string;
  private readonly counts = new Map<MetricName, Map<string, number>>();
  private readonly timings = new Map<MetricName, Summary>();

  constructor(now: Date = new Date()) {
    this.since = now.toISOString();
  }

  readonly listener: RolloutListener = (rollout, previous) => {
    const metrics = rolloutMetrics(rollout, previous);
    if (metrics) this.record(metrics);
  };

  record(metrics: RolloutMetrics): void {
    for (const d of metrics.data) {
      const perService = this.counts.get(d.name) ?? new Map<string, number>();
      perService.set(metrics.service, (perService.get(metrics.service) ?? 0) + (d.unit === 'Count' ? d.value : 1));
      this.counts.set(d.name, perService);
      if (d.unit !== 'Count') {
        const s = this.timings.get(d.name) ?? { count: 0, sum: 0, min: null, max: null, last: null };
        s.count += 1;
        s.sum += d.value;
        s.min = s.min === null ? d.value : Math.min(s.min, d.value);
        s.max = s.max === null ? d.value : Math.max(s.max, d.value);
        s.last = d.value;
        this.timings.set(d.name, s);
      }
    }
  }

  snapshot(): MetricsSnapshot {
    const metrics = Object.fromEntries(
      Object.values(MetricName).map((name) => {
        const byService = Object.fromEntries(this.counts.get(name) ?? []);
        const total = Object.values(byService).reduce((a, b) => a + b, 0);
        const unit = METRIC_UNITS[name];
        const timing = this.timings.get(name) ?? { count: 0, sum: 0, min: null, max: null, last: null };
        const summary = unit === 'Count' ? {} : { summary: { ...timing, avg: timing.count ? Math.round(timing.sum / timing.count) : null } };
        return [name, { unit, total, byService, ...summary }];
      }),
    ) as Record<MetricName, MetricSnapshot>;
    return { namespace: METRICS_NAMESPACE, since: this.since, metrics };
  }
}
