/**
 * The service lock and its queue: one rollout at a time per service. The rollout that takes the lock
 * reads the stable task set and starts; one that finds it held queues, supersedes the holder, or is
 * refused, as the service's `onNewImage` policy says. Releasing the lock hands it to the oldest queued
 * rollout.
 */
import type { RolloutInput } from '../core/commands';
import { RolloutPolicy } from '../core/policy';
import type { Rollout } from '../core/rollout';
import { RolloutStatus, isTerminal } from '../core/status';
import { InvalidTransitionError } from '../errors';
import { type OrchestrationContext, target } from './context';
import type { LockEffects } from './effect-runner';
import type { RolloutWriter } from './rollout-writer';

/** Saves an input and runs its effects (EffectRunner.step). */
export type StepFn = (rolloutOrId: Rollout | string, input: RolloutInput) => Promise<Rollout>;

export class ServiceLock implements LockEffects {
  constructor(
    private readonly ctx: OrchestrationContext,
    private readonly writer: RolloutWriter,
    private readonly step: StepFn,
  ) {}

  holder(service: string): Promise<string | null> {
    return this.ctx.deps.store.lockHolder(service);
  }

  async acquire(rollout: Rollout): Promise<Rollout> {
    const { store, ecs } = this.ctx.deps;
    const service = this.ctx.service(rollout.service);
    if (service.policies.onNewImage === 'queue' && (await this.olderQueued(service.name, rollout.id))) {
      // Older rollouts wait for this lock: queue behind them and hand the lock to the oldest.
      const queued = await this.step(rollout.id, { type: 'Queued', behind: await store.lockHolder(service.name) });
      await this.startNextQueued(service.name);
      return (await this.writer.find(rollout.id)) ?? queued;
    }
    for (let attempt = 0; attempt < RolloutPolicy.lockAttempts; attempt++) {
      if (await store.acquireLock(service.name, rollout.id)) {
        const view = await ecs.describe(target(service)).catch((e: unknown) => e as Error);
        if (view instanceof Error) return this.step(rollout.id, { type: 'StartFailed', reason: view.message });
        if (!view.primary) return this.step(rollout.id, { type: 'StartFailed', reason: `ECS service ${service.cluster}/${service.service} has no PRIMARY task set to roll back to` });
        return this.step(rollout.id, { type: 'Started', stableTaskSetId: view.primary.id, stableDigest: view.primary.digest });
      }
      const holder = await store.lockHolder(service.name);
      if (holder === null) continue; // released between our two reads: try again
      if (service.policies.onNewImage === 'reject') {
        return this.step(rollout.id, { type: 'StartFailed', reason: `rollout ${holder} of ${service.name} is still active and the service's onNewImage policy is reject` });
      }
      const queued = await this.step(rollout.id, { type: 'Queued', behind: holder });
      if (service.policies.onNewImage === 'supersede') await this.supersedeOthers(service.name, rollout.id, holder);
      // The holder may have ended and looked for queued rollouts before ours was recorded as queued.
      if ((await store.lockHolder(service.name)) !== null) return queued;
    }
    return this.writer.load(rollout.id);
  }

  async release(rollout: Rollout): Promise<void> {
    await this.ctx.deps.store.releaseLock(rollout.service, rollout.id);
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

  async startNextQueued(service: string): Promise<void> {
    const { store } = this.ctx.deps;
    if ((await store.lockHolder(service)) !== null) return;
    const page = await store.list({ service, status: RolloutStatus.Pending, limit: 100 });
    const next = [...page.items].reverse().find((r) => r.signature && r.wait?.for === 'lock');
    if (next) await this.acquire(next);
  }

  /**
   * Ends every older rollout of the service for the newest one: first the queued ones (so that the
   * holder's release starts the newest), then the holder, which rolls back to stable.
   */
  private async supersedeOthers(service: string, newest: string, holder: string): Promise<void> {
    const page = await this.ctx.deps.store.list({ service, status: RolloutStatus.Pending, limit: 100 });
    const older = page.items.filter((r) => r.id !== newest && r.id < newest && r.signature && r.wait?.for === 'lock');
    for (const r of older) await this.supersede(r.id, newest);
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

  private async olderQueued(service: string, id: string): Promise<boolean> {
    const page = await this.ctx.deps.store.list({ service, status: RolloutStatus.Pending, limit: 100 });
    return page.items.some((r) => r.id < id && r.signature !== null && r.wait?.for === 'lock');
  }
}
