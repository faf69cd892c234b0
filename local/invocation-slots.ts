/**
 * How many function invocations local mode runs at once: the state machine's tasks, the events
 * EventBridge would deliver (ECS, execution status changes, the watchdog's schedule) and the intake's
 * work. In AWS each is a Lambda invocation in an execution environment of its own; here they share one
 * event loop with the API and the stand-ins, so a few at a time keep the API's answers (and each
 * invocation's own round trips) from queueing behind hundreds of rollouts' steps
 * (docs/architecture.md, "Local mode runs the same definition"). Waiting invocations start in the
 * order they came.
 */
export class InvocationSlots {
  private readonly waiting: (() => void)[] = [];
  private running = 0;

  constructor(private readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`invocation slots must be a whole number of at least 1, not ${size}`);
  }

  /** Runs `invocation` once a slot is free; the slot is given to the next waiting one when it settles. */
  async run<T>(invocation: () => Promise<T>): Promise<T> {
    if (this.running < this.size) this.running += 1;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await invocation();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}
