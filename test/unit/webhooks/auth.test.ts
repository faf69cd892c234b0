/** HMAC-SHA256 and token checks of shared/http/auth.ts, with GitHub's documented test vector. */
import { createHmac } from 'node:crypto';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { bearerAuth, hmacAuth, matchesCredential, REPLAY_WINDOW_SECONDS, safeEqual, verifyHmacSha256 } from '../../../shared/http/auth';
import { renderError } from '../../../shared/http/problem';
import { silentLogger } from '../../../shared/observability/logger';

describe('verifyHmacSha256', () => {
  it("matches GitHub's documented vector (secret \"It's a Secret to Everybody\", body \"Hello, World!\")", () => {
    const presented = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    expect(verifyHmacSha256("It's a Secret to Everybody", 'Hello, World!', presented)).toBe(true);
    expect(verifyHmacSha256("It's a Secret to Everybody", Buffer.from('Hello, World!'), presented.toUpperCase().replace('SHA256=', 'sha256='))).toBe(true);
    expect(verifyHmacSha256("It's a Secret to Everybody", 'Hello, World!', presented.slice('sha256='.length))).toBe(true);
  });

  it.each([
    ['another secret', 'Hello, World!', 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17'],
    ["It's a Secret to Everybody", 'Hello, World?', 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17'],
    ["It's a Secret to Everybody", 'Hello, World!', 'sha1=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17'],
    ["It's a Secret to Everybody", 'Hello, World!', 'sha256=757107ea'],
    ["It's a Secret to Everybody", 'Hello, World!', ''],
  ])('refuses secret %j, body %j, signature %j', (secret, body, presented) => {
    expect(verifyHmacSha256(secret, body, presented)).toBe(false);
  });

  it('compares whatever the lengths', () => {
    expect(safeEqual('a', 'a')).toBe(true);
    expect(safeEqual('a', 'a'.repeat(1000))).toBe(false);
  });
});

describe('matchesCredential', () => {
  it('matches a configured credential exactly, whatever the lengths, and follows a credential that changes', () => {
    expect(matchesCredential('token-a', 'token-a')).toBe(true);
    expect(matchesCredential('token-a', 'token-a')).toBe(true); // its digest kept
    expect(matchesCredential('token-b', 'token-a')).toBe(false);
    expect(matchesCredential('token-a ', 'token-a')).toBe(false);
    expect(matchesCredential('', 'token-a')).toBe(false);
    // A rotated secret: the new value matches, the old one no longer does.
    expect(matchesCredential('token-a', 'token-c')).toBe(false);
    expect(matchesCredential('token-c', 'token-c')).toBe(true);
    // More credentials than are kept: each still matches only itself.
    for (let i = 0; i < 40; i++) {
      expect(matchesCredential(`token-${i}`, `token-${i}`)).toBe(true);
      expect(matchesCredential(`token-${i}`, `token-${i + 1}`)).toBe(false);
    }
    expect(matchesCredential('token-a', 'token-a')).toBe(true);
  });
});

function app(middleware: ReturnType<typeof hmacAuth>) {
  const a = new Hono();
  a.onError(renderError(silentLogger));
  a.post('/hook', middleware, async (c) => c.json({ body: await c.req.text() }));
  return a;
}

describe('hmacAuth', () => {
  const secret = 'ci-secret-0123456789';
  const now = 1_800_000_000;
  const signed = (ts: number, body: string) => `sha256=${createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')}`;
  const hook = app(hmacAuth({ secret, signatureHeader: 'X-Signature-256', timestampHeader: 'X-Timestamp', realm: 'CI secret', now: () => now * 1000 }));
  const post = (headers: Record<string, string>, body = '{"a":1}') => hook.request('/hook', { method: 'POST', headers, body });

  it('passes the raw body on to the handler once verified', async () => {
    const res = await post({ 'x-timestamp': String(now), 'x-signature-256': signed(now, '{"a":1}') });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ body: '{"a":1}' });
  });

  it(`accepts ${REPLAY_WINDOW_SECONDS} s of skew either way and refuses one second more`, async () => {
    for (const ts of [now - REPLAY_WINDOW_SECONDS, now + REPLAY_WINDOW_SECONDS]) expect((await post({ 'x-timestamp': String(ts), 'x-signature-256': signed(ts, '{"a":1}') })).status).toBe(200);
    for (const ts of [now - REPLAY_WINDOW_SECONDS - 1, now + REPLAY_WINDOW_SECONDS + 1]) expect((await post({ 'x-timestamp': String(ts), 'x-signature-256': signed(ts, '{"a":1}') })).status).toBe(401);
  });

  it.each([
    [{}, /missing X-Signature-256 header/],
    [{ 'x-signature-256': 'sha256=00' }, /missing or malformed X-Timestamp/],
    [{ 'x-timestamp': '1.5e9', 'x-signature-256': 'sha256=00' }, /missing or malformed X-Timestamp/],
    [{ 'x-timestamp': String(now), 'x-signature-256': `sha256=${createHmac('sha256', secret).update('{"a":1}').digest('hex')}` }, /invalid X-Signature-256/],
  ])('refuses %j', async (headers, detail) => {
    const res = await post(headers as Record<string, string>);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { detail: string }).detail).toMatch(detail);
  });
});

describe('bearerAuth', () => {
  const hook = app(bearerAuth({ token: 'tok-0123456789abcdef', queryParam: 'token', realm: 'webhook token' }));
  const post = (path: string, headers: Record<string, string> = {}) => hook.request(path, { method: 'POST', headers, body: '' });

  it('takes the token from the header or, without one, from the query', async () => {
    expect((await post('/hook', { authorization: 'Bearer tok-0123456789abcdef' })).status).toBe(200);
    expect((await post('/hook?token=tok-0123456789abcdef')).status).toBe(200);
    expect((await post('/hook?token=nope')).status).toBe(401);
    // A header, even a wrong one, is what is checked: the query cannot rescue it.
    expect((await post('/hook?token=tok-0123456789abcdef', { authorization: 'Bearer nope' })).status).toBe(401);
  });

  it('keeps its behaviour without the option: no query token, no bare token', async () => {
    const strict = app(bearerAuth({ token: 'tok-0123456789abcdef', realm: 'API token' }));
    const res = await strict.request('/hook?token=tok-0123456789abcdef', { method: 'POST', body: '' });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { detail: string }).detail).toBe('missing Authorization header: send "Bearer <API token>"');
    expect((await strict.request('/hook', { method: 'POST', body: '', headers: { authorization: 'tok-0123456789abcdef' } })).status).toBe(401);
  });
});
