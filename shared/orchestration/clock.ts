/**
 * The rollout's clock: the one workflow execution that drives it. The record owns it: a new clock
 * takes the next attempt number with a version-checked save, then starts the execution named
 * `<rolloutId>-<attempt>`, so two starters (the watchdog, a hand-over, an effect) cannot both start
 * one, and no name is used twice (docs/architecture.md, "The record owns the clock").
 */
import { RolloutPolicy } from '../core/policy';
import { type Rollout, clockName } from '../core/rollout';
import { ClockNameTakenError, VersionConflictError } from '../errors';
import type { OrchestrationContext } from './context';
import type { RolloutWriter } from './rollout-writer';

export class RolloutClock {
  constructor(
    private readonly ctx: OrchestrationContext,
    private readonly writer: RolloutWriter,
  ) {}

  /** The attempt the record names (0 for a rollout from before attempts). */
  static attemptOf(rollout: Rollout): number {
    return rollout.clock?.attempt ?? 0;
  }

  /** True when `execution` is the clock the record names now (an older one must stop driving it). */
  static isCurrent(rollout: Rollout, execution: string): boolean {
    return execution === clockName(rollout.id, RolloutClock.attemptOf(rollout));
  }

  /** Starts a clock unless the record's current one runs. Answers true when it started one. */
  async ensure(rollout: Rollout): Promise<boolean> {
    const state = await this.ctx.deps.workflow.clockState(rollout.id, RolloutClock.attemptOf(rollout));
    if (state === 'RUNNING') return false;
    return this.startNext(rollout);
  }

  /**
   * Starts the execution of `attempt`, which the save that asked for it took on the record itself (a
   * rollout's first clock, in its Started save); the record names no other clock unless a later save
   * took one, whose starter starts it. A name Step Functions already spent makes it take the next
   * attempt, as `startNext` does.
   */
  startTaken(rollout: Rollout, attempt: number): Promise<boolean> {
    return RolloutClock.attemptOf(rollout) === attempt ? this.startNext(rollout, true) : Promise.resolve(false);
  }

  /**
   * Takes the next attempt and starts its execution; false when another starter took the attempt
   * first (it starts the clock, not us). `taken`: the record's own attempt is ours already, started first.
   */
  async startNext(rollout: Rollout, taken = false): Promise<boolean> {
    let current = rollout;
    for (let i = 0; i < RolloutPolicy.clockStartAttempts; i++) {
      const next = taken && i === 0 ? current : await this.take(current, RolloutClock.attemptOf(current));
      if (!next) return false;
      try {
        await this.ctx.deps.workflow.start(next.id, RolloutClock.attemptOf(next), next);
        this.ctx.log.info('clock started', { rolloutId: next.id, attempt: RolloutClock.attemptOf(next) });
        return true;
      } catch (e) {
        if (!(e instanceof ClockNameTakenError)) throw e;
        this.ctx.log.warn('clock name already spent; taking the next attempt', { rolloutId: next.id, error: e });
        current = next;
      }
    }
    throw new ClockNameTakenError(clockName(current.id, RolloutClock.attemptOf(current)));
  }

  /**
   * Saves attempt `seen + 1` on the record, if nobody took an attempt past `seen` meanwhile. Other saves
   * in between are no reason to give up: read again and retry.
   */
  private async take(rollout: Rollout, seen: number): Promise<Rollout | null> {
    let current = rollout;
    for (let i = 0; i < RolloutPolicy.maxSaveAttempts; i++) {
      if (RolloutClock.attemptOf(current) > seen) return null;
      const next: Rollout = { ...current, clock: { attempt: seen + 1, since: this.ctx.clock().toISOString() }, version: current.version + 1 };
      try {
        await this.ctx.deps.store.save(next, current);
        return next;
      } catch (e) {
        if (!(e instanceof VersionConflictError)) throw e;
        current = await this.writer.load(rollout.id);
      }
    }
    throw new VersionConflictError(rollout.id, current.version);
  }
}
