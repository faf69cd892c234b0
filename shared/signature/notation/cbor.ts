/**
 * A minimal, strict CBOR (RFC 8949) reader and writer: enough for COSE_Sign1 envelopes (RFC 9052) as the
 * Notary Project signs them. Strict means every byte has one reading: definite lengths only, shortest
 * integer encodings, no duplicate map keys, no trailing bytes, no floats or simple values beyond
 * true/false/null, valid UTF-8 text. Anything else throws CborError, so a crafted envelope cannot make
 * two readers see two different headers.
 */

export class CborError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CborError';
  }
}

/** A tagged item (major type 6), e.g. tag 18 around a COSE_Sign1, tag 1 around an epoch time. */
export class CborTag {
  constructor(
    readonly tag: number,
    readonly value: CborValue,
  ) {}
}

/** Map keys keep their type: COSE labels are integers (1 = alg) or text ("io.cncf.notary.signingTime"). */
export type CborKey = number | string;
export type CborValue = number | bigint | string | Uint8Array | boolean | null | CborValue[] | CborMap | CborTag;
export type CborMap = Map<CborKey, CborValue>;

/** Nesting deeper than this is refused: an envelope needs 4 levels, a crafted one could need millions. */
const MAX_DEPTH = 16;

/** Decodes exactly one item that fills `bytes`. */
export function decodeCbor(bytes: Uint8Array): CborValue {
  const reader = new Reader(bytes);
  const value = reader.item(0);
  if (reader.offset !== bytes.length) throw new CborError(`trailing bytes after the item (${bytes.length - reader.offset})`);
  return value;
}

class Reader {
  offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  item(depth: number): CborValue {
    if (depth > MAX_DEPTH) throw new CborError('nested too deeply');
    const initial = this.byte();
    const major = initial >> 5;
    const info = initial & 0x1f;
    if (major === 7) return this.simple(info);
    const argument = this.argument(info);
    switch (major) {
      case 0:
        return argument;
      case 1:
        return typeof argument === 'bigint' ? -1n - argument : -1 - argument;
      case 2:
        return this.take(this.length(argument)).slice();
      case 3:
        try {
          return new TextDecoder('utf-8', { fatal: true }).decode(this.take(this.length(argument)));
        } catch {
          throw new CborError('text string is not valid UTF-8');
        }
      case 4: {
        const items: CborValue[] = [];
        for (let i = 0, n = this.length(argument); i < n; i++) items.push(this.item(depth + 1));
        return items;
      }
      case 5: {
        const map: CborMap = new Map();
        for (let i = 0, n = this.length(argument); i < n; i++) {
          const key = this.item(depth + 1);
          if (typeof key !== 'number' && typeof key !== 'string') throw new CborError('map key is neither an integer nor text');
          if (map.has(key)) throw new CborError(`duplicate map key ${JSON.stringify(key)}`);
          map.set(key, this.item(depth + 1));
        }
        return map;
      }
      default: // 6
        if (typeof argument === 'bigint') throw new CborError('tag number too large');
        return new CborTag(argument, this.item(depth + 1));
    }
  }

  private simple(info: number): CborValue {
    if (info === 20) return false;
    if (info === 21) return true;
    if (info === 22) return null;
    if (info === 31) throw new CborError('indefinite lengths are not allowed');
    throw new CborError(`simple value or float (additional info ${info}) is not allowed`);
  }

  /** The argument of the head, in its shortest form only. */
  private argument(info: number): number | bigint {
    if (info < 24) return info;
    if (info === 31) throw new CborError('indefinite lengths are not allowed');
    if (info > 27) throw new CborError(`reserved additional info ${info}`);
    const size = 1 << (info - 24);
    const raw = this.take(size);
    let value = 0n;
    for (const b of raw) value = (value << 8n) | BigInt(b);
    const minimum = info === 24 ? 24n : 1n << BigInt(4 * size);
    if (value < minimum) throw new CborError('integer is not in its shortest encoding');
    return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  }

  /** A length or count: each counted byte or item needs at least one byte of the input. */
  private length(argument: number | bigint): number {
    if (typeof argument === 'bigint' || argument > this.bytes.length - this.offset) throw new CborError('length runs past the input');
    return argument;
  }

  private byte(): number {
    if (this.offset >= this.bytes.length) throw new CborError('truncated item');
    return this.bytes[this.offset++]!;
  }

  private take(count: number): Uint8Array {
    if (this.offset + count > this.bytes.length) throw new CborError('truncated item');
    const out = this.bytes.subarray(this.offset, this.offset + count);
    this.offset += count;
    return out;
  }
}

/** Encodes the few shapes the verifier builds itself (COSE's Sig_structure): arrays, text, byte strings. */
export function encodeCbor(value: string | Uint8Array | readonly (string | Uint8Array)[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const write = (v: string | Uint8Array | readonly (string | Uint8Array)[]) => {
    if (typeof v === 'string') {
      const text = new TextEncoder().encode(v);
      parts.push(head(3, text.length), text);
    } else if (v instanceof Uint8Array) {
      parts.push(head(2, v.length), v);
    } else {
      parts.push(head(4, v.length));
      for (const item of v) write(item);
    }
  };
  write(value);
  return Buffer.concat(parts);
}

function head(major: number, n: number): Uint8Array {
  const m = major << 5;
  if (n < 24) return Uint8Array.of(m | n);
  if (n < 0x100) return Uint8Array.of(m | 24, n);
  if (n < 0x10000) return Uint8Array.of(m | 25, n >> 8, n & 0xff);
  const out = new Uint8Array(5);
  out[0] = m | 26;
  new DataView(out.buffer).setUint32(1, n);
  return out;
}
