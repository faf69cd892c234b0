import type { DeliveryClaim, RolloutStore } from '../../../shared/ports';

/** The two delivery-claim methods of a RolloutStore, in memory, with the TTL the test clock sees. */
export class MemoryClaims implements Pick<RolloutStore, 'claimDelivery' | 'deliveryOwner'> {
  readonly claims = new Map<string, { rolloutId: string; ttlSeconds: number }>();

  async claimDelivery(key: string, rolloutId: string, ttlSeconds: number): Promise<DeliveryClaim> {
    const held = this.claims.get(key);
    if (held) return { claimed: false, rolloutId: held.rolloutId };
    this.claims.set(key, { rolloutId, ttlSeconds });
    return { claimed: true };
  }

  async deliveryOwner(key: string): Promise<string | null> {
    return this.claims.get(key)?.rolloutId ?? null;
  }
}
