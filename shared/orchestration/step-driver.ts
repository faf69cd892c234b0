/**
 * The step driver: what the workflow's clock calls. `advance` moves a rollout as far as it can go now
 * (pre-step checks, the Tick, steady state) and answers what to wait for next; `recover` is the
 * workflow's catch-all; `registerApprovalWait` keeps the approval wait's task token; `resume` re-drives
 * every active rollout after a restart. Safe to call at any time and any number of times: each only
 * acts on what the record says.
 */
import { CARRIED_STATUSES, carry } from '../core/carried-record';
import { type Directive, nextDirective } from '../core/directive';
import { needsStableLook, preStepVerdict, type PreStepObservations } from '../core/pre-step-checks';
import type { Rollout } from '../core/rollout';
import type { RolloutInput } from '../core/commands';
import { ROLLOUT_ID_PATTERN } from '../core/ids';
import { RolloutStatus, holdsEcs, isTerminal } from '../core/status';
import { RolloutPolicy } from '../core/policy';
import { RolloutNotFoundError } from '../errors';
import { RolloutClock } from './clock';
import { errorMessage, type OrchestrationContext, target } from './context';
import type { EffectRunner, WeightCheck } from './effect-runner';
import type { Intake } from './intake';
import type { RolloutWriter } from './rollout-writer';
import type { ServiceLock } from './service-lock';
import type { ServiceView, TaskSetView } from '../ports';

/** Which execution calls a step handler, and its turn of the loop; absent for callers that are no execution. */
export interface ClockCall {
  /** The execution's name (`<rolloutId>-<attempt>`). */
  readonly execution?: string;
  readonly turn?: number;
}

/**
 * The driver's saves: a version conflict answers the stored record, and the loop decides from it from the
 * top (its clock, its rollback guard, its looks at ECS come first), rather than the writer deciding the
 * same input again on it and running that decision's effects.
 */
const DECIDE_HERE = { redecide: false } as const;

export class StepDriver {
  /** Services whose ECS state is being looked at for an event: whether the look has asked ECS yet, and whether another event came since. */
  private readonly ecsLooks = new Map<string, { asked: boolean; again: boolean }>();

  constructor(
    private readonly ctx: OrchestrationContext,
    private readonly writer: RolloutWriter,
    private readonly runner: EffectRunner,
    private readonly lock: ServiceLock,
    private readonly intake: () => Promise<Intake>,
    private readonly clock: RolloutClock,
  ) {}

  /**
   * What the workflow does next. A callback wait (STEADY, APPROVAL) carries the version of the record it
   * was decided from, so that the wait keeps its token on that record without reading it (`keepToken`);
   * a WAIT carries the record itself, for the Advance after the Wait.
   */
  private directive(rollout: Rollout): Directive {
    const directive = nextDirective(rollout, this.ctx.clock(), { steadyPollSeconds: this.ctx.opts.steadyPollSeconds });
    if (directive.next === 'STEADY' || directive.next === 'APPROVAL') return { ...directive, version: rollout.version };
    // The Advance after the Wait decides from this record (its saves are conditioned on its version).
    return directive.next === 'WAIT' ? { ...directive, carried: carry(rollout) } : directive;
  }

  /**
   * Moves the rollout as far as it can go now and answers what the workflow waits for next. An
   * execution the record no longer names as its clock stops (a newer one drives the rollout); one that
   * has turned long enough hands over to a fresh execution, so no history grows without bound.
   * `carried`: the record the workflow handed on (a new execution's input, a callback wait's answer, a
   * WAIT directive), decided from instead of a read, and unconfirmed until a save made from it or a read
   * confirms it (shared/core/carried-record.ts says what that rules out).
   */
  async advance(id: string, call?: ClockCall, carried?: Rollout | null): Promise<Directive> {
    const handed = carried?.id === id && CARRIED_STATUSES.has(carried.status) ? carried : null;
    return this.advanceFrom(handed ?? (await this.writer.load(id)), call, handed !== null);
  }

  /** `advance` from this record; `handed`: one the workflow handed on, not confirmed by the store yet. */
  private async advanceFrom(rollout: Rollout, call: ClockCall | undefined, handed: boolean): Promise<Directive> {
    const id = rollout.id;
    const stale = this.staleClock(rollout, call);
    if (stale) return stale;
    // Called by the workflow, a weight call's look for newer intents may be left to the steady wait
    // that follows (`converge` on the directive): it keeps its token under the version of the call.
    const { directive, unconfirmed } = await this.advanceRollout(rollout, call?.execution, handed);
    if (unconfirmed) {
      // Decided from the handed-on record with nothing done and no save to confirm it: read it before
      // answering, and decide again from the record read if it had moved on (an abort during the bake).
      const stored = await this.writer.load(id);
      if (stored.version !== rollout.version) return this.advanceFrom(stored, call, false);
    }
    const next = await this.nextTurn(id, directive, call);
    // Handed over instead: no wait follows, so the look is made now.
    if (directive.next === 'STEADY' && directive.converge && next.next !== 'STEADY') await this.runner.converge(await this.writer.load(id));
    return next;
  }

  /** DONE for an execution that is not the record's clock any more; null for the current one. */
  private staleClock(rollout: Rollout, call: ClockCall | undefined): Directive | null {
    if (!call?.execution) return null;
    if (RolloutClock.isCurrent(rollout, call.execution)) return null;
    this.ctx.log.info('a newer clock drives this rollout; this execution stops', { rolloutId: rollout.id, execution: call.execution, attempt: RolloutClock.attemptOf(rollout) });
    return { next: 'DONE', status: rollout.status };
  }

  private async nextTurn(id: string, directive: Directive, call: ClockCall | undefined): Promise<Directive> {
    if (!call) return directive;
    const turn = (call.turn ?? 0) + 1;
    if (directive.next === 'DONE' || !call.execution || turn < RolloutPolicy.handoverTurns) return { ...directive, turn };
    const rollout = await this.writer.load(id);
    // Only the record's own clock hands over (a retried Advance of one that has may come after it).
    if (!RolloutClock.isCurrent(rollout, call.execution)) return { next: 'DONE', status: rollout.status, turn };
    await this.clock.startNext(rollout);
    this.ctx.log.info('clock handed over to a fresh execution', { rolloutId: id, execution: call.execution, turn });
    return { next: 'DONE', status: rollout.status, turn };
  }

  /**
   * `deferCheck`: a STEADY answer may leave a weight call's look for newer intents to its wait (`converge`).
   * `handed`: `loaded` is a record the workflow handed on, not confirmed by the store until a save made
   * from it or a read: until then nothing is done on ECS or the load balancer from it (a look that would
   * is held, and the record read first). A save that conflicts goes back to the top to decide from the
   * stored record (`DECIDE_HERE`): a Tick decided again on a rollback another actor is running would run
   * it a second time, and a record naming a newer clock stops this execution.
   */
  private async advanceRollout(loaded: Rollout, execution?: string, handed = false): Promise<{ directive: Directive; unconfirmed: boolean }> {
    const deferCheck = execution !== undefined;
    // The versions this call's own saves wrote: a record that ended in one of them has let its lock go
    // (the ending save's releaseLock effect ran here); one that ended anywhere else may not have.
    // (Local mode: other actors' saves in this process count too; the watchdog's back-in-line covers a
    // release that all of them lost.)
    const own = new Set<number>();
    const unsubscribe = this.writer.subscribe((r) => {
      if (r.id === loaded.id) own.add(r.version);
    });
    try {
      return await this.decideFrom(loaded, own, execution, deferCheck, handed);
    } finally {
      unsubscribe();
    }
  }

  private async decideFrom(loaded: Rollout, own: ReadonlySet<number>, execution: string | undefined, deferCheck: boolean, handed: boolean): Promise<{ directive: Directive; unconfirmed: boolean }> {
    let rollout = loaded;
    let unconfirmedVersion: number | null = handed ? loaded.version : null;
    const confirmed = (r: Rollout) => r.version !== unconfirmedVersion;
    // What the workflow does next; `unconfirmed` when decided from the handed-on record alone.
    const done = (directive: Directive) => ({ directive, unconfirmed: !confirmed(rollout) });
    const readBack = async () => {
      unconfirmedVersion = null;
      return this.writer.load(loaded.id);
    };
    for (let guard = 0; guard < 4 * rollout.steps.length + 8; guard++) {
      const now = this.ctx.clock();
      // A record read from the store (a conflict, a read-back) may name a newer clock: this one stops.
      if (execution && rollout !== loaded && !RolloutClock.isCurrent(rollout, execution)) return done({ next: 'DONE', status: rollout.status });
      if (isTerminal(rollout.status)) {
        // Ended by this call's own save: its releaseLock effect has run. Ended elsewhere: its release may
        // be lost, and a weight call of this execution's may have landed after it (undone first, under
        // the lock if the rollout still holds it).
        if (!own.has(rollout.version) && rollout.status !== RolloutStatus.Failed) {
          const holder = await this.lock.holder(rollout.service);
          if (execution) await this.runner.undoLateWeights(rollout, holder);
          await this.lock.letGoIfEnded(rollout, holder);
        }
        break;
      }
      if (rollout.status === RolloutStatus.Pending) {
        if (rollout.wait?.for === 'signature' && !rollout.signature) rollout = await (await this.intake()).checkSignature(rollout);
        if (rollout.status === RolloutStatus.Pending) break;
        continue;
      }
      if (rollout.status === RolloutStatus.RollingBack && rollout.wait?.for === 'steady') {
        // The rollback waits for the stable set to be steady before it removes the canary: look again.
        rollout = await this.runner.rollback(rollout);
        if (rollout.status === RolloutStatus.RollingBack) return done(this.directive(rollout));
        continue;
      }
      if (rollout.status === RolloutStatus.RollingBack) {
        const idle = (now.getTime() - Date.parse(rollout.updatedAt)) / 1000;
        if (idle < this.ctx.opts.staleRollbackSeconds) return done({ next: 'WAIT', seconds: this.ctx.opts.steadyPollSeconds, for: 'steady' });
        rollout = await this.runner.rollback(rollout);
        continue;
      }
      const verdict = await this.checkBeforeStep(rollout);
      if (verdict) {
        const after = await this.runner.step(rollout, verdict, undefined, DECIDE_HERE);
        if (after.version !== rollout.version) {
          rollout = after;
          continue;
        }
      }
      if (rollout.wait?.for === 'hold') return done(this.directive(rollout));
      // Look at ECS before the Tick can time a steady wait out: after a long pause (a restart) the
      // canary may well be steady already.
      const waitedSteady = rollout.status === RolloutStatus.Progressing && rollout.wait?.for === 'steady';
      const before = await this.settleSteady(rollout, confirmed(rollout));
      if (before.held) {
        rollout = await readBack();
        continue;
      }
      rollout = before.rollout;
      // Moved on, or changed meanwhile (rolled back by another actor): decide again from the top.
      if (before.moved || (waitedSteady && rollout.status !== RolloutStatus.Progressing)) continue;
      const ticked = await this.writer.save(rollout, { type: 'Tick', unsteady: before.why ?? null }, DECIDE_HERE);
      if (!ticked.changed && ticked.rollout.version !== rollout.version) {
        // The record moved on: decide from the stored one, from the top.
        rollout = ticked.rollout;
        continue;
      }
      const weights: WeightCheck | undefined = deferCheck ? { from: null } : undefined;
      const ran = await this.runner.run(ticked.rollout, ticked.effects, weights);
      let after = await this.settleSteady(ran, confirmed(ran));
      if (after.held) {
        rollout = await readBack();
        continue;
      }
      if (weights && weights.from !== null) {
        // A weight call made unchecked. Waiting for ECS on the very record it was made from, the wait's
        // version-checked keep of its token is the look: it fails if anyone recorded an intent since,
        // and then converges (registerSteadyWait). Otherwise the look is made now.
        // ECS already steady at it: the Steady save over the very record the call was made from, made after
        // the call, is that look in the same way (any save since, an intent or not, would have made it fail).
        const waiting = after.moved ? null : this.directive(after.rollout);
        if (waiting?.next === 'STEADY' && after.rollout.version === weights.from) return { directive: { ...waiting, converge: true }, unconfirmed: false };
        if (after.savedFrom !== weights.from) after = { ...after, rollout: await this.runner.converge(await this.writer.load(after.rollout.id)) };
      }
      rollout = after.rollout;
      if (after.moved) continue;
      const directive = this.directive(rollout);
      // A bake that has just elapsed, or a step that has nothing to wait for: go on now.
      // PROMOTING (blue-green) goes on now only when its scaleDownDelay is over; a promote call that
      // failed is tried again at the next look, not at once.
      const bakeOver = rollout.wait?.for === 'bake' && directive.next === 'WAIT' && directive.seconds === 0;
      const canMoveNow =
        directive.next === 'WAIT' &&
        ((rollout.status === RolloutStatus.Progressing && (rollout.wait === null || bakeOver)) || (rollout.status === RolloutStatus.Promoting && bakeOver));
      if (!canMoveNow) return done(directive);
    }
    return done(this.directive(rollout));
  }

  /**
   * Step Functions' AwaitApproval task: keeps the token on the paused rollout (or answers it when no
   * longer paused). `version`: the record version its APPROVAL directive was decided from.
   */
  async registerApprovalWait(id: string, taskToken: string, version?: number): Promise<void> {
    if (await this.keepToken(id, taskToken, version)) return;
    await this.runner.step(id, { type: 'ApprovalWaitStarted', taskToken });
  }

  /**
   * Step Functions' AwaitSteady task: keeps the token on the rollout waiting for ECS, then looks at ECS
   * once, so that a steady state reached before the token was kept (its event already gone) still
   * answers the wait at once. `version`: the record version its STEADY directive was decided from;
   * `converge`: that Advance left its weight call's look for newer intents to this wait.
   */
  async registerSteadyWait(id: string, taskToken: string, version?: number, converge = false): Promise<void> {
    let rollout = await this.keepToken(id, taskToken, version);
    if (!rollout) {
      // Someone recorded an intent since the Advance's unchecked weight call: ECS follows it first.
      const latest = converge ? await this.runner.converge(await this.writer.load(id)) : id;
      rollout = await this.runner.step(latest, { type: 'SteadyWaitStarted', taskToken });
    }
    if (rollout.taskToken === taskToken) await this.answerIfSteady(rollout);
  }

  /**
   * A callback wait's token kept without reading the record: the record at `version` is the one the
   * wait's directive was decided from (PROGRESSING waiting for ECS, or PAUSED), on which the core's
   * SteadyWaitStarted and ApprovalWaitStarted only set the token. Null when there is no version, or the
   * record moved on since (then the core decides from what is stored, as the callers do).
   */
  private keepToken(id: string, taskToken: string, version: number | undefined): Promise<Rollout | null> {
    return version === undefined ? Promise.resolve(null) : this.writer.keepToken(id, version, taskToken);
  }

  /**
   * ECS says something changed in a service (a task set or the service reached steady state): a
   * rollout waiting for ECS under a task token, if ECS is steady at its recorded weight, is woken. The
   * event is only a nudge: what counts is what ECS shows now, and ECS is looked at before the store, so
   * an event no rollout can be waiting on (nothing steady beside the primary, no canary of ours) costs
   * no store call. Looks are coalesced per service: at most one runs and one waits. Events that come
   * before a look asks ECS (a task set's and the service's steady states arrive together) join it; one
   * that comes while ECS is being read gets one more look after it, which reads nothing when ECS is as
   * it was when this look answered a wait (that wait's Advance, or a newer wait's own look at ECS when
   * it was kept, takes it from there).
   */
  async ecsChanged(serviceName: string): Promise<string | null> {
    const running = this.ecsLooks.get(serviceName);
    if (running) {
      if (running.asked) running.again = true;
      return null;
    }
    const look = { asked: false, again: false };
    this.ecsLooks.set(serviceName, look);
    const answeredAt = new Set<string>();
    let woken: string | null = null;
    try {
      do {
        look.again = false;
        look.asked = false;
        // Events of this moment join the look before it asks ECS.
        await new Promise<void>((resolve) => setImmediate(resolve));
        look.asked = true;
        woken = (await this.wakeSteadyCanary(serviceName, answeredAt)) ?? woken;
      } while (look.again);
      return woken;
    } finally {
      this.ecsLooks.delete(serviceName);
    }
  }

  /** One look for `ecsChanged`; `answeredAt` holds the ECS states (canary and scales) a wait was answered at. */
  private async wakeSteadyCanary(serviceName: string, answeredAt: Set<string>): Promise<string | null> {
    const view = await this.ctx.deps.ecs.describe(target(this.ctx.service(serviceName))).catch((e: unknown) => {
      this.ctx.log.warn('describe failed on an ECS event', { service: serviceName, error: errorMessage(e) });
      return null;
    });
    for (const canary of view ? steadyCanaries(view) : []) {
      const state = `${canary.id} at ${canary.scale}, primary at ${view?.primary?.scale ?? '-'}`;
      if (answeredAt.has(state)) continue;
      const rollout = await this.writer.find(canary.externalId);
      if (!rollout || rollout.service !== serviceName || rollout.ecs.canaryTaskSetId !== canary.id) continue;
      if (!rollout.taskToken || rollout.status !== RolloutStatus.Progressing || rollout.wait?.for !== 'steady') continue;
      // Judged from the view just read: ECS is not read again for it.
      if (await this.answerIfSteady(rollout, view ?? undefined)) {
        answeredAt.add(state);
        return rollout.id;
      }
    }
    return null;
  }

  /**
   * Answers the steady wait when ECS is steady at the recorded weight (judged from `seen` when given);
   * the record is not written (the Steady save forgets the token).
   */
  private async answerIfSteady(rollout: Rollout, seen?: ServiceView): Promise<boolean> {
    if ((await this.runner.steadyWeight(rollout, seen)) === null) return false;
    return this.runner.answer(rollout, rollout.taskToken);
  }

  /**
   * The workflow's catch-all: a step failed beyond its retries. Rolls an active rollout back (or
   * re-drives an interrupted rollback) and tells the workflow what to do next.
   */
  async recover(id: string, message: string, call?: ClockCall): Promise<Directive> {
    const loaded = await this.writer.load(id);
    const stale = this.staleClock(loaded, call);
    if (stale) return stale;
    let rollout = await this.runner.step(loaded, { type: 'WorkflowFailed', message });
    if (rollout.status === RolloutStatus.RollingBack) rollout = await this.runner.rollback(rollout);
    else if (call?.execution && rollout.version === loaded.version) await this.runner.undoLateWeights(rollout);
    return this.nextTurn(id, this.directive(rollout), call);
  }

  /**
   * After a restart: every rollout that holds a lock goes back to its workflow, queues move on, and
   * rollouts waiting for a signature look for it again (its notification may have been missed).
   */
  async resume(): Promise<string[]> {
    const { store } = this.ctx.deps;
    const resumed: string[] = [];
    for (const name of Object.keys(this.ctx.config.services)) {
      const holder = await this.lock.holder(name);
      const rollout = holder ? await this.writer.find(holder) : null;
      if (rollout && holdsEcs(rollout.status)) {
        await this.clock.ensure(rollout);
        resumed.push(rollout.id);
      } else if (rollout) {
        await this.lock.letGoIfEnded(rollout);
      }
      const page = await store.list({ service: name, status: RolloutStatus.Pending, limit: 100 });
      for (const waiting of page.items.filter((r) => !r.signature)) {
        try {
          await (await this.intake()).checkSignature(waiting);
        } catch (e) {
          // Listed but never written (a crash between its index entry and its record): its delivery,
          // dispatched again, finishes the creation (intake.ts).
          if (!(e instanceof RolloutNotFoundError)) throw e;
          this.ctx.log.warn('a listed rollout has no record yet; its delivery finishes it', { rolloutId: waiting.id });
        }
      }
      await this.lock.startNextQueued(name);
    }
    return resumed;
  }

  /**
   * While the rollout waits for steady state, looks at ECS once: `moved` when it was steady at the
   * recorded weight (and the rollout moved on); otherwise the same record, not read again: a newer one
   * makes the next save a version conflict, decided again from what is stored. `act: false` (a record
   * not confirmed yet): `held` when the look would have acted on ECS or the load balancer.
   */
  private async settleSteady(rollout: Rollout, act = true): Promise<{ rollout: Rollout; moved: boolean; why?: string | null; held?: true; savedFrom?: number }> {
    if (rollout.status !== RolloutStatus.Progressing || rollout.wait?.for !== 'steady') return { rollout, moved: false };
    const { steadyAt, why, held } = await this.runner.steadiness(rollout, undefined, act);
    if (held) return { rollout, moved: false, held };
    if (steadyAt !== null) {
      const saved = await this.writer.save(rollout, { type: 'Steady', ...steadyAt }, DECIDE_HERE);
      // `savedFrom`: saved over `rollout` itself, so nothing was saved between that version and now.
      return { rollout: await this.runner.run(saved.rollout, saved.effects), moved: true, ...(saved.changed ? { savedFrom: rollout.version } : {}) };
    }
    return { rollout, moved: false, why };
  }

  /**
   * Asks the registry for the stable image by digest, when the image is in a registry the configuration
   * names (the orchestrator fetches from no other) and a registry client is wired; undefined otherwise,
   * and when the registry could not answer (logged).
   */
  private async stableImage(rollout: Rollout, image: string, digest: string): Promise<PreStepObservations['stableImage']> {
    const resolver = this.ctx.deps.tags;
    const service = this.ctx.service(rollout.service);
    const name = image.slice(0, image.indexOf('@'));
    const slash = name.indexOf('/');
    const host = name.slice(0, slash);
    const repository = name.slice(slash + 1);
    const config = this.ctx.config.registries[host] ?? (host === service.registry ? { insecure: false } : undefined);
    if (!resolver || slash < 0 || config === undefined) return undefined;
    try {
      return { image, present: (await resolver.resolve(host, config, repository, digest)) === digest };
    } catch (e) {
      // No answer is no verdict (as for alarms): only a registry that says the manifest is gone holds.
      this.ctx.log.warn('could not check the stable image in its registry', { rolloutId: rollout.id, image, error: errorMessage(e) });
      return undefined;
    }
  }

  /** Reads what the pre-step checks need (shared/core/pre-step-checks.ts) and lets them decide. */
  private async checkBeforeStep(rollout: Rollout): Promise<RolloutInput | null> {
    const service = this.ctx.service(rollout.service);
    const { alarms, ecs } = this.ctx.deps;
    let alarmStates: Record<string, string> = {};
    if (alarms && service.alarms.length > 0) {
      alarmStates = await alarms.states(service.alarms).catch((e: unknown) => {
        // No reading is no verdict; the alarm events still act at once.
        this.ctx.log.warn('reading alarm states failed', { rolloutId: rollout.id, error: e });
        return {};
      });
    }
    const seen: { -readonly [K in keyof PreStepObservations]: PreStepObservations[K] } = { alarmStates };
    if (needsStableLook(rollout)) {
      const view = await ecs.describe(this.ctx.targetOf(rollout)).catch(() => null);
      const stable = view?.taskSets.find((t) => t.id === rollout.ecs.stableTaskSetId);
      seen.stable = view === null ? null : stable ? { id: stable.id, steady: stable.steady, runningCount: stable.runningCount } : 'missing';
      if (stable?.digest) seen.stableImage = await this.stableImage(rollout, stable.image, stable.digest);
      if (view) {
        seen.taskSets = {
          count: view.taskSets.length,
          draining: view.taskSets.filter((t) => t.status === 'DRAINING').length,
          ownCanary: view.taskSets.some((t) => t.externalId === rollout.id),
        };
      }
    }
    return preStepVerdict(rollout, { alarms: service.alarms, insufficientData: service.policies.insufficientData }, seen);
  }
}

/**
 * The canaries in a view of the service that a rollout may be waiting on now: task sets other than the
 * primary, created by a rollout (their externalId is its id), steady beside a steady primary. Only
 * such a state can answer a steady wait (EffectRunner.steadiness), so any other costs no store read.
 */
export function steadyCanaries(view: ServiceView): (TaskSetView & { readonly externalId: string })[] {
  if (view.primary && !view.primary.steady) return [];
  return view.taskSets.filter(
    (s): s is TaskSetView & { readonly externalId: string } =>
      s.id !== view.primary?.id && s.status === 'ACTIVE' && s.steady && s.externalId !== null && ROLLOUT_ID_PATTERN.test(s.externalId),
  );
}
