/**
 * The EMF shape, checked against the specification's rules: one `_aws` object with an integer epoch-ms
 * Timestamp and CloudWatchMetrics directives; every dimension and metric the directive names is a member
 * of the root object, dimensions as strings and metric values as numbers; units from CloudWatch's list.
 */
import { describe, expect, it } from 'vitest';
import { emfMetricsListener, emfRecord, emfWatchdogRedrives } from '../../../shared/observability/emf';
import { rolloutMetrics } from '../../../shared/observability/rollout-metrics';
import { apply } from '../core/rollout-builders';
import { rolloutStates } from './rollout-states';

const UNITS = new Set(['Seconds', 'Microseconds', 'Milliseconds', 'Bytes', 'Count', 'Percent', 'None']);

function expectValidEmf(record: Record<string, any>) {
  expect(Object.keys(record._aws).sort()).toEqual(['CloudWatchMetrics', 'Timestamp']);
  expect(Number.isInteger(record._aws.Timestamp)).toBe(true);
  for (const directive of record._aws.CloudWatchMetrics) {
    expect(directive.Namespace).toMatch(/^[\w.#:/ -]{1,255}$/);
    expect(directive.Dimensions.length).toBeGreaterThan(0);
    for (const set of directive.Dimensions) {
      expect(set.length).toBeLessThanOrEqual(30);
      for (const key of set) expect(typeof record[key]).toBe('string');
    }
    expect(directive.Metrics.length).toBeLessThanOrEqual(100);
    for (const metric of directive.Metrics) {
      expect(UNITS.has(metric.Unit)).toBe(true);
      expect(typeof record[metric.Name]).toBe('number');
    }
  }
}

describe('embedded metric format', () => {
  const s = rolloutStates();
  const rollingBack = apply(s.atWeight20, [[{ type: 'AlarmFired', alarm: 'web-5xx', reason: null }, 10]]);
  const rolledBack = apply(rollingBack, [[{ type: 'RolledBack' }, 11]]);

  it('writes the namespace RolloutOrchestrator with the Service dimension and the rollout id as a property', () => {
    const record = emfRecord(rolloutMetrics(rolledBack, rollingBack)!);
    expectValidEmf(record);
    expect(record).toEqual({
      _aws: {
        Timestamp: Date.parse(rolledBack.updatedAt),
        CloudWatchMetrics: [
          {
            Namespace: 'RolloutOrchestrator',
            Dimensions: [['Service']],
            Metrics: [
              { Name: 'RolloutsRolledBack', Unit: 'Count' },
              { Name: 'TimeToRollback', Unit: 'Milliseconds' },
            ],
          },
        ],
      },
      Service: 'web',
      rolloutId: 'r1',
      RolloutsRolledBack: 1,
      TimeToRollback: 1000,
    });
  });

  it('writes one JSON line per counted change from an orchestrator listener, and nothing for the rest', async () => {
    const lines: string[] = [];
    const listener = emfMetricsListener((line) => lines.push(line));
    await listener(s.atWeight20, s.started);
    await listener(s.started, s.pending);
    await listener(s.succeeded, s.finalizing);
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).not.toContain('\n');
      expectValidEmf(JSON.parse(line));
    }
    expect(JSON.parse(lines[0]!)).toMatchObject({ RolloutsStarted: 1, Service: 'web' });
    expect(JSON.parse(lines[1]!)).toMatchObject({ RolloutsSucceeded: 1 });
  });
});

describe('the watchdog re-drive metric', () => {
  it('counts the re-driven rollouts under Source=watchdog, with their ids as a property', () => {
    const record = emfWatchdogRedrives(['r1', 'r2'], 1_700_000_000_000);
    expectValidEmf(record);
    expect(record).toEqual({
      _aws: {
        Timestamp: 1_700_000_000_000,
        CloudWatchMetrics: [{ Namespace: 'RolloutOrchestrator', Dimensions: [['Source']], Metrics: [{ Name: 'WatchdogRedrives', Unit: 'Count' }] }],
      },
      Source: 'watchdog',
      rolloutIds: ['r1', 'r2'],
      WatchdogRedrives: 2,
    });
  });
});
