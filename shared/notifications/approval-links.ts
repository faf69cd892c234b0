/**
 * Approve and abort links for approval requests: signed, expiring and single-use.
 *
 * A token is `<payload>.<mac>`: the payload is base64url JSON `[1, rolloutId, action, step, expiresAt,
 * target]` and the mac is HMAC-SHA256 of it under the server's link secret. Nothing is stored when a link
 * is issued; the store records a link only when it is used (a delivery claim keyed by the token's hash),
 * which makes it single-use even across Lambda instances. The token is a bearer credential: it is never
 * logged, only its hash prefix is.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Secret } from '../config/secret';
import type { Rollout } from '../core/rollout';
import { SecretUnavailableError } from '../errors';
import type { RolloutStore } from '../ports';
import { ApprovalLinkError } from './errors';

const MIN_LINK_SECRET_LENGTH = 16;

export const LINK_ACTIONS = ['approve', 'abort'] as const;
export type LinkAction = (typeof LINK_ACTIONS)[number];

export interface LinkClaims {
  readonly rolloutId: string;
  readonly action: LinkAction;
  /** The pause step the approval request was for: the link acts only while the rollout waits there. */
  readonly step: number;
  /** Unix seconds. */
  readonly expiresAt: number;
  /** The notification target the link was sent to; approvals through it are recorded as `link:<target>`. */
  readonly target: string;
}

export type LinkVerdict =
  | { readonly ok: true; readonly claims: LinkClaims }
  | { readonly ok: false; readonly reason: 'malformed' | 'forged' | 'expired' };

const VERSION = 1;
/** Domain separation: the link secret signs nothing else, but a prefix keeps it that way by construction. */
const MAC_CONTEXT = 'rollout-approval-link\n';
const MAX_TOKEN_LENGTH = 1024;

const mac = (secret: string, payload: string) => createHmac('sha256', secret).update(MAC_CONTEXT + payload).digest();

export function signLink(secret: string, claims: LinkClaims): string {
  const payload = Buffer.from(JSON.stringify([VERSION, claims.rolloutId, claims.action, claims.step, claims.expiresAt, claims.target])).toString('base64url');
  return `${payload}.${mac(secret, payload).toString('base64url')}`;
}

/**
 * Checks the mac first (in constant time), and only then reads the payload. A token has one textual
 * form: the mac is compared as the canonical base64url text of the expected bytes, so that the other
 * spellings of the same bytes (the free low bits of the last character) do not verify, and "used" —
 * recorded by the token's hash — cannot be passed by a variant. The payload is covered as text.
 */
export function verifyLink(secret: string, token: string, now: Date): LinkVerdict {
  if (token.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) return { ok: false, reason: 'malformed' };
  const [payload, presented] = token.split('.') as [string, string];
  const expected = Buffer.from(mac(secret, payload).toString('base64url'));
  const given = Buffer.from(presented);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'forged' };
  let fields: unknown;
  try {
    fields = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const claims = toClaims(fields);
  if (!claims) return { ok: false, reason: 'malformed' };
  if (claims.expiresAt <= Math.floor(now.getTime() / 1000)) return { ok: false, reason: 'expired' };
  return { ok: true, claims };
}

function toClaims(fields: unknown): LinkClaims | null {
  if (!Array.isArray(fields) || fields.length !== 6 || fields[0] !== VERSION) return null;
  const [, rolloutId, action, step, expiresAt, target] = fields as unknown[];
  if (typeof rolloutId !== 'string' || typeof target !== 'string' || !LINK_ACTIONS.includes(action as LinkAction)) return null;
  if (!Number.isInteger(step) || !Number.isInteger(expiresAt)) return null;
  return { rolloutId, action: action as LinkAction, step: step as number, expiresAt: expiresAt as number, target };
}

/** Identifies a token in the store and in logs without revealing it. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface IssuedLinks {
  readonly approveUrl: string;
  readonly abortUrl: string;
  readonly expiresAt: string;
}

export interface ApprovalLinksOptions {
  /** The server secret that signs links (`ROLLOUT_LINK_SECRET`): its value, or read through the SecretSource. */
  readonly secret: string | Secret;
  /** Only the delivery claims: they make a link single-use. */
  readonly store: Pick<RolloutStore, 'claimDelivery' | 'deliveryOwner'>;
  /** Base URL people reach the API at; links are `<base>/approvals/<token>`. Null: links cannot be issued. */
  readonly publicUrl: () => string | null;
  readonly clock?: () => Date;
}

export class ApprovalLinks {
  private readonly clock: () => Date;

  constructor(private readonly options: ApprovalLinksOptions) {
    if (typeof options.secret === 'string' && options.secret.length < MIN_LINK_SECRET_LENGTH) throw new Error('the approval link secret must be at least 16 characters');
    this.clock = options.clock ?? (() => new Date());
  }

  /** Links for the approval the rollout waits for now; null when there is no public URL to put in them. */
  async issue(rollout: Rollout, target: { readonly name: string; readonly linkTtlSeconds: number }): Promise<IssuedLinks | null> {
    const base = this.options.publicUrl()?.replace(/\/+$/, '');
    if (!base || rollout.currentStep === null) return null;
    const secret = await this.secret();
    const expiresAt = Math.floor(this.clock().getTime() / 1000) + target.linkTtlSeconds;
    const claims = { rolloutId: rollout.id, step: rollout.currentStep, expiresAt, target: target.name };
    const url = (action: LinkAction) => `${base}/approvals/${signLink(secret, { ...claims, action })}`;
    return { approveUrl: url('approve'), abortUrl: url('abort'), expiresAt: new Date(expiresAt * 1000).toISOString() };
  }

  /** The claims of a valid, unused link; throws ApprovalLinkError (403, 409, 410) otherwise. Uses nothing up. */
  async check(token: string): Promise<LinkClaims> {
    const claims = await this.verify(token);
    if ((await this.options.store.deliveryOwner(nonceKey(token))) !== null) throw used();
    return claims;
  }

  /** Like check, then uses the link up: of two concurrent redeems exactly one gets through. */
  async redeem(token: string): Promise<LinkClaims> {
    const claims = await this.verify(token);
    // Remembered a little past the expiry, after which the signature check refuses the link anyway.
    const ttl = Math.max(60, claims.expiresAt - Math.floor(this.clock().getTime() / 1000) + 300);
    const claim = await this.options.store.claimDelivery(nonceKey(token), claims.rolloutId, ttl);
    if (!claim.claimed) throw used();
    return claims;
  }

  /** The link secret; one read through the SecretSource is checked when read (SecretUnavailableError, 503). */
  private async secret(): Promise<string> {
    const { secret } = this.options;
    if (typeof secret === 'string') return secret;
    const value = await secret.value();
    if (value.length < MIN_LINK_SECRET_LENGTH) throw new SecretUnavailableError(secret.variable ?? 'ROLLOUT_LINK_SECRET', `it holds fewer than ${MIN_LINK_SECRET_LENGTH} characters`);
    return value;
  }

  private async verify(token: string): Promise<LinkClaims> {
    const verdict = verifyLink(await this.secret(), token, this.clock());
    if (verdict.ok) return verdict.claims;
    if (verdict.reason === 'expired') throw new ApprovalLinkError('this approval link has expired: use the dashboard or the API instead', 410);
    throw new ApprovalLinkError('this approval link is not valid: it was altered, or was not issued by this orchestrator', 403);
  }
}

const nonceKey = (token: string) => `link#${tokenHash(token)}`;
const used = () => new ApprovalLinkError('this approval link has already been used', 409);
