/**
 * Runs the effects the core asked for, after the record that asked for them was saved: the ECS calls
 * (create the canary, apply the recorded weight, promote, roll back), the service lock, and the
 * workflow's clock. Every ECS change a rollout makes goes through here, and there is one rollback path.
 *
 * Two actors may drive the same rollout (the workflow and an alarm, say). Each records its intent first
 * and then makes ECS match the latest recorded intent, so the loser of a race converges instead of
 * undoing the winner (docs/architecture.md, "The record is the truth").
 */
import type { Effect } from '../core/commands';
import { RolloutPolicy } from '../core/policy';
import { unsteadyReason } from '../core/unsteady';
import type { Rollout } from '../core/rollout';
import { RolloutStatus, holdsEcs } from '../core/status';
import type { EcsTarget, RollbackProgress, ServiceView, TrafficRouter } from '../ports';
import { BLUE_GREEN_SCALES } from '../core/blue-green';
import { type TaskSetScales, taskSetScales } from '../core/traffic-split';
import { LoadBalancerError } from '../errors';
import { type OrchestrationContext, errorMessage, sleep } from './context';
import type { RolloutClock } from './clock';
import type { RolloutWriter, SaveInput, SaveOptions } from './rollout-writer';

/** What the runner needs of the service lock (shared/orchestration/service-lock.ts). */
export interface LockEffects {
  /** Takes the lock (or queues) and records the outcome; answers the latest record. */
  acquire(rollout: Rollout): Promise<Rollout>;
  /** Gives the lock up and starts the next queued rollout of the service. */
  release(rollout: Rollout): Promise<void>;
  /** The rollout that holds the service's lock, if any. */
  holder(service: string): Promise<string | null>;
}

type EcsOutcome<T> = { ok: true; value: T } | { ok: false; rollout: Rollout };

/**
 * Handed by a caller that looks for intents recorded during a weight call itself, instead of the read
 * after each call (`applyWeight`): the workflow's Advance, whose callback wait that follows keeps its
 * token under the version the call was made from (StepDriver). `from` is set to that version when a
 * weight call was made unchecked; the caller must then check (`converge`) or hand the check on (a save
 * over that very version after the call, the wait's keep or a Steady save, checks as well as a read).
 */
export interface WeightCheck {
  from: number | null;
}

/** The task set scales that carry the rollout's recorded weight: both at full size in blue-green. */
const scalesOf = (rollout: Rollout, traffic: TrafficRouter): TaskSetScales =>
  rollout.blueGreen ? BLUE_GREEN_SCALES : taskSetScales(traffic.mode, rollout.canaryWeight);

export class EffectRunner {
  constructor(
    private readonly ctx: OrchestrationContext,
    private readonly writer: RolloutWriter,
    private readonly lock: LockEffects,
    private readonly clock: RolloutClock,
  ) {}

  /**
   * Transition, save, then run the effects. Returns the latest record. Given a record rather than an
   * id, it decides from that one without reading it again: a newer stored version makes the save a
   * version conflict, and the writer decides again from what is stored (or, `redecide: false`, answers
   * the stored record with nothing run).
   */
  async step(rolloutOrId: Rollout | string, input: SaveInput, weights?: WeightCheck, options?: SaveOptions): Promise<Rollout> {
    const { rollout, effects } = await this.writer.save(rolloutOrId, input, options);
    return this.run(rollout, effects, weights);
  }

  /** `weights`: the caller checks for newer intents after a weight call itself (see WeightCheck). */
  async run(rollout: Rollout, effects: readonly Effect[], weights?: WeightCheck): Promise<Rollout> {
    let latest = rollout;
    for (const effect of effects) {
      switch (effect.type) {
        case 'acquireLock':
          latest = await this.lock.acquire(latest);
          break;
        case 'startWorkflow':
          if (effect.attempt === undefined) await this.clock.ensure(latest);
          else await this.clock.startTaken(latest, effect.attempt);
          break;
        case 'wakeWorkflow':
          latest = await this.wakeAfterDecision(latest, effect.taskToken);
          break;
        case 'createCanary':
          latest = await this.createCanary(latest, weights);
          break;
        case 'applyWeight':
          latest = await this.applyWeight(latest, weights);
          break;
        case 'promote':
          latest = await this.promote(latest);
          break;
        case 'rollback':
          latest = await this.rollback(latest);
          break;
        case 'releaseLock':
          await this.lock.release(latest);
          break;
      }
    }
    return latest;
  }

  /**
   * Answers the workflow's callback wait, retried with backoff; then forgets the token on the record.
   * A send that keeps failing is logged and left on the record (the decision itself is saved): the
   * watchdog sends it again. Never thrown: the caller's decision stands either way.
   */
  async wake(rollout: Rollout, taskToken: string | null): Promise<Rollout> {
    if (!(await this.answer(rollout, taskToken)) || !taskToken) return rollout;
    try {
      return (await this.writer.save(rollout, { type: 'WaitAnswered', taskToken })).rollout;
    } catch (e) {
      // Answered, but still on the record: the watchdog sends it again, and the workflow calls it over.
      this.ctx.log.warn('an answered wait could not be forgotten on the record', { rolloutId: rollout.id, error: e });
      return rollout;
    }
  }

  /**
   * Answers the callback wait a decision ended. When the workflow goes on from the answer to its next
   * Advance (a success: the rollout is active and not rolling back), that Advance forgets the token in
   * its own save (shared/core/transition.ts), so nothing is written here; a wait ended in failure goes
   * to Recover, and its token is forgotten now. A send that failed leaves the token for the watchdog.
   */
  private async wakeAfterDecision(rollout: Rollout, taskToken: string | null): Promise<Rollout> {
    if (!holdsEcs(rollout.status) || rollout.status === RolloutStatus.RollingBack) return this.wake(rollout, taskToken);
    await this.answer(rollout, taskToken);
    return rollout;
  }

  /**
   * Answers the workflow's callback wait, retried with backoff, and leaves the record as it is (the
   * workflow's next Advance forgets the token). False when the answer did not go through (logged);
   * never thrown.
   */
  async answer(rollout: Rollout, taskToken: string | null): Promise<boolean> {
    for (let attempt = 1; attempt <= RolloutPolicy.wakeAttempts; attempt++) {
      try {
        await this.ctx.deps.workflow.wake(rollout, taskToken);
        return true;
      } catch (e) {
        this.ctx.log.warn('answering the workflow failed', { rolloutId: rollout.id, attempt, error: e });
        if (attempt < RolloutPolicy.wakeAttempts) await sleep(RolloutPolicy.wakeBackoffMs * attempt);
      }
    }
    this.ctx.log.error('the workflow was not answered; the watchdog will send it again', { rolloutId: rollout.id });
    return false;
  }

  private async createCanary(rollout: Rollout, weights?: WeightCheck): Promise<Rollout> {
    const image = `${rollout.image.registry}/${rollout.image.repository}@${rollout.image.digest}`;
    const canary = await this.ecsCall(rollout, 'createCanary', async (t) => {
      // ALB weights: the canary takes the group of the pair the stable set does not use, and the rule
      // forwards 0% to it first, so its targets are health-checked (a group no rule uses never is).
      let targetGroupArn: string | undefined;
      const traffic = this.ctx.trafficOf(rollout);
      if (rollout.blueGreen && traffic.mode !== 'alb') throw new LoadBalancerError('blueGreen needs traffic.alb: no load balancer to switch');
      if (traffic.mode === 'alb') {
        const groups = this.targetGroups(rollout, await this.ctx.deps.ecs.describe(t));
        // Blue-green: the preview rule forwards only to the new set's group, from the start (first: a
        // preview rule the rollout cannot use stops it before production's rule is touched).
        await this.preview(rollout)?.route({ ...groups, canaryWeight: 100 });
        await traffic.route({ ...groups, canaryWeight: 0 });
        targetGroupArn = groups.canaryTargetGroupArn;
      }
      return this.ctx.deps.ecs.createCanary(t, {
        rolloutId: rollout.id,
        image,
        stableTaskSetId: rollout.ecs.stableTaskSetId!,
        ...(targetGroupArn ? { targetGroupArn } : {}),
      });
    });
    if (!canary.ok) return canary.rollout;
    return this.step(rollout, { type: 'CanaryCreated', taskSetId: canary.value.taskSetId, taskDefinitionArn: canary.value.taskDefinitionArn }, weights);
  }

  /**
   * Makes ECS match the latest recorded weight. Re-reads the record after each call: if another actor
   * recorded a new weight meanwhile it applies that one, and if one recorded a rollback, it runs the
   * rollback again, since its own call may have landed after the other actor's. With `weights`, the
   * caller does that look itself: one call, and `weights.from` says which record it was made from.
   */
  async applyWeight(rollout: Rollout, weights?: WeightCheck): Promise<Rollout> {
    // The record the caller has (just saved or read); the read after each ECS call finds newer intents.
    let latest = rollout;
    let applied: number | null = null;
    for (let round = 0; round < RolloutPolicy.weightRounds; round++) {
      if (latest.status === RolloutStatus.RollingBack || latest.status === RolloutStatus.RolledBack) {
        return applied === null ? latest : this.rollback(latest);
      }
      // No canary yet (a promote decided before it existed): CanaryCreated applies the weight.
      if (!latest.ecs.canaryTaskSetId || !holdsEcs(latest.status) || latest.canaryWeight === applied) return latest;
      const weight: number = latest.canaryWeight;
      const current: Rollout = latest;
      const traffic = this.ctx.trafficOf(current);
      const scales = scalesOf(current, traffic);
      const call = await this.ecsCall(current, 'setWeights', async (t) => {
        // ALB weights: traffic leaves the canary before its tasks do; it comes to them once they are
        // healthy (steadyWeight). Blue-green: both sets run at full size, so production switches in
        // one call as soon as the new set is steady (or once it is, steadyWeight).
        if (traffic.mode === 'alb') {
          const view = await this.ctx.deps.ecs.describe(t);
          const sets = this.taskSetsOf(current, view);
          const share = await traffic.share(sets);
          const switchNow = current.blueGreen !== undefined && share !== weight && (weight === 0 || sets.canary?.steady === true);
          if (share > weight || switchNow) await traffic.route({ ...this.targetGroups(current, view), canaryWeight: weight });
        }
        await this.ctx.deps.ecs.setWeights(t, {
          stableTaskSetId: current.ecs.stableTaskSetId!,
          canaryTaskSetId: current.ecs.canaryTaskSetId!,
          canaryWeight: scales.canary,
          stableScale: scales.stable,
        });
      });
      if (!call.ok) return call.rollout;
      applied = weight;
      if (weights) {
        weights.from = current.version;
        return current;
      }
      latest = await this.writer.load(rollout.id);
    }
    return latest;
  }

  /**
   * The look for newer intents after a weight call made unchecked (WeightCheck), given the record as
   * stored now: a rollback recorded meanwhile runs again (the call may have landed after it), and any
   * other recorded weight is applied (and checked, as `applyWeight` does).
   */
  async converge(latest: Rollout): Promise<Rollout> {
    if (latest.status === RolloutStatus.RollingBack || latest.status === RolloutStatus.RolledBack) return this.rollback(latest);
    return this.applyWeight(latest);
  }

  /**
   * Runs the rollback of a rollout another actor rolled back once more, for a workflow step that may
   * have died between its unchecked weight call and the look that undoes a late one (docs/architecture.md,
   * "Intent first, then ECS"): an Advance retried by Step Functions, its Recover, or the watchdog when
   * the execution ended without succeeding. Only when ECS shows that late call and nothing newer: the
   * rollout's stable task set still the service's PRIMARY, no live task set of another rollout, no
   * rollout holding the lock, and a leftover of this one (the stable set below 100%, a live canary, or
   * load balancer traffic that does not go to the stable set). A service that moved on (a newer rollout
   * running or done) is not this record's to touch: undoing there would route production back to a set
   * that drains. `holder`: the lock's holder when the caller has just read it.
   */
  async undoLateWeights(rollout: Rollout, holder?: string | null): Promise<void> {
    if (rollout.status !== RolloutStatus.RolledBack || !rollout.ecs.stableTaskSetId) return;
    const held = holder === undefined ? await this.lock.holder(rollout.service) : holder;
    if (held !== null && held !== rollout.id) return;
    const t = this.ctx.targetOf(rollout);
    try {
      const view = await this.ctx.deps.ecs.describe(t);
      const stable = view.taskSets.find((s) => s.id === rollout.ecs.stableTaskSetId);
      const others = view.taskSets.filter((s) => s !== stable && s.status !== 'DRAINING');
      if (!stable || stable.status !== 'PRIMARY' || others.some((s) => s.externalId !== rollout.id)) return;
      const traffic = this.ctx.trafficOf(rollout);
      // ALB weights: what the rule does not send to the stable set's group (the canary's may be gone).
      const routed = traffic.mode === 'alb' ? 100 - (await traffic.share({ stable: null, canary: stable })) : 0;
      if (stable.scale === 100 && others.length === 0 && routed === 0) return;
      this.ctx.log.warn('a weight call landed after the rollback: rolling back again', { rolloutId: rollout.id, stableScale: stable.scale, trafficOffStable: routed });
    } catch (e) {
      this.ctx.log.warn('could not look for a weight call that landed after the rollback', { rolloutId: rollout.id, error: e });
      return;
    }
    await this.rollback(rollout);
  }

  /**
   * The weight at which ECS is steady now, when it is the recorded one with both task sets at their
   * shares; null otherwise. Re-applies the recorded weight if ECS drifted from it (a crash between
   * recording and calling, or a lost race).
   */
  async steadyWeight(rollout: Rollout, seen?: ServiceView): Promise<{ readonly weight: number; readonly trafficShare: number } | null> {
    return (await this.steadiness(rollout, seen)).steadyAt;
  }

  /**
   * As `steadyWeight`, with why ECS (or the load balancer) is not there yet when it is not (null when
   * unknown). `seen`: a view of the service the caller has just read, judged instead of reading ECS again.
   * `act: false`: the record is not confirmed by the store yet (one the workflow handed on), so nothing is
   * done to bring ECS or the load balancer to it: `held` says something would have been, and the caller
   * reads the record before asking again.
   */
  async steadiness(
    rollout: Rollout,
    seen?: ServiceView,
    act = true,
  ): Promise<{ readonly steadyAt: { readonly weight: number; readonly trafficShare: number } | null; readonly why: string | null; readonly held?: true }> {
    const notYet = (why: string | null = null) => ({ steadyAt: null, why });
    const held = { steadyAt: null, why: null, held: true as const };
    // No canary yet (a promote decided before it existed): the Tick creates it first.
    if (!rollout.ecs.canaryTaskSetId) return notYet();
    const t = this.ctx.targetOf(rollout);
    let view = seen;
    try {
      view ??= await this.ctx.deps.ecs.describe(t);
    } catch (e) {
      this.ctx.log.warn('describe failed while waiting for steady state', { rolloutId: rollout.id, error: e });
      return notYet(`ECS could not be read: ${errorMessage(e)}`);
    }
    const canary = view.taskSets.find((s) => s.id === rollout.ecs.canaryTaskSetId);
    const stable = view.taskSets.find((s) => s.id === rollout.ecs.stableTaskSetId);
    const traffic = this.ctx.trafficOf(rollout);
    const scales = scalesOf(rollout, traffic);
    // A view read before the record may predate the canary, or the weight's call: ECS is read again
    // before either is acted on.
    if (seen && (!canary || canary.scale !== scales.canary || (stable && stable.scale !== scales.stable))) return this.steadiness(rollout, undefined, act);
    if (!canary) {
      if (!act) return held;
      await this.step(rollout, { type: 'EcsFailed', message: `canary task set ${rollout.ecs.canaryTaskSetId} disappeared from ${t.cluster}/${t.service}` });
      return notYet();
    }
    if (canary.scale !== scales.canary || (stable && stable.scale !== scales.stable)) {
      if (!act) return held;
      await this.applyWeight(rollout);
      return notYet(`the recorded weight ${rollout.canaryWeight}% was not applied in ECS yet`);
    }
    if (!canary.steady || !(stable?.steady ?? true)) {
      const sets = [{ role: 'canary', ...canary }, ...(stable ? [{ role: 'stable', ...stable }] : [])];
      return notYet(unsteadyReason(sets));
    }
    const pair = { stable: stable ?? null, canary };
    if (traffic.mode !== 'alb') return { steadyAt: { weight: rollout.canaryWeight, trafficShare: await traffic.share(pair) }, why: null };
    // ALB weights: both sets are steady (the canary's targets healthy), so the rule may forward the weight.
    // Blue-green, previewed: the preview rule forwards 100% to the new set (set at its creation; set
    // again if it was changed since).
    const previewOf = () => (rollout.canaryWeight === 0 ? this.preview(rollout) : null);
    if (!act) {
      // Only a look; a rule that must change, or cannot be read, is for the confirmed record's look.
      let routedAlready = false;
      try {
        const preview = previewOf();
        routedAlready = (await traffic.share(pair)) === rollout.canaryWeight && (!preview || (await preview.share(pair)) === 100);
      } catch {
        // Read again, and acted on, by the confirmed record's look.
      }
      return routedAlready ? { steadyAt: { weight: rollout.canaryWeight, trafficShare: rollout.canaryWeight }, why: null } : held;
    }
    const routed = await this.ecsCall(rollout, 'route', async () => {
      if ((await traffic.share(pair)) !== rollout.canaryWeight) {
        await traffic.route({ ...this.targetGroups(rollout, view), canaryWeight: rollout.canaryWeight });
      }
      const preview = previewOf();
      if (preview && (await preview.share(pair)) !== 100) {
        await preview.route({ ...this.targetGroups(rollout, view), canaryWeight: 100 });
      }
    });
    return routed.ok
      ? { steadyAt: { weight: rollout.canaryWeight, trafficShare: rollout.canaryWeight }, why: null }
      : notYet(`the load balancer could not be set to forward ${rollout.canaryWeight}% to the canary yet`);
  }

  /** Blue-green: the preview rule's router; null for a canary. */
  private preview(rollout: Rollout): TrafficRouter | null {
    if (!rollout.blueGreen) return null;
    const router = this.ctx.previewOf(rollout);
    if (!router || router.mode !== 'alb') throw new LoadBalancerError(`no load balancer router for the preview rule ${rollout.blueGreen.previewListenerRule}`);
    return router;
  }

  /** The stable and canary task sets of the rollout in a view of the service. */
  private taskSetsOf(rollout: Rollout, view: ServiceView) {
    return {
      stable: view.taskSets.find((s) => s.id === rollout.ecs.stableTaskSetId) ?? null,
      canary: view.taskSets.find((s) => s.id === rollout.ecs.canaryTaskSetId) ?? null,
    };
  }

  /**
   * The target groups of `traffic.alb` the stable and the canary task sets use: the stable set's is the
   * one it is registered with, the canary's the other of the pair (so the next rollout uses the other).
   */
  private targetGroups(rollout: Rollout, view: ServiceView): { stableTargetGroupArn: string; canaryTargetGroupArn: string } {
    const pair: readonly string[] = this.ctx.service(rollout.service).traffic?.alb.targetGroups ?? [];
    const stable = view.taskSets.find((s) => s.id === rollout.ecs.stableTaskSetId)?.targetGroupArn ?? null;
    if (!stable || !pair.includes(stable)) {
      throw new LoadBalancerError(
        `the stable task set ${rollout.ecs.stableTaskSetId} is registered with ${stable ?? 'no target group'}, not with one of traffic.alb.targetGroups (${pair.join(', ')})`,
      );
    }
    return { stableTargetGroupArn: stable, canaryTargetGroupArn: pair.find((arn) => arn !== stable)! };
  }

  private async promote(rollout: Rollout): Promise<Rollout> {
    const done = await this.ecsCall(rollout, 'promote', async (t) => {
      // ALB weights: all traffic on the canary before it becomes primary and the old set drains away.
      const traffic = this.ctx.trafficOf(rollout);
      if (traffic.mode === 'alb') {
        const view = await this.ctx.deps.ecs.describe(t);
        const sets = this.taskSetsOf(rollout, view);
        if (sets.stable && (await traffic.share(sets)) !== 100) await traffic.route({ ...this.targetGroups(rollout, view), canaryWeight: 100 });
      }
      await this.ctx.deps.ecs.promote(t, { stableTaskSetId: rollout.ecs.stableTaskSetId!, canaryTaskSetId: rollout.ecs.canaryTaskSetId! });
    });
    return done.ok ? this.step(rollout, { type: 'Promoted' }) : done.rollout;
  }

  /**
   * The one ECS rollback: the stable set back to 100% as PRIMARY and, once it is steady at that size,
   * the canary removed, retried with backoff, then RolledBack, RollbackWaiting (the stable set is not
   * steady yet; run again later) or RollbackFailed recorded. Safe to run again (the adapter is idempotent):
   * a crash, a second actor or a weight call that landed after the rollback all end up here.
   */
  async rollback(rollout: Rollout): Promise<Rollout> {
    const t = this.ctx.targetOf(rollout);
    const canaryTaskSetId = rollout.ecs.canaryTaskSetId ?? (await this.findUnrecordedCanary(rollout));
    // ALB weights: traffic goes back to the stable target group first (one call), then the canary goes.
    // A stable set outside the pair (a misconfigured service) has nothing to route back to.
    const traffic = this.ctx.trafficOf(rollout);
    let groups: { stableTargetGroupArn: string; canaryTargetGroupArn: string } | null = null;
    if (traffic.mode === 'alb') {
      const view = await this.ctx.deps.ecs.describe(t).catch(() => null);
      try {
        if (view) groups = this.targetGroups(rollout, view);
      } catch (e) {
        this.ctx.log.warn('rollback leaves the load balancer as it is', { rolloutId: rollout.id, error: e });
      }
    }
    const { rollbackAttempts, rollbackBackoffMs } = this.ctx.opts;
    let lastError: unknown;
    let progress: RollbackProgress = { done: true };
    for (let attempt = 1; attempt <= rollbackAttempts; attempt++) {
      try {
        if (groups) await traffic.route({ ...groups, canaryWeight: 0 });
        if (rollout.ecs.stableTaskSetId) {
          progress = await this.ctx.deps.ecs.rollback(t, { stableTaskSetId: rollout.ecs.stableTaskSetId, canaryTaskSetId });
        }
        lastError = undefined;
        break;
      } catch (e) {
        lastError = e;
        this.ctx.log.warn('rollback attempt failed', { rolloutId: rollout.id, attempt, error: e });
        if (attempt < rollbackAttempts) await sleep(rollbackBackoffMs * attempt);
      }
    }
    if (lastError === undefined && !progress.done) return this.rollbackWaits(rollout, progress.waitingFor);
    if (lastError === undefined) return this.step(rollout, { type: 'RolledBack' });
    const after = await this.step(rollout, { type: 'RollbackFailed', message: errorMessage(lastError) });
    if (after.status !== RolloutStatus.Failed) {
      // Already recorded as rolled back (this was a repeat to undo a late weight call): nothing on the
      // record can say it failed, so the log must.
      this.ctx.log.error('rollback failed after the rollout was recorded as rolled back', { rolloutId: rollout.id, status: after.status, error: lastError });
    }
    return after;
  }

  /**
   * The stable set is not steady at full size yet, so the canary is kept (capacity never dips): the
   * wait is recorded and the clock (or an ECS event) runs the rollback again. A stable set that does
   * not become steady within the rollout's steady timeout fails the rollback: a human must look.
   */
  private async rollbackWaits(rollout: Rollout, waitingFor: string): Promise<Rollout> {
    const latest = await this.writer.load(rollout.id);
    if (latest.status === RolloutStatus.RolledBack) {
      // A rollback run again after the rollout ended (undoLateWeights): nothing on the record can wait,
      // so the log must say what is left.
      this.ctx.log.warn('the rollback run again waits for the stable set, but the rollout has ended: look at the service', { rolloutId: rollout.id, waitingFor });
      return latest;
    }
    const since = latest.wait?.for === 'steady' ? Date.parse(latest.wait.since) : null;
    if (since !== null && this.ctx.clock().getTime() - since > latest.steadyTimeoutSeconds * 1000) {
      const message = `waited more than ${latest.steadyTimeoutSeconds}s for ${waitingFor}; the canary was kept running`;
      return this.step(latest, { type: 'RollbackFailed', message });
    }
    return this.step(latest, { type: 'RollbackWaiting', waitingFor });
  }

  /**
   * A CreateTaskSet whose answer was lost left a canary the record never learned of: find it by its
   * externalId (the rollout id), so the rollback removes it too. ECS describes may not show a task set
   * created a moment ago, so when a create was asked for, a miss is looked at again a few times
   * (`RolloutPolicy.canaryLookupAttempts`) before the canary is taken not to exist.
   */
  private async findUnrecordedCanary(rollout: Rollout): Promise<string | null> {
    const t = this.ctx.targetOf(rollout);
    const attempts = rollout.ecs.canaryRequested ? RolloutPolicy.canaryLookupAttempts : 1;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) await sleep(this.ctx.opts.rollbackBackoffMs * (attempt - 1));
      const view = await this.ctx.deps.ecs.describe(t).catch(() => null);
      const found = view?.taskSets.find((s) => s.externalId === rollout.id && s.id !== rollout.ecs.stableTaskSetId);
      if (found) return found.id;
    }
    return null;
  }

  /**
   * Runs one ECS call for the rollout. A failure of the call itself (not of the store writes around
   * it) becomes EcsFailed, which rolls the rollout back.
   */
  private async ecsCall<T>(rollout: Rollout, what: string, call: (t: EcsTarget) => Promise<T>): Promise<EcsOutcome<T>> {
    try {
      return { ok: true, value: await call(this.ctx.targetOf(rollout)) };
    } catch (e) {
      this.ctx.log.error('ECS call failed', { rolloutId: rollout.id, call: what, error: e });
      return { ok: false, rollout: await this.step(rollout, { type: 'EcsFailed', message: `${what}: ${errorMessage(e)}` }) };
    }
  }
}
