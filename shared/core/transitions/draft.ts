/**
 * The working copy of one transition: the record as it will be saved, the events and effects the
 * transition adds, and the types every status handler is written with.
 */
import type { Effect, RolloutInput, RolloutInputType } from '../commands';
import type { EventType } from '../events';
import type { Rollout, RolloutStep } from '../rollout';
import type { TransitionResult } from '../transition';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export class Draft {
  /** The record being built; `before` is the record as it was. */
  readonly r: Mutable<Rollout>;
  readonly steps: Mutable<RolloutStep>[];
  readonly effects: Effect[] = [];
  /** `now` as ISO-8601: the time of every event and step change of this transition. */
  readonly at: string;
  private added = 0;

  constructor(
    readonly before: Rollout,
    readonly now: Date,
  ) {
    this.at = now.toISOString();
    this.steps = before.steps.map((s) => ({ ...s }));
    this.r = { ...before, events: [...before.events], approvals: [...before.approvals] };
  }

  log(type: EventType, message: string): void {
    this.r.events = [...this.r.events, { seq: this.before.events.length + this.added, at: this.at, type, message }];
    this.added += 1;
  }

  effect(effect: Effect): void {
    this.effects.push(effect);
  }

  /**
   * Asks the workflow to stop waiting, handing over the wait's token. The record keeps the token until
   * the answer went through (the `WaitAnswered` input): a failed send is sent again, never lost.
   */
  wake(): void {
    this.effects.push({ type: 'wakeWorkflow', taskToken: this.r.taskToken });
  }

  /** True once the transition logged an event or asked for an effect. */
  get touched(): boolean {
    return this.added > 0 || this.effects.length > 0;
  }

  result(): TransitionResult {
    return {
      rollout: { ...this.r, steps: this.steps, updatedAt: this.at, version: this.before.version + 1 },
      effects: this.effects,
      changed: true,
    };
  }
}

/** The record as it was, same version; `effects` may still ask for something (give a lock back, re-drive a rollback). */
export function unchanged(rollout: Rollout, effects: readonly Effect[] = []): TransitionResult {
  return { rollout, effects, changed: false };
}

export type InputOf<T extends RolloutInputType> = Extract<RolloutInput, { type: T }>;

type HandlerOf<I extends RolloutInput> = (d: Draft, input: I) => TransitionResult;

/** What one status does with one kind of input (or with several alike: `Handler<'Reject' | 'Abort'>`). */
export type Handler<T extends RolloutInputType = RolloutInputType> = HandlerOf<InputOf<T>>;

/** The inputs a status takes; any other input gets transition's default. */
export type StatusHandlers = { readonly [T in RolloutInputType]?: HandlerOf<InputOf<T>> };
