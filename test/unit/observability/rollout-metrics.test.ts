import { describe, expect, it } from 'vitest';
import { alarmToRollbackMs, rolloutMetrics } from '../../../shared/observability/rollout-metrics';
import { apply, verified } from '../core/rollout-builders';
import { rolloutStates } from './rollout-states';

const s = rolloutStates();
const names = (m: ReturnType<typeof rolloutMetrics>) => m?.data.map((d) => `${d.name}=${d.value}`) ?? null;

describe('rollout metrics', () => {
  it.each([
    ['a creation', s.pending, s.pending, null],
    ['the signature verified and the lock taken', s.started, s.pending, ['RolloutsStarted=1']],
    ['a weight change (no status change)', s.atWeight20, s.started, null],
    ['success', s.succeeded, s.finalizing, ['RolloutsSucceeded=1']],
    ['a rejected signature', s.rejected, s.pending, ['RolloutsRejected=1']],
    ['a failed rollback', s.failed, s.rollingBack, ['RolloutsFailed=1']],
  ])('count %s', (_what, after, before, expected) => {
    expect(names(rolloutMetrics(after, before))).toEqual(expected);
  });

  it('count a rollback an alarm caused with the time from the alarm to the rollback, in milliseconds', () => {
    const rollingBack = apply(s.atWeight20, [[{ type: 'AlarmFired', alarm: 'web-5xx', reason: null }, 10]]);
    const rolledBack = apply(rollingBack, [[{ type: 'RolledBack' }, 10.25]]);
    const metrics = rolloutMetrics(rolledBack, rollingBack)!;
    expect(metrics).toMatchObject({ service: 'web', rolloutId: 'r1', timestamp: Date.parse(rolledBack.updatedAt) });
    expect(metrics.data).toEqual([
      { name: 'RolloutsRolledBack', unit: 'Count', value: 1 },
      { name: 'TimeToRollback', unit: 'Milliseconds', value: 250 },
    ]);
  });

  it('measure no alarm time for a rollback with another cause, even after an earlier alarm-free abort', () => {
    const aborted = apply(s.atWeight20, [[{ type: 'Abort', by: 'ann', reason: null }, 5], [{ type: 'RolledBack' }, 6]]);
    expect(alarmToRollbackMs(aborted)).toBeNull();
    expect(names(rolloutMetrics(aborted, s.atWeight20))).toEqual(['RolloutsRolledBack=1']);
    // A queued rollout aborted before it started rolls back without a rollback step: counted, not timed.
    const pendingAborted = apply(s.pending, [verified, { type: 'Abort', by: 'ann', reason: null }]);
    expect(names(rolloutMetrics(pendingAborted, s.pending))).toEqual(['RolloutsRolledBack=1']);
  });
});
