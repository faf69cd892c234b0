/**
 * The limits on text that comes from outside, in one place (README "Limits"). Every field is checked
 * where it enters: the API refuses a request that breaks them with a 400 problem; a webhook delivery
 * ignores the one event that breaks them, with its reason, and the other events go on. What passes is
 * what may be stored, logged, put in a page or a chat message and printed on a terminal.
 *
 * No imports: the webhook parsers, the API schemas and the notifications all use it.
 */

/** Free text (`by`, a comment, a reason): any Unicode but no control characters (C0, DEL, C1) and no
 * character that reorders or breaks a line (bidi controls, line and paragraph separators). */
// eslint-disable-next-line no-control-regex
export const UNSAFE_TEXT = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

export const LIMITS = {
  /** Who decided, as the integration token states it (`by`). */
  person: 200,
  /** An approval or rejection comment, an abort reason. */
  note: 2000,
  /** A local alarm's name (CloudWatch's own limit) and its reason. */
  alarmName: 255,
  alarmReason: 1000,
  /** A delivery or event id from a sender (distribution, ECR, Harbor, ACR, GitHub's X-GitHub-Delivery). */
  deliveryId: 128,
  /** An OCI tag. */
  tag: 128,
  /** An OCI repository name, and a registry host[:port]. */
  repository: 255,
  host: 255,
  /** A bearer credential of any kind (a token, an OIDC JWT). */
  credential: 8192,
  /** Quoted values in the reasons a webhook answer gives. */
  quoted: 80,
} as const;

/** A sender's delivery or event id: up to 128 of letters, digits, `.`, `_`, `:` and `-`, starting with a letter or digit. */
export const DELIVERY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** The OCI distribution spec's tag grammar: at most 128 of [A-Za-z0-9_.-], the first one of [A-Za-z0-9_]. */
export const TAG_PATTERN = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

/** A configured service's name (the config's own rule): what a path or a query may name. */
export const SERVICE_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** The problem with free text, or null: too long, or holding a control character. */
export function textProblem(text: string, max: number): string | null {
  if (text.length > max) return `must be at most ${max} characters`;
  if (UNSAFE_TEXT.test(text)) return 'must not contain control characters (C0, C1, DEL), bidi controls or line separators';
  return null;
}

/** A value quoted for a reason or a problem detail: cut short, and every control character escaped by JSON. */
export function quote(value: unknown, max: number = LIMITS.quoted): string {
  if (typeof value !== 'string') {
    const json = JSON.stringify(value ?? null) ?? 'null';
    return json.length > max ? `${json.slice(0, max)}…` : json;
  }
  const cut = value.length > max ? `${value.slice(0, max)}…` : value;
  // JSON escapes C0; DEL, C1 and the bidi characters are escaped here.
  return JSON.stringify(cut).replace(new RegExp(UNSAFE_TEXT.source, 'g'), (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
