/**
 * The process's bounded memories (recent deliveries, verified signatures, parsed certificates, Signer
 * revocation answers, the rate limiter's counters) are insertion-ordered maps: a new or renewed entry goes
 * last, and the oldest are forgotten first once the map holds more than its bound.
 */

/** Sets `key` as the newest entry, then forgets the oldest beyond `bound` (with 0 nothing stays). */
export function setNewest<K, V>(map: Map<K, V>, key: K, value: V, bound: number): void {
  map.delete(key);
  map.set(key, value);
  forgetOldest(map, bound);
}

/** Forgets the oldest entries until `map` holds at most `bound`. */
export function forgetOldest<K, V>(map: Map<K, V>, bound: number): void {
  for (const key of map.keys()) {
    if (map.size <= bound) return;
    map.delete(key);
  }
}
