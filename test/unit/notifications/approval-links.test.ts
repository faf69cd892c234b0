import { describe, expect, it } from 'vitest';
import { ApprovalLinks, type LinkClaims, signLink, tokenHash, verifyLink } from '../../../shared/notifications/approval-links';
import { ApprovalLinkError } from '../../../shared/notifications/errors';
import { T0 } from '../core/rollout-builders';
import { rolloutStates } from '../observability/rollout-states';
import { MemoryClaims } from './memory-claims';

const SECRET = 'a-link-secret-of-32-characters!!';
const now = Math.floor(T0.getTime() / 1000);
const claims: LinkClaims = { rolloutId: 'r1', action: 'approve', step: 3, expiresAt: now + 3600, target: 'slack:SLACK_URL' };

describe('approval link tokens', () => {
  it('verify with the secret that signed them and give back every claim', () => {
    const token = signLink(SECRET, claims);
    expect(token).toMatch(/^[\w-]+\.[\w-]{43}$/);
    expect(verifyLink(SECRET, token, T0)).toEqual({ ok: true, claims });
  });

  it.each([
    ['another secret', () => signLink('another-secret-of-many-characters', claims), 'forged'],
    ['a changed action', () => swapPayload(signLink(SECRET, claims), { ...claims, action: 'abort' }), 'forged'],
    ['a later expiry', () => swapPayload(signLink(SECRET, claims), { ...claims, expiresAt: now + 999_999 }), 'forged'],
    ['a truncated mac', () => signLink(SECRET, claims).slice(0, -4), 'forged'],
    ['no mac', () => signLink(SECRET, claims).split('.')[0]!, 'malformed'],
    ['junk', () => 'hello world', 'malformed'],
    ['a huge token', () => `${'a'.repeat(2000)}.b`, 'malformed'],
  ])('refuse %s', (_what, token, reason) => {
    expect(verifyLink(SECRET, token(), T0)).toEqual({ ok: false, reason });
  });

  it('have one textual form: the other spellings of the same mac bytes do not verify', () => {
    const token = signLink(SECRET, claims);
    const [payload, mac] = token.split('.') as [string, string];
    // 43 base64url characters carry 258 bits for 256: the last character's two low bits are free.
    const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = ALPHABET.indexOf(mac.at(-1)!);
    const variants = [1, 2, 3].map((d) => `${payload}.${mac.slice(0, -1)}${ALPHABET[(last & ~3) | ((last + d) & 3)]}`);
    for (const variant of variants) {
      expect(Buffer.from(variant.split('.')[1]!, 'base64url')).toEqual(Buffer.from(mac, 'base64url'));
      expect(verifyLink(SECRET, variant, T0)).toEqual({ ok: false, reason: 'forged' });
    }
  });

  it('refuse a link at and after its expiry', () => {
    const token = signLink(SECRET, claims);
    expect(verifyLink(SECRET, token, new Date((claims.expiresAt - 1) * 1000)).ok).toBe(true);
    expect(verifyLink(SECRET, token, new Date(claims.expiresAt * 1000))).toEqual({ ok: false, reason: 'expired' });
  });
});

function swapPayload(token: string, next: LinkClaims): string {
  const forged = signLink('whatever-secret-for-the-payload', next).split('.')[0];
  return `${forged}.${token.split('.')[1]}`;
}

describe('ApprovalLinks', () => {
  const { paused, atWeight20 } = rolloutStates();
  const make = (store = new MemoryClaims(), publicUrl: string | null = 'https://rollouts.example.com/') =>
    ({ store, links: new ApprovalLinks({ secret: SECRET, store, publicUrl: () => publicUrl, clock: () => T0 }) });

  it('issue approve and abort links for the step the rollout waits at, expiring after the target TTL', async () => {
    const { links } = make();
    const issued = (await links.issue(paused, { name: 'ops', linkTtlSeconds: 1800 }))!;
    expect(issued.expiresAt).toBe(new Date(T0.getTime() + 1800_000).toISOString());
    const token = (url: string) => url.replace('https://rollouts.example.com/approvals/', '');
    expect(verifyLink(SECRET, token(issued.approveUrl), T0)).toEqual({ ok: true, claims: { rolloutId: 'r1', action: 'approve', step: 3, expiresAt: now + 1800, target: 'ops' } });
    expect(verifyLink(SECRET, token(issued.abortUrl), T0)).toMatchObject({ ok: true, claims: { action: 'abort' } });
  });

  it('issue nothing without a public URL to put in the links', async () => {
    expect(await make(new MemoryClaims(), null).links.issue(paused, { name: 'ops', linkTtlSeconds: 60 })).toBeNull();
    expect(await make().links.issue({ ...atWeight20, currentStep: null }, { name: 'ops', linkTtlSeconds: 60 })).toBeNull();
  });

  it('redeem a link once: the store keeps a hash of it, past its expiry', async () => {
    const { links, store } = make();
    const token = signLink(SECRET, claims);
    await expect(links.check(token)).resolves.toEqual(claims);
    await expect(links.redeem(token)).resolves.toEqual(claims);
    const used = links.redeem(token);
    await expect(used).rejects.toBeInstanceOf(ApprovalLinkError);
    await expect(used).rejects.toMatchObject({ status: 409 });
    await expect(links.check(token)).rejects.toMatchObject({ status: 409 });
    expect([...store.claims.keys()]).toEqual([`link#${tokenHash(token)}`]);
    expect(store.claims.get(`link#${tokenHash(token)}`)!.ttlSeconds).toBeGreaterThan(3600);
  });

  it('answer 410 for an expired link and 403 for a forged one, and use nothing up', async () => {
    const { links, store } = make();
    await expect(links.redeem(signLink(SECRET, { ...claims, expiresAt: now - 1 }))).rejects.toMatchObject({ status: 410 });
    await expect(links.redeem(signLink('another-secret-of-many-characters', claims))).rejects.toMatchObject({ status: 403 });
    expect(store.claims.size).toBe(0);
  });

  it('refuse a short secret', () => {
    expect(() => new ApprovalLinks({ secret: 'short', store: new MemoryClaims(), publicUrl: () => null })).toThrow(/at least 16/);
  });
});
