/**
 * Local mode's durable clock: the same loop as the Step Functions state machine
 * (Advance -> Wait | Approval | Done), on timers. Durability comes from the store: after a restart
 * `Orchestrator.resume()` starts every active rollout again and Advance carries on from the record.
 */
import type { Directive } from '../shared/core/directive';
import type { Rollout } from '../shared/core/rollout';
import type { Logger } from '../shared/observability/logger';
import type { ClockState, Workflow } from '../shared/ports';

export interface LocalWorkflowOptions {
  /** Milliseconds between looks at ECS while waiting for steady state. Default 250. */
  readonly steadyPollMs?: number;
  readonly logger?: Logger;
}

type Advance = (rolloutId: string) => Promise<Directive>;

const MAX_TIMER_MS = 2 ** 31 - 1;

export class LocalWorkflow implements Workflow {
  private advanceFn: Advance | null = null;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Set<string>();
  /** Rollouts woken while their Advance was running: run once more when it ends. */
  private readonly again = new Set<string>();
  private readonly idle = new Set<() => void>();
  private stopped = false;
  private readonly steadyPollMs: number;

  constructor(private readonly options: LocalWorkflowOptions = {}) {
    this.steadyPollMs = options.steadyPollMs ?? 250;
  }

  /** Connects the step handler (the orchestrator's `advance`), which is built after the workflow. */
  attach(advance: Advance): void {
    this.advanceFn = advance;
  }

  /** One timer per rollout: the attempt names nothing here. */
  async start(rolloutId: string, _attempt: number): Promise<void> {
    this.schedule(rolloutId, 0);
  }

  async clockState(rolloutId: string): Promise<ClockState> {
    return this.timers.has(rolloutId) || this.running.has(rolloutId) ? 'RUNNING' : 'NONE';
  }

  async wake(rollout: Rollout): Promise<void> {
    this.schedule(rollout.id, 0);
  }

  /** Rollouts the clock is driving now. */
  active(): string[] {
    return [...new Set([...this.timers.keys(), ...this.running])];
  }

  /** Stops all timers; Advances already running finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    while (this.running.size > 0) await new Promise<void>((resolve) => this.idle.add(resolve));
  }

  private schedule(id: string, ms: number): void {
    if (this.stopped) return;
    if (this.running.has(id)) {
      this.again.add(id);
      return;
    }
    const existing = this.timers.get(id);
    if (existing) clearTimeout(existing);
    const timer = setTimeout(() => void this.run(id), ms);
    this.timers.set(id, timer);
  }

  private async run(id: string): Promise<void> {
    this.timers.delete(id);
    if (!this.advanceFn) throw new Error('LocalWorkflow used before attach()');
    this.running.add(id);
    let directive: Directive | null = null;
    try {
      directive = await this.advanceFn(id);
    } catch (e) {
      this.options.logger?.error('advance failed; retrying', { rolloutId: id, error: e });
    } finally {
      this.running.delete(id);
      for (const resolve of this.idle) resolve();
      this.idle.clear();
    }
    if (this.again.delete(id)) return this.schedule(id, 0);
    if (directive === null) return this.schedule(id, 1000);
    // setTimeout fires at once for delays over 2^31-1 ms (about 24.8 days): a long bake wakes early and waits again.
    if (directive.next === 'WAIT') this.schedule(id, Math.min(MAX_TIMER_MS, directive.for === 'bake' ? directive.seconds * 1000 : this.steadyPollMs));
    // An approval with a deadline looks again at the deadline; otherwise only wake() moves it. DONE: forget it.
    if (directive.next === 'APPROVAL' && directive.seconds !== undefined) this.schedule(id, Math.min(MAX_TIMER_MS, directive.seconds * 1000));
  }
}
