/**
 * How a task set's tasks move toward its computed desired count over time: one task starts every
 * `taskStartMs`, one stops every `taskStopMs`. Pure arithmetic on a stored anchor, read lazily at
 * any instant, so tests move time by moving the injected clock.
 */
import type { Fleet } from './types';

export interface FleetRates {
  /** Time for one task to start. 0 starts tasks at once. */
  readonly taskStartMs: number;
  /** Time for one task to stop. 0 stops tasks at once. */
  readonly taskStopMs: number;
}

export interface FleetReading {
  readonly running: number;
  readonly pending: number;
  readonly steady: boolean;
  /** When the stability status last changed. */
  readonly statusAt: number;
}

const stepsDone = (elapsed: number, perStep: number, wanted: number): number =>
  perStep <= 0 ? wanted : Math.min(wanted, Math.floor(elapsed / perStep));

/** The fleet at time `t`. `launchBlocked` freezes starting tasks (they stay pending). */
export const readFleet = (fleet: Fleet, t: number, rates: FleetRates, launchBlocked = false): FleetReading => {
  const { running, target, since, statusAt } = fleet;
  if (running === target) return { running, pending: 0, steady: true, statusAt };
  const elapsed = Math.max(0, t - since);
  if (target > running) {
    const wanted = target - running;
    const started = launchBlocked ? 0 : stepsDone(elapsed, rates.taskStartMs, wanted);
    if (started === wanted) {
      return { running: target, pending: 0, steady: true, statusAt: since + wanted * rates.taskStartMs };
    }
    return { running: running + started, pending: wanted - started, steady: false, statusAt };
  }
  const excess = running - target;
  const stopped = stepsDone(elapsed, rates.taskStopMs, excess);
  if (stopped === excess) {
    return { running: target, pending: 0, steady: true, statusAt: since + excess * Math.max(0, rates.taskStopMs) };
  }
  return { running: running - stopped, pending: 0, steady: false, statusAt };
};

/**
 * Re-anchors the fleet at `t` toward `target`. The stability timestamp only moves when the status
 * actually flips, as ECS reports it.
 */
export const retargetFleet = (
  fleet: Fleet,
  t: number,
  target: number,
  rates: FleetRates,
  launchBlocked = false,
): Fleet => {
  const now = readFleet(fleet, t, rates, launchBlocked);
  const steady = now.running === target;
  return { running: now.running, target, since: t, statusAt: steady === now.steady ? now.statusAt : t };
};

/** A fleet that is already at `target` (seeded services start steady). */
export const steadyFleet = (target: number, t: number): Fleet => ({ running: target, target, since: t, statusAt: t });

/** A new task set: nothing running yet. */
export const emptyFleet = (target: number, t: number): Fleet => ({ running: 0, target, since: t, statusAt: t });
