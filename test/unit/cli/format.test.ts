import { describe, expect, it } from 'vitest';
import {
  ago,
  describeWait,
  eventLine,
  makeStyle,
  clock,
  progressLine,
  rolloutDetail,
  rolloutTable,
  servicesTable,
  stepTimeline,
  table,
  visibleLength,
  wantsColor,
  weightBar,
} from '../../../cli/format';
import { DIGEST, ID, rollout } from './fixtures';

const NOW = new Date('2026-01-01T10:03:00.000Z');

describe('human output', () => {
  it('draws the weight bar', () => {
    expect(weightBar(50, 10)).toBe('[#####.....] 50%');
    expect(weightBar(0, 10)).toBe('[..........] 0%');
    expect(weightBar(100, 10)).toBe('[##########] 100%');
    expect(weightBar(20)).toBe(`[${'#'.repeat(4)}${'.'.repeat(16)}] 20%`);
  });

  it('aligns table columns on the visible text, colour codes or not', () => {
    const color = makeStyle(true);
    const out = table(['A', 'B'], [[color.red('long value'), 'x'], ['s', 'y']], color).split('\n');
    expect(out.map(visibleLength)).toEqual([13, 13, 13]);
    expect(table(['NAME', 'X'], [['a', 'b']])).toBe('NAME  X\na     b');
  });

  it('colours only a terminal that wants it', () => {
    expect(wantsColor(true, {}, false)).toBe(true);
    expect(wantsColor(false, {}, false)).toBe(false);
    expect(wantsColor(true, { NO_COLOR: '1' }, false)).toBe(false);
    expect(wantsColor(true, {}, true)).toBe(false);
    expect(wantsColor(true, { TERM: 'dumb' }, false)).toBe(false);
    expect(rolloutDetail(rollout(), NOW)).not.toContain('\x1b');
  });

  it('shows the step timeline with each step status', () => {
    const lines = stepTimeline(rollout());
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\[x\] +1\/3 +setWeight 50% +COMPLETED/);
    expect(lines[1]).toMatch(/^\[>\] +2\/3 +pause until approved +RUNNING/);
    expect(lines[2]).toMatch(/^\[ \] +3\/3 +setWeight 100% +PENDING$/);
  });

  it('says where the rollout stands in one line', () => {
    expect(progressLine(rollout())).toBe('[##########..........] 50%  PAUSED  step 2/3 pause until approved  (waiting for approval)');
    expect(describeWait({ for: 'lock', behind: 'other' })).toBe('queued behind other');
    // Blue-green after the switch: the bake is the old set's scaleDownDelay.
    const until = '2026-01-01T10:05:00.000Z';
    expect(progressLine(rollout({ status: 'PROMOTING', canaryWeight: 100, currentStep: 3, wait: { for: 'bake', until } }))).toContain(
      `PROMOTING  (production on the new task set; the old one kept until ${clock(until)} (scaleDownDelay): abort switches back)`,
    );
    expect(describeWait({ for: 'hold', reason: 'alarm web-5xx is ALARM', since: '2026-01-01T10:00:00.000Z', resume: null })).toBe('held: alarm web-5xx is ALARM');
  });

  it('lists rollouts as a table', () => {
    const text = rolloutTable([rollout(), rollout({ id: '01m8jb8yrx04r7fj816qgfdg95', status: 'SUCCEEDED', canaryWeight: 100, currentStep: 3 })], NOW);
    const [head, first, second] = text.split('\n');
    expect(head).toMatch(/^ID +SERVICE +STATUS +WEIGHT +STEP +IMAGE +CREATED$/);
    expect(first).toMatch(new RegExp(`^${ID} +web +PAUSED +50% +2/3 +v2 sha256:abababababab +3m ago$`));
    expect(second).toMatch(/SUCCEEDED +100% +3\/3/);
    expect(rolloutTable([], NOW)).toBe('no rollouts');
  });

  it('shows one rollout in full: fields, steps, approvals and events', () => {
    const r = rollout({ approvals: [{ by: 'ann', credential: null, comment: 'p99 fine', at: '2026-01-01T10:01:00.000Z', step: 1 }], reason: 'aborted by bob' });
    const text = rolloutDetail(r, NOW);
    expect(text).toContain(`Rollout   ${ID}`);
    expect(text).toContain(`Image     127.0.0.1:5000/team/web:v2@${DIGEST}`);
    expect(text).toContain('Canary    [##########..........] 50%');
    expect(text).toContain('Signature cosign-key keys/test.pub (key ffffffffffff)');
    expect(text).toContain('Reason    aborted by bob');
    expect(text).toMatch(/Approvals\n {2}BY +AT +STEP +COMMENT\n {2}ann +\d\d:\d\d:\d\d +2 +p99 fine/);
    expect(text).toMatch(/Events\n {2}\d\d:\d\d:\d\d {2}CREATED {13}created/);
  });

  it('prints an event as time, type and message', () => {
    expect(eventLine({ seq: 3, at: '2026-01-01T10:00:00.000Z', type: 'ALARM_FIRED', message: 'alarm web-5xx fired' })).toMatch(/^\d\d:\d\d:\d\d {2}ALARM_FIRED {9}alarm web-5xx fired$/);
  });

  it('lists services with their stable digest and active rollout', () => {
    const text = servicesTable([
      { name: 'web', cluster: 'demo', service: 'web', image: 'r/web', stable: DIGEST, stableImage: null, activeRollout: ID, steps: [{ setWeight: 50 }, { pause: {} }], alarms: ['web-5xx'] },
      { name: 'api', cluster: 'demo', service: 'api', image: 'r/api', stable: null, stableImage: null, activeRollout: null, steps: [{ setWeight: 100 }], alarms: [], ecsError: 'ServiceNotFoundException' },
    ]);
    expect(text).toMatch(new RegExp(`web +demo/web +sha256:abababababab +${ID} +setWeight 50%, pause until approved +web-5xx`));
    expect(text).toMatch(/api +demo\/api +unknown \(ServiceNotFoundException\) +- +setWeight 100% +-/);
  });

  it('says how long ago', () => {
    expect(ago('2026-01-01T10:02:55.000Z', NOW)).toBe('5s ago');
    expect(ago('2026-01-01T07:00:00.000Z', NOW)).toBe('3h ago');
    expect(ago('2025-12-25T10:00:00.000Z', NOW)).toBe('7d ago');
  });
});
