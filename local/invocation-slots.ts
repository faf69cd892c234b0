/**
 * How many function invocations local mode runs at once: the state machine's tasks, the events
 * EventBridge would deliver (ECS, execution status changes, the watchdog's schedule) and the intake's
 * work. In AWS each is a Lambda invocation in an execution environment of its own; here they share one
 * event loop with the API and the stand-ins, so a few at a time keep the API's answers (and each
 * invocation's own round trips) from queueing behind hundreds of rollouts' steps
 * (docs/architecture.md, "Local mode runs the same definition"). Waiting invocations start in the
 * order they came.
 *
 * The API's answers come first: while a request to the API is being answered (`answering`), a waiting
 * invocation does not start, unless it has waited `maxDeferMs` already (so a steady stream of requests
 * still lets the rollouts move). Invocations already running run on: only starts yield. Scheduling
 * only: no decision of the loop depends on it.
 */
export interface InvocationSlotsOptions {
  /** The longest a waiting invocation yields to the API's answers. Default 20 ms; 0: never yields. */
  readonly maxDeferMs?: number;
  /** Milliseconds of a monotonic clock; default `performance.now`. */
  readonly now?: () => number;
}

export class InvocationSlots {
  private readonly waiting: { readonly start: () => void; readonly at: number }[] = [];
  private running = 0;
  private answers = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly maxDeferMs: number;
  private readonly now: () => number;

  constructor(
    private readonly size: number,
    options: InvocationSlotsOptions = {},
  ) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`invocation slots must be a whole number of at least 1, not ${size}`);
    this.maxDeferMs = options.maxDeferMs ?? 20;
    this.now = options.now ?? (() => performance.now());
  }

  /** Runs `invocation` once a slot is free (and the API's answers let it); the slot is freed when it settles. */
  async run<T>(invocation: () => Promise<T>): Promise<T> {
    if (this.running < this.size && this.waiting.length === 0 && this.answers === 0) this.running += 1;
    else {
      await new Promise<void>((resolve) => {
        this.waiting.push({ start: resolve, at: this.now() });
        this.pump();
      });
    }
    try {
      return await invocation();
    } finally {
      this.running -= 1;
      this.pump();
    }
  }

  /** A request to the API is being answered: waiting invocations yield until the returned function is called (once). */
  answering(): () => void {
    this.answers += 1;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.answers -= 1;
      this.pump();
    };
  }

  private pump(): void {
    while (this.running < this.size && this.waiting.length > 0) {
      const dueAt = this.waiting[0]!.at + this.maxDeferMs;
      if (this.answers > 0 && this.now() < dueAt) {
        // Look again when the oldest has waited long enough (an answer's end looks again too).
        this.timer ??= setTimeout(() => {
          this.timer = null;
          this.pump();
        }, Math.max(1, Math.ceil(dueAt - this.now())));
        this.timer.unref?.();
        return;
      }
      this.running += 1;
      this.waiting.shift()!.start();
    }
  }
}
