import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../shared/signature/canonical-json';
import { pae } from '../../../shared/signature/dsse';
import { VerifiedCache } from '../../../shared/signature/verified-cache';
import type { SignatureInfo } from '../../../shared/core/rollout';

describe('canonical JSON (RFC 8785) for Rekor SETs', () => {
  it('sorts keys by UTF-16 code units and writes no whitespace', () => {
    expect(canonicalJson({ logIndex: 1, logID: 'ab', integratedTime: 2, body: 'e30=' })).toBe('{"body":"e30=","integratedTime":2,"logID":"ab","logIndex":1}');
    expect(canonicalJson({ b: [true, null, { d: 'é', c: '\u2028' }], a: -0.5 })).toBe('{"a":-0.5,"b":[true,null,{"c":"\u2028","d":"é"}]}');
  });

  it('refuses numbers JSON cannot hold', () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(RangeError);
  });
});

describe('DSSE pre-authentication encoding', () => {
  it('is "DSSEv1 len(type) type len(body) body", lengths in bytes', () => {
    expect(pae('application/vnd.in-toto+json', Buffer.from('{"a":"é"}')).toString('utf8')).toBe('DSSEv1 28 application/vnd.in-toto+json 10 {"a":"é"}');
    expect(pae('', new Uint8Array()).toString('utf8')).toBe('DSSEv1 0  0 ');
  });
});

describe('VerifiedCache', () => {
  const signature = { key: 'k' } as SignatureInfo;
  const key = (digest: string) => ({ registry: 'r', repository: 'team/web', digest, policy: 'p' });
  const t0 = new Date('2026-01-01T00:00:00Z');
  const at = (s: number) => new Date(t0.getTime() + s * 1000);

  it('forgets entries after the TTL or their own end, whichever is first', () => {
    const cache = new VerifiedCache({ ttlSeconds: 60 });
    cache.set(key('a'), signature, t0);
    cache.set(key('b'), signature, t0, at(10));
    expect(cache.get(key('a'), at(59))).toBe(signature);
    expect(cache.get(key('b'), at(9))).toBe(signature);
    expect(cache.get(key('b'), at(10))).toBeNull();
    expect(cache.get(key('a'), at(60))).toBeNull();
  });

  it('evicts the least recently used entry first', () => {
    const cache = new VerifiedCache({ maxEntries: 2 });
    cache.set(key('a'), signature, t0);
    cache.set(key('b'), signature, t0);
    cache.get(key('a'), t0);
    cache.set(key('c'), signature, t0);
    expect([cache.get(key('a'), t0), cache.get(key('b'), t0), cache.get(key('c'), t0)]).toEqual([signature, null, signature]);
    expect(cache.size).toBe(2);
  });

  it('keeps keys apart whatever their characters', () => {
    const cache = new VerifiedCache();
    cache.set({ registry: 'r', repository: 'a"b', digest: 'd', policy: 'p' }, signature, t0);
    expect(cache.get({ registry: 'r', repository: 'a', digest: 'b"d', policy: 'p' }, t0)).toBeNull();
  });
});
