/**
 * The deliveries a sender identifies that this process recorded or read lately (docs/architecture.md,
 * "Webhook intake"): a repeat of one (a registry retrying) is answered from here without a store call.
 * Only what is known durable is remembered (a delivery recorded, or read from the store), for far less
 * time than the store keeps it, so an answer from here promises nothing the store does not hold.
 */
import type { DeliveryRecord } from '../ports';
import { setNewest } from '../bounded-map';

export class RecentDeliveries {
  /** By id, oldest first (a Map keeps insertion order): each entry with when it is forgotten. */
  private readonly entries = new Map<string, { readonly record: DeliveryRecord; readonly until: number }>();

  constructor(
    private readonly lifetimeMs: number,
    private readonly capacity: number,
  ) {}

  get(id: string, now: Date): DeliveryRecord | null {
    const entry = this.entries.get(id);
    if (!entry) return null;
    if (entry.until > now.getTime()) return entry.record;
    this.entries.delete(id);
    return null;
  }

  remember(record: DeliveryRecord, now: Date): void {
    setNewest(this.entries, record.id, { record, until: now.getTime() + this.lifetimeMs }, this.capacity);
  }

  /** The outcome of a delivery remembered as received: a repeat is then answered with it. */
  processed(record: DeliveryRecord, now: Date): void {
    if (this.entries.has(record.id)) this.remember(record, now);
  }
}
