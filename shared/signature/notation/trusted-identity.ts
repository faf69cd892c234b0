/**
 * Notation's trusted identities: `x509.subject: C=US, ST=WA, O=Example, CN=ci.example.com` names a
 * signer by the attributes of its certificate's subject. The leaf matches when it has every attribute
 * the identity lists, with the same value (it may have more); `*` trusts any signer the trust store
 * vouches for. As in Notation, an identity must give at least C, ST and O, and no attribute twice.
 */
import { children, decodeOid, decodeString, expectTag, readOnly, Tag } from '../der';

const PREFIX = 'x509.subject:';

const ATTRIBUTE_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.5': 'SERIALNUMBER',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.17': 'POSTALCODE',
  '1.2.840.113549.1.9.1': 'E',
};

/** Attribute type (upper case, `S` read as `ST`) to value. */
export type SubjectAttributes = ReadonlyMap<string, string>;

export interface TrustedIdentity {
  /** As written in the config. */
  readonly text: string;
  readonly attributes: SubjectAttributes;
}

/** Parses one `x509.subject: …` entry, or answers why it is not one. */
export function parseTrustedIdentity(text: string): TrustedIdentity | string {
  if (!text.startsWith(PREFIX)) return `must be '*' or start with ${PREFIX}`;
  const attributes = parseDistinguishedName(text.slice(PREFIX.length));
  if (typeof attributes === 'string') return attributes;
  const missing = ['C', 'ST', 'O'].filter((name) => !attributes.has(name));
  if (missing.length > 0) return `must name at least C, ST and O (missing ${missing.join(', ')})`;
  return { text, attributes };
}

export function describeSubject(attributes: SubjectAttributes): string {
  return [...attributes].map(([k, v]) => `${k}=${v}`).join(', ') || '(empty subject)';
}

export function matchesIdentity(subject: SubjectAttributes, identity: TrustedIdentity): boolean {
  for (const [name, value] of identity.attributes) {
    if (subject.get(name) !== value) return false;
  }
  return true;
}

/** `C=US, ST=WA, …` (RFC 4514 separators `,` and `+`, backslash escapes). */
function parseDistinguishedName(text: string): Map<string, string> | string {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && i + 1 < text.length) {
      current += text[++i];
    } else if (ch === ',' || ch === '+') {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  const out = new Map<string, string>();
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq <= 0) return `has ${JSON.stringify(part.trim())}, which is not TYPE=value`;
    let name = part.slice(0, eq).trim().toUpperCase();
    if (name === 'S') name = 'ST';
    const value = part.slice(eq + 1).trim();
    if (value === '') return `gives ${name} no value`;
    if (out.has(name)) return `names ${name} twice`;
    out.set(name, value);
  }
  return out;
}

/** The subject of a DER certificate as attributes; a subject with one attribute type twice is refused. */
export function subjectAttributes(der: Uint8Array): Map<string, string> {
  const certificate = children(readOnly(der, Tag.Sequence));
  const tbs = children(expectTag(certificate[0]!, Tag.Sequence));
  const first = tbs[0]?.tag === 0xa0 ? 1 : 0;
  const subject = expectTag(tbs[first + 4]!, Tag.Sequence);
  const out = new Map<string, string>();
  for (const rdn of children(subject)) {
    for (const attribute of children(expectTag(rdn, Tag.Set))) {
      const [type, value] = children(expectTag(attribute, Tag.Sequence));
      const oid = decodeOid(type!);
      const name = ATTRIBUTE_NAMES[oid] ?? oid;
      if (out.has(name)) throw new Error(`the certificate subject has ${name} twice`);
      out.set(name, decodeString(value!));
    }
  }
  return out;
}
