/**
 * A minimal DER reader: enough to walk an X.509 certificate to the fields node:crypto's X509Certificate
 * does not expose (extension values such as Fulcio's OIDC issuer, SANs without string-escaping
 * ambiguity, validity as Dates). Strict: anything that is not canonical-enough DER throws DerError, so a
 * crafted certificate cannot make two readers see two different values.
 */

export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DerError';
  }
}

export const Tag = {
  Boolean: 0x01,
  Integer: 0x02,
  BitString: 0x03,
  OctetString: 0x04,
  Null: 0x05,
  Oid: 0x06,
  Utf8String: 0x0c,
  Sequence: 0x30,
  Set: 0x31,
  PrintableString: 0x13,
  T61String: 0x14,
  Ia5String: 0x16,
  UtcTime: 0x17,
  GeneralizedTime: 0x18,
  BmpString: 0x1e,
} as const;

export interface Tlv {
  /** The identifier octet: class, constructed bit and tag number (only low tag numbers, as X.509 uses). */
  readonly tag: number;
  readonly value: Uint8Array;
  /** Offset just past this element in the buffer it was read from. */
  readonly end: number;
}

/** Reads the element at `offset`. */
export function readTlv(bytes: Uint8Array, offset = 0): Tlv {
  if (offset + 2 > bytes.length) throw new DerError('truncated element');
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag numbers are not supported');
  let length = bytes[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0) throw new DerError('indefinite length is not DER');
    if (count > 4) throw new DerError('length too large');
    if (start + count > bytes.length) throw new DerError('truncated length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[start + i]!;
    if (length < 0x80 || bytes[start] === 0) throw new DerError('non-minimal length');
    start += count;
  }
  const end = start + length;
  if (end > bytes.length) throw new DerError('element runs past its container');
  return { tag, value: bytes.subarray(start, end), end };
}

/** The elements inside a constructed element, which must fill it exactly. */
export function children(parent: Tlv): Tlv[] {
  if (!(parent.tag & 0x20)) throw new DerError(`element 0x${parent.tag.toString(16)} is not constructed`);
  const out: Tlv[] = [];
  for (let offset = 0; offset < parent.value.length; ) {
    const child = readTlv(parent.value, offset);
    out.push(child);
    offset = child.end;
  }
  return out;
}

/** Reads one whole buffer as a single element (no trailing bytes). */
export function readOnly(bytes: Uint8Array, tag?: number): Tlv {
  const tlv = readTlv(bytes, 0);
  if (tlv.end !== bytes.length) throw new DerError('trailing bytes after element');
  if (tag !== undefined) expectTag(tlv, tag);
  return tlv;
}

export function expectTag(tlv: Tlv, tag: number): Tlv {
  if (tlv.tag !== tag) throw new DerError(`expected tag 0x${tag.toString(16)}, found 0x${tlv.tag.toString(16)}`);
  return tlv;
}

export function decodeOid(tlv: Tlv): string {
  expectTag(tlv, Tag.Oid);
  const bytes = tlv.value;
  if (bytes.length === 0) throw new DerError('empty OID');
  const arcs: number[] = [];
  let value = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (value === 0 && byte === 0x80) throw new DerError('non-minimal OID arc');
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw new DerError('OID arc too large');
    if (!(byte & 0x80)) {
      arcs.push(value);
      value = 0;
    } else if (i === bytes.length - 1) throw new DerError('truncated OID');
  }
  const first = arcs.shift()!;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...arcs].join('.');
}

export function decodeBoolean(tlv: Tlv): boolean {
  expectTag(tlv, Tag.Boolean);
  if (tlv.value.length !== 1 || (tlv.value[0] !== 0 && tlv.value[0] !== 0xff)) throw new DerError('malformed BOOLEAN');
  return tlv.value[0] === 0xff;
}

/** The content of a string type, decoded as its tag says. */
export function decodeString(tlv: Tlv): string {
  switch (tlv.tag) {
    case Tag.Utf8String:
      return new TextDecoder('utf-8', { fatal: true }).decode(tlv.value);
    case Tag.PrintableString:
    case Tag.Ia5String:
    case Tag.T61String:
      return Buffer.from(tlv.value).toString('latin1');
    case Tag.BmpString:
      return Buffer.from(tlv.value).swap16().toString('utf16le');
    default:
      throw new DerError(`tag 0x${tlv.tag.toString(16)} is not a string`);
  }
}

/** UTCTime (years 1950-2049, as RFC 5280 says) or GeneralizedTime, both in the `Z` form DER requires. */
export function decodeTime(tlv: Tlv): Date {
  const text = Buffer.from(tlv.value).toString('latin1');
  let match: RegExpExecArray | null;
  let year: number;
  if (tlv.tag === Tag.UtcTime && (match = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(text))) {
    const yy = Number(match[1]);
    year = yy < 50 ? 2000 + yy : 1900 + yy;
  } else if (tlv.tag === Tag.GeneralizedTime && (match = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(text))) {
    year = Number(match[1]);
  } else {
    throw new DerError(`malformed time ${JSON.stringify(text)}`);
  }
  const [month, day, hour, minute, second] = match.slice(2, 7).map(Number) as [number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) throw new DerError(`impossible date ${JSON.stringify(text)}`);
  return date;
}

/** The bits of a BIT STRING, first bit first (as KeyUsage numbers them). */
export function decodeBits(tlv: Tlv): boolean[] {
  expectTag(tlv, Tag.BitString);
  const unused = tlv.value[0];
  if (unused === undefined || unused > 7) throw new DerError('malformed BIT STRING');
  const bits: boolean[] = [];
  for (let i = 1; i < tlv.value.length; i++) {
    for (let b = 7; b >= 0; b--) bits.push(((tlv.value[i]! >> b) & 1) === 1);
  }
  return bits.slice(0, bits.length - unused);
}
