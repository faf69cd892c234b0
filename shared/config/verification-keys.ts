/**
 * cosign public keys named by `verify.keys`: a path relative to the config file, or the PEM itself.
 * Each is loaded and parsed at start, so a wrong key stops the program instead of rejecting every image.
 */
import { createPublicKey } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import type { Checked } from './image-name';

export type ReadTextFile = (absolutePath: string) => Promise<string>;

export interface KeyLoadOptions {
  /** Directory of the config file: relative key paths start there. */
  readonly baseDir: string;
  readonly readFile: ReadTextFile;
}

// The key types cosign signs with; anything else could never verify a signature.
const SIGNING_KEY_TYPES: ReadonlySet<string> = new Set(['ec', 'rsa', 'ed25519']);

export function isInlinePem(entry: string): boolean {
  return entry.trimStart().startsWith('-----BEGIN');
}

/** How a loaded key is named in records and messages: the path as written, or `inline[<index in the list>]`. */
export function keyId(entry: string, index: number): string {
  return isInlinePem(entry) ? `inline[${index}]` : entry;
}

/** The key as a normalised SPKI PEM, or why it cannot be used. */
export async function loadVerificationKey(entry: string, options: KeyLoadOptions): Promise<Checked<string>> {
  if (isInlinePem(entry)) return parsePublicKey(entry, '');
  const file = isAbsolute(entry) ? entry : resolve(options.baseDir, entry);
  let text: string;
  try {
    text = await options.readFile(file);
  } catch (error) {
    return { ok: false, message: `cannot read ${entry}: ${describeReadError(error)}` };
  }
  return parsePublicKey(text, `${entry}: `);
}

function parsePublicKey(text: string, prefix: string): Checked<string> {
  const labels = [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----/g)].map((m) => m[1] ?? '');
  if (labels.some((label) => label.includes('PRIVATE KEY'))) {
    // Refused even though node could derive the public half: a private key must not sit in the config.
    return { ok: false, message: `${prefix}is a private key: give the public key (cosign.pub) and keep the private key secret` };
  }
  if (labels.length === 0) return { ok: false, message: `${prefix}not a PEM public key` };
  if (labels.length > 1) return { ok: false, message: `${prefix}holds ${labels.length} PEM blocks: give one key per entry` };
  let key;
  try {
    key = createPublicKey(text);
  } catch {
    return { ok: false, message: `${prefix}not a PEM public key` };
  }
  const type = key.asymmetricKeyType ?? 'unknown';
  if (!SIGNING_KEY_TYPES.has(type)) {
    return { ok: false, message: `${prefix}key type ${type} cannot verify cosign signatures: use an ECDSA, RSA or Ed25519 key` };
  }
  return { ok: true, value: key.export({ type: 'spki', format: 'pem' }).toString() };
}

function describeReadError(error: unknown): string {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
  return error instanceof Error ? error.message : String(error);
}
