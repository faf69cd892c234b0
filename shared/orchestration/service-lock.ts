/**
 * The service lock and its queue: one rollout at a time per service. The rollout that takes the lock
 * reads the stable task set and starts; one that finds it held queues, supersedes the holder, or is
 * refused, as the service's `onNewImage` policy says. Releasing the lock hands it to the oldest queued
 * rollout.
 *
 * The queue is the store's (`RolloutStore.enqueue` / `queued`): items beside the lock, read
 * consistently in push order, never an index listing. Without transactions the entry and the record are
 * two writes, so the entry comes first (enqueue, then record Queued) and an entry is only a hint:
 * whoever reads the queue loads each rollout's record, acts on those still waiting for the lock and
 * drops the entries of rollouts that started or ended (a crash between the writes, or an end raced with
 * the dequeue). An entry is removed by the rollout itself when it takes the lock, and at release when a
 * queued rollout ends without having started.
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
import type { RolloutWriter } from './rollout-writer';

/** Saves an input and runs its effects (EffectRunner.step). */
export type StepFn = (rolloutOrId: Rollout | string, input: RolloutInput) => Promise<Rollout>;

/** A rollout the lock's hand-off may start: verified, not started, and waiting for the lock. */
function waitsForLock(r: Rollout): boolean {
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

  /**
   * Takes the lock (or queues, supersedes, refuses). `fromQueue`: the rollout is the oldest one of the
   * queue still waiting (the hand-off), so it neither looks for older ones nor enqueues again.
   */
  async acquire(rollout: Rollout, fromQueue = false): Promise<Rollout> {
    const { store } = this.ctx.deps;
    const service = this.ctx.service(rollout.service);
    let enqueued = fromQueue;
    if (!fromQueue && service.policies.onNewImage === 'queue' && (await this.olderQueued(service.name, rollout.id))) {
      // Older rollouts wait for this lock: queue behind them and hand the lock to the oldest.
      await store.enqueue(service.name, rollout.id);
      const queued = await this.step(rollout.id, { type: 'Queued', behind: await store.lockHolder(service.name) });
      await this.startNextQueued(service.name);
      return (await this.writer.find(rollout.id)) ?? queued;
    }
    for (let attempt = 0; attempt < RolloutPolicy.lockAttempts; attempt++) {
      if (await store.acquireLock(service.name, rollout.id)) {
        const started = await this.start(rollout, service);
        // Recorded as started (or refused) first: a crash before this leaves an entry the hand-off drops.
        if (enqueued) await store.dequeue(service.name, rollout.id);
        return started;
      }
      const holder = await store.lockHolder(service.name);
      if (holder === null) continue; // released between our two reads: try again
      if (service.policies.onNewImage === 'reject') {
        return this.step(rollout.id, { type: 'StartFailed', reason: `rollout ${holder} of ${service.name} is still active and the service's onNewImage policy is reject` });
      }
      if (service.policies.onNewImage === 'supersede' && holder > rollout.id) {
        // A newer push holds the lock (the two deliveries' work ran in the other order, as parallel
        // intake invocations may): the older image gives way; it never supersedes a newer one.
        return this.step(rollout.id, { type: 'Supersede', by: holder });
      }
      // The entry before the record: a crash in between leaves an entry whose record still waits for
      // the lock (SignatureVerified already said so), which the hand-off takes as queued.
      if (!enqueued) await store.enqueue(service.name, rollout.id);
      enqueued = true;
      const queued = await this.step(rollout.id, { type: 'Queued', behind: holder });
      if (service.policies.onNewImage === 'supersede') await this.supersedeOthers(service.name, rollout.id, holder);
      // The holder may have ended and read the queue before our entry was in it: hand over again.
      if ((await store.lockHolder(service.name)) !== null) return queued;
      await this.startNextQueued(service.name);
      return (await this.writer.find(rollout.id)) ?? queued;
    }
    return this.writer.load(rollout.id);
  }

  async release(rollout: Rollout): Promise<void> {
    const { store } = this.ctx.deps;
    await store.releaseLock(rollout.service, rollout.id);
    if (endedInQueue(rollout)) await store.dequeue(rollout.service, rollout.id);
    await this.startNextQueued(rollout.service);
  }

  /**
   * An ended rollout that still holds its service's lock (its release was lost to a crash) lets go and
   * starts the next queued one. FAILED keeps the lock on purpose: a human must look first.
   */
  async letGoIfEnded(rollout: Rollout): Promise<void> {
    if (!isTerminal(rollout.status) || rollout.status === RolloutStatus.Failed) return;
    if ((await this.holder(rollout.service)) !== rollout.id) return;
    await this.release(rollout);
  }

  /**
   * When the lock is free, hands it to the oldest queued rollout still waiting for it, dropping the
   * entries of rollouts that started or ended meanwhile. Reads the queue and one record per entry it
   * looks at (usually one), never the service's history.
   */
  async startNextQueued(service: string): Promise<void> {
    const { store } = this.ctx.deps;
    // The queue first: most releases find it empty, and then the lock is not read at all.
    const queued = await store.queued(service);
    if (queued.length === 0 || (await store.lockHolder(service)) !== null) return;
    for (const id of queued) {
      const r = await this.writer.find(id);
      if (r !== null && waitsForLock(r)) {
        await this.acquire(r, true);
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
  private async start(rollout: Rollout, service: ServiceConfig): Promise<Rollout> {
    const away = this.ctx.deps.home ? outsideHome(service, this.ctx.deps.home) : null;
    if (away) return this.step(rollout, { type: 'StartFailed', reason: away });
    const view = await this.ctx.deps.ecs.describe(target(service)).catch((e: unknown) => e as Error);
    if (view instanceof Error) return this.step(rollout, { type: 'StartFailed', reason: view.message });
    if (!view.primary) return this.step(rollout, { type: 'StartFailed', reason: `ECS service ${service.cluster}/${service.service} has no PRIMARY task set to roll back to` });
    // A newer push is deployed already (its rollout made the PRIMARY task set, named by its id, and ids
    // sort by receipt): this older image must not replace it. Its delivery's work can come late — lost
    // to a crash and done again at restart, or queued behind the newer one — so it ends here.
    const deployedBy = view.primary.externalId;
    if (deployedBy !== null && ROLLOUT_ID_PATTERN.test(deployedBy) && deployedBy > rollout.id) return this.step(rollout, { type: 'Supersede', by: deployedBy });
    // Only services with `traffic.alb` read the load balancer: its checks load with the first of them.
    const alb = service.traffic ? await (await import('./alb-preflight')).albPreflight(this.ctx, service, view.primary, rollout) : null;
    if (alb && !alb.ok) return this.step(rollout, { type: 'StartFailed', reason: alb.reason });
    return this.step(rollout, {
      type: 'Started',
      stableTaskSetId: view.primary.id,
      stableDigest: view.primary.digest,
      ...(alb?.ok && alb.steadyTimeout ? { steadyTimeout: alb.steadyTimeout } : {}),
    });
  }

  /**
   * Whether an older rollout is in the queue. An entry may be stale (its rollout ended and a crash
   * kept the entry): the caller then queues and hands over, and the hand-off drops it.
   */
  private async olderQueued(service: string, id: string): Promise<boolean> {
    return (await this.ctx.deps.store.queued(service)).some((q) => q < id);
  }
}
