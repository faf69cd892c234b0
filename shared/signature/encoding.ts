/** Small decoding helpers every signature format needs, strict where Node's own are lenient. */
import { createHash } from 'node:crypto';

export type CheckResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

export function ok<T>(value: T): CheckResult<T> {
  return { ok: true, value };
}

export function fail<T = never>(reason: string): CheckResult<T> {
  return { ok: false, reason };
}

/** Strict standard base64 (line breaks allowed): Buffer.from would silently skip invalid characters. */
export function decodeBase64(text: string): Uint8Array | null {
  const compact = text.replace(/\s+/g, '');
  if (compact.length === 0 || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return null;
  return Buffer.from(compact, 'base64');
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function unknownKeys(value: Record<string, unknown>, allowed: readonly string[]): string | null {
  return Object.keys(value).find((k) => !allowed.includes(k)) ?? null;
}

/** Parses UTF-8 JSON bytes, or null: payloads are bytes from a registry, anything may be in them. */
export function parseJsonBytes(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return undefined;
  }
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.from(a).equals(Buffer.from(b));
}

/** `2023-01-20T20:51:33Z`: seconds are what every sigstore time is counted in. */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
