import { describe, expect, it } from 'vitest';
import { emptyFleet, readFleet, retargetFleet, steadyFleet } from '../../../local/ecs-emulator/fleet';

const RATES = { taskStartMs: 1000, taskStopMs: 200 };

describe('task set fleet arithmetic', () => {
  it.each([
    { after: 0, running: 0, pending: 3, steady: false, statusAt: 0 },
    { after: 999, running: 0, pending: 3, steady: false, statusAt: 0 },
    { after: 1000, running: 1, pending: 2, steady: false, statusAt: 0 },
    { after: 2500, running: 2, pending: 1, steady: false, statusAt: 0 },
    { after: 3000, running: 3, pending: 0, steady: true, statusAt: 3000 },
    { after: 90_000, running: 3, pending: 0, steady: true, statusAt: 3000 },
  ])('starts one task per taskStartMs: $after ms after creation, $running run', ({ after, ...reading }) => {
    expect(readFleet(emptyFleet(3, 0), after, RATES)).toEqual(reading);
  });

  it('stops tasks one per taskStopMs and becomes steady when the last one stops', () => {
    const fleet = retargetFleet(steadyFleet(4, 0), 10_000, 1, RATES);
    expect(readFleet(fleet, 10_000, RATES)).toMatchObject({ running: 4, pending: 0, steady: false, statusAt: 10_000 });
    expect(readFleet(fleet, 10_400, RATES)).toMatchObject({ running: 2, steady: false });
    expect(readFleet(fleet, 10_600, RATES)).toEqual({ running: 1, pending: 0, steady: true, statusAt: 10_600 });
  });

  it('starts and stops at once with zero rates', () => {
    const instant = { taskStartMs: 0, taskStopMs: 0 };
    expect(readFleet(emptyFleet(5, 100), 100, instant)).toEqual({ running: 5, pending: 0, steady: true, statusAt: 100 });
    expect(readFleet(retargetFleet(steadyFleet(5, 0), 50, 0, instant), 50, instant)).toMatchObject({ running: 0, steady: true });
  });

  it('keeps the stability time when a change does not flip the status', () => {
    const steady = steadyFleet(2, 0);
    expect(retargetFleet(steady, 5000, 2, RATES).statusAt).toBe(0);
    const growing = retargetFleet(steady, 5000, 4, RATES);
    expect(growing.statusAt).toBe(5000);
    // Still stabilizing after a second change: it has been so since the first one.
    expect(retargetFleet(growing, 5500, 6, RATES)).toEqual({ running: 2, target: 6, since: 5500, statusAt: 5000 });
  });

  it('carries progress already made into the new target', () => {
    const fleet = retargetFleet(emptyFleet(4, 0), 2000, 3, RATES);
    expect(fleet).toMatchObject({ running: 2, target: 3, since: 2000 });
    expect(readFleet(fleet, 3000, RATES)).toMatchObject({ running: 3, steady: true, statusAt: 3000 });
  });

  it('leaves blocked launches pending for ever', () => {
    expect(readFleet(emptyFleet(2, 0), 1_000_000, RATES, true)).toEqual({ running: 0, pending: 2, steady: false, statusAt: 0 });
  });
});
