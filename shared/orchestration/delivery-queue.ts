/**
 * The in-process queue of received webhook deliveries (local mode, tests, and any composition that
 * wires no other `DeliveryQueue`): the work of each delivery runs after its answer, a few at a time.
 * Nothing rests on it being durable: a delivery stays RECEIVED in the store until its outcome is
 * written, and the watchdog (or local mode at start) dispatches it again (docs/architecture.md,
 * "Webhook intake").
 */
import type { Logger } from '../observability/logger';
import type { DeliveryQueue } from '../ports';
import { errorMessage } from './context';

/** Deliveries worked on at once: few, so that their work (in this event loop) does not starve the answers (the webhook benchmark: p99 43 ms at 2, 172 ms at 16). */
const DEFAULT_CONCURRENCY = 2;

export class InProcessDeliveryQueue implements DeliveryQueue {
  private readonly waiting: string[] = [];
  private readonly known = new Set<string>();
  private running = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly work: (deliveryId: string) => Promise<unknown>,
    private readonly log: Logger,
    private readonly concurrency = DEFAULT_CONCURRENCY,
  ) {}

  async dispatch(deliveryId: string): Promise<void> {
    // A delivery already waiting or being worked on is not queued twice.
    if (this.known.has(deliveryId)) return;
    this.known.add(deliveryId);
    this.waiting.push(deliveryId);
    this.pump();
  }

  /** Resolves when nothing is waiting or being worked on. */
  idle(): Promise<void> {
    if (this.running === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.running < this.concurrency && this.waiting.length > 0) {
      const id = this.waiting.shift()!;
      this.running++;
      void this.work(id)
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
}
