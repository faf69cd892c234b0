/**
 * The service lock and its queue: one rollout at a time per service. The rollout that takes the lock
 * reads the stable task set and starts; one that finds it held queues, supersedes the holder, or is
 * refused, as the service's `onNewImage` policy says. Releasing the lock hands it to the oldest queued
 * rollout.
 *
 * The queue is the store's (`RolloutStore.enqueue` / `queued`): items beside the lock, read
 * consistently in push order, never an index listing. Without transactions the entry and the record are
 * two writes, so the record comes first (record Queued, then enqueue: the hand-off never finds an entry
 * whose record does not wait for the lock yet, its signature being recorded in that same save) and an
 * entry is only a hint: whoever reads the queue loads each rollout's record, acts on those still waiting
 * for the lock and drops the entries of rollouts that started or ended (an end raced with the dequeue,
 * or a crash before it). A crash between the record and the entry leaves a rollout waiting for the lock
 * with no entry, which the watchdog puts back in line. An entry is removed by the rollout itself when
 * it takes the lock, and at release when a queued rollout ends without having started.
 *
 * A verified signature not recorded yet (`AcquireOptions.verified`) is recorded in the save of what the
 * lock decides. A crash before that save leaves a record still waiting for its signature, maybe holding
 * the lock: its clock looks again and asks again (re-entrant), and a rejection gives the lock back.
 *
 * Most releases find nobody queued, so only a marked lock's release reads the queue. Whoever writes an
 * entry marks the lock afterwards (`markQueued`, whoever holds it by then), and one that finds the lock
 * free hands it over itself (`startNextQueued`). Entry, then mark, then release: the release reads the
 * entry. Release before the mark: the mark lands on the next holder or finds the lock free, and the
 * queuer hands over. The hand-off takes the lock marked when others still wait behind the rollout it
 * starts. An entry without a mark (a crash between the two, or an entry written before locks were
 * marked) is picked up by the watchdog's sweep, which puts every verified rollout waiting for the lock
 * back in line (marking the lock, or asking for it when free), and by `resume` at restart, which reads
 * every queue.
 */
import { outsideHome } from '../config/ecs-location';
import type { ServiceConfig } from '../config/types';
import type { RolloutInput } from '../core/commands';
import { EventType } from '../core/events';
import { ROLLOUT_ID_PATTERN } from '../core/ids';
import { RolloutPolicy } from '../core/policy';
import type { Rollout } from '../core/rollout';
import { RolloutStatus, isTerminal } from '../core/status';
import { InvalidTransitionError } from '../errors';
import { type OrchestrationContext, target } from './context';
import type { LockEffects } from './effect-runner';
import type { RolloutWriter, SaveInput } from './rollout-writer';

/** Saves an input and runs its effects (EffectRunner.step). */
export type StepFn = (rolloutOrId: Rollout | string, input: SaveInput) => Promise<Rollout>;

export interface AcquireOptions {
  /**
   * The rollout is the oldest one of the queue still waiting (the hand-off): it neither looks for older
   * ones nor enqueues again.
   */
  readonly fromQueue?: boolean;
  /** The hand-off saw entries behind the rollout: the lock is taken marked. */
  readonly othersQueued?: boolean;
  /**
   * Its signature, verified and not recorded yet: recorded in the one save of what the lock decides
   * (Started, Queued, StartFailed, Supersede) rather than in a save of its own before the lock.
   */
  readonly verified?: Extract<RolloutInput, { type: 'SignatureVerified' }>;
}

/** A rollout the lock's hand-off may start: verified, not started, and waiting for the lock. */
export function waitsForLock(r: Rollout): boolean {
  return r.status === RolloutStatus.Pending && r.signature !== null && r.wait?.for === 'lock';
}

/** Recorded as queued and ended before it ever started: its queue entry may still be there. */
function endedInQueue(r: Rollout): boolean {
  return r.events.some((e) => e.type === EventType.Queued) && !r.events.some((e) => e.type === EventType.Started);
}

export class ServiceLock implements LockEffects {
  constructor(
    private readonly ctx: OrchestrationContext,
    private readonly writer: RolloutWriter,
    private readonly step: StepFn,
  ) {}

  holder(service: string): Promise<string | null> {
    return this.ctx.deps.store.lockHolder(service);
  }

  /** Takes the lock (or queues, supersedes, refuses). */
  async acquire(rollout: Rollout, options: AcquireOptions = {}): Promise<Rollout> {
    const { store } = this.ctx.deps;
    const { fromQueue = false, othersQueued = false, verified } = options;
    const service = this.ctx.service(rollout.service);
    const decide = async (r: Rollout | string, input: RolloutInput): Promise<Rollout> => {
      try {
        return await this.step(r, verified ? { recorded: verified, input } : input);
      } catch (e) {
        // Only a Supersede can be refused: the rollout was decided meanwhile by another actor (a delivery's
        // work done again at a restart, the queue's hand-off), and what it recorded stands. Ended, it lets
        // go of the lock this call may have just taken for it.
        if (!(e instanceof InvalidTransitionError)) throw e;
        const latest = await this.writer.load(rollout.id);
        this.ctx.log.info('not superseded: decided meanwhile', { rolloutId: rollout.id, status: latest.status, reason: e.message });
        await this.letGoIfEnded(latest);
        return latest;
      }
    };
    const queue = !fromQueue && service.policies.onNewImage === 'queue' ? await store.queued(service.name) : [];
    // Its own entry (the watchdog asking again for a rollout left in the queue) goes once it has started.
    let enqueued = fromQueue || queue.includes(rollout.id);
    const behind = othersQueued || queue.some((q) => q !== rollout.id);
    const olderWaiting = queue.some((q) => q < rollout.id);
    // Holding the lock already (it took it and died before recording so): it goes on, re-entrant, and
    // the older ones wait for its end; queued behind itself, it would wait for ever.
    const holder = olderWaiting ? await store.lockHolder(service.name) : null;
    if (olderWaiting && holder !== rollout.id) {
      // Older rollouts wait for this lock: queue behind them and hand the lock to the oldest.
      const queued = await decide(rollout.id, { type: 'Queued', behind: holder });
      if (!enqueued) await store.enqueue(service.name, rollout.id);
      // Marks the lock when held (its release reads the queue), or hands it to the oldest.
      await this.startNextQueued(service.name);
      return (await this.writer.find(rollout.id)) ?? queued;
    }
    for (let attempt = 0; attempt < RolloutPolicy.lockAttempts; attempt++) {
      if (await store.acquireLock(service.name, rollout.id, behind)) {
        const started = await this.start(rollout, service, decide);
        // Recorded as started (or refused) first: a crash before this leaves an entry the hand-off drops.
        if (enqueued) await store.dequeue(service.name, rollout.id);
        return started;
      }
      const holder = await store.lockHolder(service.name);
      if (holder === null) continue; // released between our two reads: try again
      if (service.policies.onNewImage === 'reject') {
        return decide(rollout.id, { type: 'StartFailed', reason: `rollout ${holder} of ${service.name} is still active and the service's onNewImage policy is reject` });
      }
      if (service.policies.onNewImage === 'supersede' && holder > rollout.id) {
        // A newer push holds the lock (the two deliveries' work ran in the other order, as parallel
        // intake invocations may): the older image gives way; it never supersedes a newer one.
        return decide(rollout.id, { type: 'Supersede', by: holder });
      }
      // The record before the entry, so that the hand-off never finds an entry whose record does not
      // wait for the lock yet (its signature may be recorded in this very save). A crash in between
      // leaves a rollout waiting for the lock with no entry: the watchdog puts it back in line.
      const queued = await decide(rollout.id, { type: 'Queued', behind: holder });
      if (!enqueued) await store.enqueue(service.name, rollout.id);
      enqueued = true;
      // Whoever holds the lock now reads the queue when it lets go. Found free, the holder ended before
      // the mark (its release read no queue, or read it before our entry was in it): hand over here.
      const marked = await store.markQueued(service.name);
      if (service.policies.onNewImage === 'supersede') await this.supersedeOthers(service.name, rollout.id, holder);
      if (marked) return queued;
      await this.startNextQueued(service.name);
      return (await this.writer.find(rollout.id)) ?? queued;
    }
    return this.writer.load(rollout.id);
  }

  async release(rollout: Rollout): Promise<void> {
    const { store } = this.ctx.deps;
    const { queued } = await store.releaseLock(rollout.service, rollout.id);
    if (endedInQueue(rollout)) await store.dequeue(rollout.service, rollout.id);
    // Nobody marked the lock: nobody queued behind it (a queuer that marks too late hands over itself).
    if (queued) await this.startNextQueued(rollout.service);
  }

  /**
   * Puts a verified rollout waiting for the lock back in line behind the holder (the watchdog: its entry
   * may never have been written, or written without a mark).
   */
  async backInLine(rollout: Rollout): Promise<void> {
    const { store } = this.ctx.deps;
    await store.enqueue(rollout.service, rollout.id);
    if (!(await store.markQueued(rollout.service))) await this.startNextQueued(rollout.service);
  }

  /**
   * An ended rollout that still holds its service's lock (its release was lost to a crash) lets go and
   * starts the next queued one. FAILED keeps the lock on purpose: a human must look first. `holder`: the
   * lock's holder when the caller has just read it.
   */
  async letGoIfEnded(rollout: Rollout, holder?: string | null): Promise<void> {
    if (!isTerminal(rollout.status) || rollout.status === RolloutStatus.Failed) return;
    if ((holder === undefined ? await this.holder(rollout.service) : holder) !== rollout.id) return;
    await this.release(rollout);
  }

  /**
   * When the lock is free, hands it to the oldest queued rollout still waiting for it, dropping the
   * entries of rollouts that started or ended meanwhile; when it is held and the queue is not empty,
   * marks it, so that its release reads the queue. Reads the queue and one record per entry it looks at
   * (usually one), never the service's history.
   */
  async startNextQueued(service: string): Promise<void> {
    const { store } = this.ctx.deps;
    const queued = await store.queued(service);
    if (queued.length === 0 || (await store.markQueued(service))) return;
    for (const [i, id] of queued.entries()) {
      const r = await this.writer.find(id);
      if (r !== null && waitsForLock(r)) {
        // Taken marked when entries remain behind it: its release reads the queue again.
        await this.acquire(r, { fromQueue: true, othersQueued: i < queued.length - 1 });
        return;
      }
      await store.dequeue(service, id);
    }
  }

  /**
   * Ends every older rollout of the service for the newest one: first the queued ones (so that the
   * holder's release starts the newest), then the holder, which rolls back to stable.
   */
  private async supersedeOthers(service: string, newest: string, holder: string): Promise<void> {
    const { store } = this.ctx.deps;
    for (const id of await store.queued(service)) {
      if (id >= newest || id === holder) continue;
      const r = await this.writer.find(id);
      if (r !== null && waitsForLock(r)) await this.supersede(id, newest);
      else if (r === null || isTerminal(r.status)) await store.dequeue(service, id);
    }
    await this.supersede(holder, newest);
  }

  private async supersede(id: string, by: string): Promise<void> {
    try {
      await this.step(id, { type: 'Supersede', by });
    } catch (e) {
      // Already being made primary (or ended): the newer rollout simply waits its turn.
      if (!(e instanceof InvalidTransitionError)) throw e;
      this.ctx.log.info('not superseded', { rolloutId: id, by, reason: e.message });
    }
  }

  /** Reads the stable task set and records Started, or StartFailed when there is none to go back to. */
  private async start(rollout: Rollout, service: ServiceConfig, decide: (r: Rollout, input: RolloutInput) => Promise<Rollout>): Promise<Rollout> {
    const away = this.ctx.deps.home ? outsideHome(service, this.ctx.deps.home) : null;
    if (away) return decide(rollout, { type: 'StartFailed', reason: away });
    const view = await this.ctx.deps.ecs.describe(target(service)).catch((e: unknown) => e as Error);
    if (view instanceof Error) return decide(rollout, { type: 'StartFailed', reason: view.message });
    if (!view.primary) return decide(rollout, { type: 'StartFailed', reason: `ECS service ${service.cluster}/${service.service} has no PRIMARY task set to roll back to` });
    // A newer push is deployed already (its rollout made the PRIMARY task set, named by its id, and ids
    // sort by receipt): this older image must not replace it. Its delivery's work can come late — lost
    // to a crash and done again at restart, or queued behind the newer one — so it ends here.
    const deployedBy = view.primary.externalId;
    if (deployedBy !== null && ROLLOUT_ID_PATTERN.test(deployedBy) && deployedBy > rollout.id) return decide(rollout, { type: 'Supersede', by: deployedBy });
    // Only services with `traffic.alb` read the load balancer: its checks load with the first of them.
    const alb = service.traffic ? await (await import('./alb-preflight')).albPreflight(this.ctx, service, view.primary, rollout) : null;
    if (alb && !alb.ok) return decide(rollout, { type: 'StartFailed', reason: alb.reason });
    return decide(rollout, {
      type: 'Started',
      stableTaskSetId: view.primary.id,
      stableDigest: view.primary.digest,
      ...(alb?.ok && alb.steadyTimeout ? { steadyTimeout: alb.steadyTimeout } : {}),
    });
  }
}
