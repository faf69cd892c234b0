/**
 * Everything the CLI prints comes from the server, and much of it from outside: a registry event's id,
 * a comment, an abort reason, a problem's detail. A terminal obeys control characters in what it is
 * given (`ESC ] 0 ; … BEL` sets its title, `ESC [ 2 J` clears it, a carriage return overwrites the
 * line, a C1 `CSI` does what `ESC [` does), so all of them are shown escaped, as are the Unicode
 * characters that reorder or break lines (bidi overrides, line and paragraph separators). The CLI's own
 * colours and cursor movements are added after this, around text that has been through it.
 */

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeChar(ch: string): string {
  const code = ch.charCodeAt(0);
  return NAMED[ch] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

/** The text with every control character (C0, DEL, C1) and bidi or line-breaking character escaped. */
export function terminalText(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/** The same value with every string in it escaped for a terminal (keys too): for human output. */
export function terminalSafe<T>(value: T): T {
  if (typeof value === 'string') return terminalText(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => terminalSafe(v)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [terminalText(k), terminalSafe(v)])) as T;
  }
  return value;
}

// JSON.stringify escapes C0 controls but not DEL, C1 or the bidi characters: \u escapes keep the JSON the same value.
const JSON_UNSAFE = /[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** JSON for a terminal or a pipe: exactly the server's value, with no raw control character in the text. */
export function terminalJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(JSON_UNSAFE, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
