/**
 * The in-process queue of received webhook deliveries (local mode, tests, and any composition that
 * wires no other `DeliveryQueue`): the work of each delivery runs after its answer, a few at a time.
 * Nothing rests on it being durable: a delivery stays RECEIVED in the store until its outcome is
 * written, and the watchdog (or local mode at start) dispatches it again (docs/architecture.md,
 * "Webhook intake").
 *
 * The work shares the event loop (and, locally, the store) with the answers, so it yields to them: a
 * delivery's work starts when no delivery is being answered (`answering`) and none was for a moment
 * (`quietMs`), so that a burst of webhooks is answered first and worked on after; a delivery never waits
 * more than `maxDeferMs` for that, so that a steady stream of webhooks still gets its work done. Work
 * already started runs on.
 */
import type { Logger } from '../observability/logger';
import type { DeliveryQueue, ReceivedDelivery } from '../ports';
import { errorMessage } from './context';

export interface InProcessDeliveryQueueOptions {
  /** Deliveries worked on at once: few, so that their work does not starve the answers (the webhook benchmark: p99 43 ms at 2, 172 ms at 16). Default 2. */
  readonly concurrency?: number;
  /** How long after the last answer work may start (a server sets a moment: a burst's next request is usually on its way). Default 0: at its end. */
  readonly quietMs?: number;
  /** The longest a delivery waits for a quiet moment before its work starts anyway. Default 1000 ms. */
  readonly maxDeferMs?: number;
  /** Milliseconds of a monotonic clock; default `performance.now`. */
  readonly now?: () => number;
}

/** What a delivery's work is given: its id, and the record when the dispatcher had it (then it is not read back). */
export type DeliveryWork = (deliveryId: string, received?: ReceivedDelivery) => Promise<unknown>;

export class InProcessDeliveryQueue implements DeliveryQueue {
  private readonly waiting: { id: string; received: ReceivedDelivery | undefined; at: number }[] = [];
  private readonly known = new Set<string>();
  private running = 0;
  private lastAnswer = Number.NEGATIVE_INFINITY;
  private answers = 0;
  private timer: { handle: ReturnType<typeof setTimeout>; at: number } | undefined;
  private idleWaiters: (() => void)[] = [];
  private readonly concurrency: number;
  private readonly quietMs: number;
  private readonly maxDeferMs: number;
  private readonly now: () => number;

  constructor(
    private readonly work: DeliveryWork,
    private readonly log: Logger,
    options: InProcessDeliveryQueueOptions = {},
  ) {
    this.concurrency = options.concurrency ?? 2;
    this.quietMs = options.quietMs ?? 0;
    this.maxDeferMs = options.maxDeferMs ?? 1000;
    this.now = options.now ?? (() => performance.now());
  }

  async dispatch(deliveryId: string, received?: ReceivedDelivery): Promise<void> {
    // A delivery already waiting or being worked on is not queued twice.
    if (this.known.has(deliveryId)) return;
    this.known.add(deliveryId);
    this.waiting.push({ id: deliveryId, received, at: this.now() });
    this.pump();
  }

  /** A delivery is being answered: work yields until the returned function is called (once). */
  answering(): () => void {
    this.answers++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.answers--;
      this.lastAnswer = this.now();
      this.pump();
    };
  }

  /** Resolves when nothing is waiting or being worked on. */
  idle(): Promise<void> {
    if (this.running === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.running < this.concurrency && this.waiting.length > 0) {
      const now = this.now();
      // Answers under way or just made, and the oldest not kept waiting too long: look again when it may be
      // quiet (the end of an answer looks again too).
      const quietAt = this.answers > 0 ? Number.POSITIVE_INFINITY : this.lastAnswer + this.quietMs;
      const dueAt = this.waiting[0]!.at + this.maxDeferMs;
      if (now < quietAt && now < dueAt) {
        this.wakeAt(Math.min(quietAt, dueAt));
        return;
      }
      const { id, received } = this.waiting.shift()!;
      this.running++;
      void this.work(id, received)
        .catch((e: unknown) => this.log.error('delivery not processed; the watchdog will try again', { deliveryId: id, error: errorMessage(e) }))
        .finally(() => {
          this.running--;
          this.known.delete(id);
          this.pump();
          if (this.running === 0 && this.waiting.length === 0) {
            const waiters = this.idleWaiters;
            this.idleWaiters = [];
            for (const resolve of waiters) resolve();
          }
        });
    }
  }

  /** Pumps again at `at` (the queue's clock), unless it is set to already at that time or sooner. */
  private wakeAt(at: number): void {
    if (this.timer !== undefined && this.timer.at <= at) return;
    if (this.timer !== undefined) clearTimeout(this.timer.handle);
    const handle = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, Math.max(1, Math.ceil(at - this.now())));
    this.timer = { handle, at };
  }
}
