/**
 * Verified digests, remembered for a while: a rollout is checked on the image push, again on each
 * signature push and on retries, and a digest verified under a policy stays verified under it. Only
 * verdicts of `verified` are kept: a missing signature may arrive and a rejected image may get a good
 * signature appended, so those are always asked again. Least recently used entries go first.
 */
import type { SignatureInfo } from '../core/rollout';
import { setNewest } from '../bounded-map';

export interface VerifiedCacheOptions {
  /** Default 1000. */
  readonly maxEntries?: number;
  /** Default 3600 (one hour). */
  readonly ttlSeconds?: number;
}

export interface VerifiedKey {
  readonly registry: string;
  readonly repository: string;
  readonly digest: string;
  /** `policyHash` of the policy the digest was verified under. */
  readonly policy: string;
}

interface Entry {
  readonly signature: SignatureInfo;
  readonly expiresAt: number;
}

export class VerifiedCache {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly ttlMs: number;

  constructor(options: VerifiedCacheOptions = {}) {
    this.maxEntries = Math.max(1, options.maxEntries ?? 1000);
    this.ttlMs = Math.max(0, options.ttlSeconds ?? 3600) * 1000;
  }

  get(key: VerifiedKey, now: Date): SignatureInfo | null {
    const id = cacheId(key);
    const entry = this.entries.get(id);
    if (!entry) return null;
    this.entries.delete(id);
    if (entry.expiresAt <= now.getTime()) return null;
    this.entries.set(id, entry); // re-inserted: Map order is recency order
    return entry.signature;
  }

  /** `validUntil` shortens the entry's life (a certificate checked against the current time expires). */
  set(key: VerifiedKey, signature: SignatureInfo, now: Date, validUntil: Date | null = null): void {
    const expiresAt = Math.min(now.getTime() + this.ttlMs, validUntil?.getTime() ?? Number.POSITIVE_INFINITY);
    if (expiresAt <= now.getTime()) return;
    setNewest(this.entries, cacheId(key), { signature, expiresAt }, this.maxEntries);
  }

  get size(): number {
    return this.entries.size;
  }
}

function cacheId(key: VerifiedKey): string {
  // JSON keeps the parts apart: no registry or repository name can forge another key's separator.
  return JSON.stringify([key.registry, key.repository, key.digest, key.policy]);
}
