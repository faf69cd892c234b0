/**
 * The watchdog: the record is the truth and an execution only its clock, so every active rollout
 * without a running clock is driven again. It runs on a schedule and when an execution ends (Step
 * Functions' execution status-change events in AWS, the local stand-in's in local mode), and it also
 * makes deadlines act on time: a callback wait whose approval deadline or steady timeout has passed is
 * answered, so the next Advance decides (a signature deadline needs no help: its look is a Wait state
 * that never lasts past it). See docs/architecture.md, "The watchdog".
 */
import { type Rollout, clockName } from '../core/rollout';
import { RolloutStatus, isTerminal } from '../core/status';
import { type OrchestrationContext, errorMessage } from './context';
import { RolloutClock } from './clock';
import type { DeliveryIntake } from './delivery-intake';
import type { EffectRunner } from './effect-runner';
import type { RolloutWriter } from './rollout-writer';
import { type ServiceLock, waitsForLock } from './service-lock';

export interface SweepReport {
  /** Rollouts whose clock was started again. */
  readonly redriven: readonly string[];
  /** Rollouts whose callback wait was answered (a deadline passed, or an answer was owed). */
  readonly woken: readonly string[];
  /** Rollouts listed as active that had ended (or no longer exist): skipped, and an earlier version's entry of theirs removed. */
  readonly forgotten: readonly string[];
  /** Rollouts the watchdog could not look after this time, with why: the next sweep tries again. */
  readonly failed: readonly { readonly rolloutId: string; readonly error: string }[];
  /** Webhook deliveries received long ago and never processed, dispatched again. */
  readonly deliveries: readonly string[];
}

export class Watchdog {
  constructor(
    private readonly ctx: OrchestrationContext,
    private readonly writer: RolloutWriter,
    private readonly runner: EffectRunner,
    private readonly lock: ServiceLock,
    private readonly clock: RolloutClock,
    private readonly deliveries: DeliveryIntake,
  ) {}

  /** Looks after every active rollout once, and after every delivery whose work was lost. */
  async sweep(): Promise<SweepReport> {
    const report = { redriven: [] as string[], woken: [] as string[], forgotten: [] as string[], failed: [] as { rolloutId: string; error: string }[], deliveries: [] as string[] };
    try {
      report.deliveries.push(...(await this.deliveries.redispatch(this.ctx.opts.deliveryRedispatchSeconds)));
    } catch (e) {
      this.ctx.log.warn('watchdog could not look for unprocessed deliveries', { error: errorMessage(e) });
    }
    for (const id of await this.ctx.deps.store.listActive()) {
      try {
        await this.look(id, report);
      } catch (e) {
        this.ctx.log.warn('watchdog could not look after a rollout', { rolloutId: id, error: e });
        report.failed.push({ rolloutId: id, error: errorMessage(e) });
      }
    }
    if (report.redriven.length + report.woken.length > 0) this.ctx.log.info('watchdog sweep', { ...report });
    return report;
  }

  /**
   * An execution ended (succeeded, failed, timed out, aborted): if it was the clock of a rollout that
   * is still active, the rollout gets a new one; if that rollout was rolled back and the execution did
   * not succeed, a weight call that landed after its rollback is undone (`EffectRunner.undoLateWeights`).
   * Answers the rollout id when it re-drove one. `output` is the execution's output when the
   * status-change event carries it (a succeeded execution): one whose last Advance found its rollout
   * ended for good needs no look at the record. `status`: how the execution ended (taken from `output`
   * when not given: only a succeeded one has an output).
   */
  async executionEnded(executionName: string, output?: string | null, status?: string): Promise<string | null> {
    const id = rolloutIdOf(executionName);
    if (id && endedForGood(id, output)) return null;
    const rollout = id ? await this.writer.find(id) : null;
    if (!rollout) {
      this.ctx.log.info('an execution ended for no known rollout', { execution: executionName });
      return null;
    }
    if (executionName !== clockName(rollout.id, RolloutClock.attemptOf(rollout))) return null;
    // Ended without succeeding: its last step may have died between a weight call and its look.
    if (status === undefined ? output == null : status !== 'SUCCEEDED') await this.runner.undoLateWeights(rollout);
    if (!needsClock(rollout)) return null;
    return (await this.clock.ensure(rollout)) ? rollout.id : null;
  }

  private async look(id: string, report: { redriven: string[]; woken: string[]; forgotten: string[] }): Promise<void> {
    const rollout = await this.writer.find(id);
    if (!rollout || isTerminal(rollout.status)) {
      if (rollout) await this.lock.letGoIfEnded(rollout);
      // A FAILED rollout keeps its lock for a human and needs no clock; an answer may still be owed.
      if (rollout?.taskToken) await this.answer(rollout, report);
      await this.ctx.deps.store.forgetActive(id);
      report.forgotten.push(id);
      return;
    }
    if (rollout.taskToken && (owesAnswer(rollout) || this.deadlinePassed(rollout))) await this.answer(rollout, report);
    if (waitsForLock(rollout)) await this.backInLine(rollout, report);
    if (needsClock(rollout) && (await this.clock.ensure(rollout))) report.redriven.push(id);
  }

  /**
   * A verified rollout waiting for the service lock is moved on by the lock's release, through the
   * queue. One whose queue entry was never written (the process died between recording the signature
   * and asking for the lock), or whose entry the lock's mark does not cover (the process died between
   * the two, or the entry is older than the mark: the release read no queue), would wait for ever: it
   * asks again when the lock is free (or already its own), and is put back in line (entry and mark)
   * otherwise.
   */
  private async backInLine(rollout: Rollout, report: { redriven: string[] }): Promise<void> {
    let holder = await this.lock.holder(rollout.service);
    if (holder !== null && holder !== rollout.id) {
      // A holder that has ended and still holds the lock (its release was lost, and nothing that ran
      // it again was left: the index no longer lists it) lets go first.
      const held = await this.ctx.deps.store.get(holder).catch(() => null);
      if (held && isTerminal(held.status)) {
        await this.lock.letGoIfEnded(held);
        holder = await this.lock.holder(rollout.service);
      }
    }
    if (holder === null || holder === rollout.id) {
      const after = await this.lock.acquire(rollout);
      if (after.status !== rollout.status) report.redriven.push(rollout.id);
    } else {
      await this.lock.backInLine(rollout);
    }
  }

  private async answer(rollout: Rollout, report: { woken: string[] }): Promise<void> {
    const after = await this.runner.wake(rollout, rollout.taskToken);
    if (after.taskToken !== rollout.taskToken) report.woken.push(rollout.id);
  }

  /** A deadline the rollout waits under a callback for has passed: the next Advance acts on it. */
  private deadlinePassed(rollout: Rollout): boolean {
    const now = this.ctx.clock().getTime();
    const wait = rollout.wait;
    if (wait?.for === 'approval' && wait.until) return now >= Date.parse(wait.until);
    if (wait?.for === 'steady') return now - Date.parse(wait.since) > rollout.steadyTimeoutSeconds * 1000;
    return false;
  }
}

/** The rollout an execution drives: `<rolloutId>-<attempt>`, or `<rolloutId>` for the first ones. */
export function rolloutIdOf(executionName: string): string | null {
  const match = /^([0-9A-Za-z]+)(?:-\d+)?$/.exec(executionName);
  return match ? match[1]! : null;
}

/** Statuses no rollout leaves (FAILED does, when an abort retries its rollback). */
const ENDED_FOR_GOOD: readonly string[] = [RolloutStatus.Succeeded, RolloutStatus.RolledBack, RolloutStatus.Rejected];

/**
 * Whether an execution's output says its last Advance found rollout `id` ended for good: the state
 * machine's output is its input with Advance's directive (`{ rolloutId, directive: { next, status } }`).
 */
function endedForGood(id: string, output: string | null | undefined): boolean {
  if (!output) return false;
  try {
    const parsed = JSON.parse(output) as { rolloutId?: unknown; directive?: { next?: unknown; status?: unknown } };
    return parsed.rolloutId === id && parsed.directive?.next === 'DONE' && ENDED_FOR_GOOD.includes(String(parsed.directive.status));
  } catch {
    return false;
  }
}

/** Active and driven by a clock: everything but ended rollouts and PENDING ones moved on by events alone. */
function needsClock(rollout: Rollout): boolean {
  if (isTerminal(rollout.status)) return false;
  if (rollout.status !== RolloutStatus.Pending) return true;
  // PENDING: the clock looks for a late signature until its deadline; a queued one waits for the lock's release.
  return rollout.wait?.for === 'signature' && Boolean(rollout.wait.until) && !rollout.signature;
}

/** A token kept on a record that no longer waits under it: its answer failed and is owed. */
function owesAnswer(rollout: Rollout): boolean {
  const waitsUnderToken = (rollout.status === RolloutStatus.Paused && (rollout.wait?.for === 'approval' || rollout.wait?.for === 'manual')) || (rollout.status === RolloutStatus.Progressing && rollout.wait?.for === 'steady');
  return !waitsUnderToken;
}
