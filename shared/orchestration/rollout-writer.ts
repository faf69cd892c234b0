/**
 * Saving a rollout: ask the pure core what an input means, save the result under the optimistic lock
 * (re-deciding from the stored record on a version conflict), then tell the listeners. The one place
 * that writes rollout records.
 */
import type { RolloutInput } from '../core/commands';
import { RolloutPolicy } from '../core/policy';
import type { Rollout } from '../core/rollout';
import { type TransitionResult, transition } from '../core/transition';
import { RolloutNotFoundError, VersionConflictError } from '../errors';
import type { OrchestrationContext } from './context';

/**
 * Told about every saved change of a rollout, after the save: the dashboard's live updates,
 * notifications, metrics. A listener that throws is logged and does not fail the change.
 */
export type RolloutListener = (rollout: Rollout, previous: Rollout) => void | Promise<void>;

/**
 * What one save records: an input, or an input decided from the record that `recorded` makes, both in
 * one save under one version. `recorded` is one the caller has acted on already (a verified signature,
 * whose lock it took or asked for): its effects are not run again, only `input`'s are.
 */
export type SaveInput = RolloutInput | { readonly recorded: RolloutInput; readonly input: RolloutInput };

function decide(current: Rollout, input: SaveInput, now: Date): TransitionResult {
  if (!('recorded' in input)) return transition(current, input, now);
  const first = transition(current, input.recorded, now);
  const then = transition(first.rollout, input.input, now);
  if (!first.changed) return then;
  if (!then.changed) return { ...then, rollout: first.rollout, changed: true };
  return { ...then, rollout: { ...then.rollout, version: current.version + 1 } };
}

export interface SaveOptions {
  /** False: a version conflict answers the stored record instead of deciding the input again on it. */
  readonly redecide?: boolean;
}

export class RolloutWriter {
  private readonly listeners = new Set<RolloutListener>();

  constructor(private readonly ctx: OrchestrationContext) {}

  /** Subscribes to saved changes; returns the unsubscribe function. */
  subscribe(listener: RolloutListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  load(id: string): Promise<Rollout> {
    return this.ctx.deps.store.get(id);
  }

  /** The record, or null when there is none. */
  find(id: string): Promise<Rollout | null> {
    return this.ctx.deps.store.get(id).catch((e: unknown) => {
      if (e instanceof RolloutNotFoundError) return null;
      throw e;
    });
  }

  /** Writes a new record (VersionConflictError when the id exists) and tells the listeners. */
  async create(rollout: Rollout): Promise<void> {
    await this.ctx.deps.store.create(rollout);
    await this.tell(rollout, rollout);
  }

  /**
   * Transition and save, deciding again from the stored record after each version conflict. With
   * `redecide: false`, a conflict ends the save instead: the stored record is answered, unchanged and with
   * no effects, for the caller to decide from it itself (the step driver, whose own checks come first).
   */
  async save(rolloutOrId: Rollout | string, input: SaveInput, options: SaveOptions = {}): Promise<TransitionResult> {
    const { store } = this.ctx.deps;
    let current = typeof rolloutOrId === 'string' ? await store.get(rolloutOrId) : rolloutOrId;
    for (let attempt = 1; ; attempt++) {
      const result = decide(current, input, this.ctx.clock());
      if (!result.changed) return result;
      try {
        await store.save(result.rollout, current);
        await this.tell(result.rollout, current);
        return result;
      } catch (e) {
        if (!(e instanceof VersionConflictError) || attempt >= RolloutPolicy.maxSaveAttempts) throw e;
        current = await store.get(current.id);
        if (options.redecide === false) return { rollout: current, effects: [], changed: false };
      }
    }
  }

  /**
   * Keeps a callback wait's token on the record at `version` without reading it (RolloutStore.keepToken)
   * and tells the listeners; null when the record moved on since that version. Only for the record a
   * STEADY or APPROVAL directive was decided from, where the core's SteadyWaitStarted and
   * ApprovalWaitStarted do just this: set the token (see StepDriver.keepToken).
   */
  async keepToken(id: string, version: number, taskToken: string): Promise<Rollout | null> {
    const kept = await this.ctx.deps.store.keepToken(id, version, taskToken, this.ctx.clock().toISOString());
    if (kept) await this.tell(kept, { ...kept, version });
    return kept;
  }

  private async tell(rollout: Rollout, previous: Rollout): Promise<void> {
    for (const listener of this.listeners) {
      try {
        await listener(rollout, previous);
      } catch (e) {
        this.ctx.log.warn('rollout listener failed', { rolloutId: rollout.id, error: e });
      }
    }
  }
}
