/** Response bodies read with a cap, digests of bytes, and registry error bodies turned into messages. */
import { createHash } from 'node:crypto';
import { RegistryError } from '../../errors';

const DIGEST = /^(sha256|sha512):([a-f0-9]+)$/;

/** `algorithm:hex` of `bytes`; sha256 unless `like` names another algorithm the registry used. */
export function digestOf(bytes: Uint8Array, like = 'sha256:'): string {
  const algorithm = like.startsWith('sha512:') ? 'sha512' : 'sha256';
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

export function isDigest(value: string): boolean {
  const match = DIGEST.exec(value);
  if (!match) return false;
  return match[2]!.length === (match[1] === 'sha256' ? 64 : 128);
}

/**
 * Reads at most `max` bytes and refuses more, whatever Content-Length claims: a hostile registry must
 * not make us buffer an unbounded body.
 */
export async function readLimited(response: Response, max: number, what: string): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > max) {
    await response.body?.cancel().catch(() => undefined);
    throw new RegistryError(`${what} is ${declared} bytes, more than the ${max} allowed`);
  }
  if (!response.body) return new Uint8Array();
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      throw new RegistryError(`${what} is more than the ${max} bytes allowed`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** Discards a body we do not need, so the connection can be reused. */
export async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

/**
 * `GET host/v2/… answered 400: MANIFEST_INVALID (manifest invalid)`: the status and the registry's error
 * codes, which is what an operator needs to tell a missing permission from a broken registry.
 */
export async function registryErrorFrom(response: Response, operation: string): Promise<RegistryError> {
  let codes = '';
  try {
    const body = await readLimited(response, 64 * 1024, 'error body');
    const doc = JSON.parse(Buffer.from(body).toString('utf8')) as { errors?: { code?: unknown; message?: unknown }[] };
    if (Array.isArray(doc.errors)) {
      codes = doc.errors
        .map((e) => `${String(e.code ?? 'UNKNOWN')}${typeof e.message === 'string' ? ` (${e.message})` : ''}`)
        .join(', ');
    }
  } catch {
    // Not a distribution error body: the status alone has to do.
  }
  const statusText = response.statusText ? ` ${response.statusText}` : '';
  return new RegistryError(`${operation} answered ${response.status}${statusText}${codes ? `: ${codes}` : ''}`);
}
