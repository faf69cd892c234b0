/**
 * Where a service's state changes are announced, as loaded (notifications-schema.ts reads
 * `services.<name>.notify:`; shared/notifications sends them). Apart from the schema so that the
 * functions, which send notifications but never read the config file, load no schema for them.
 */
import type { Secret } from './secret';

/** The statuses a notification can announce; PAUSED is the approval request (with approve/abort links). */
export const NOTIFY_STATUSES = ['PAUSED', 'SUCCEEDED', 'ROLLED_BACK', 'REJECTED', 'FAILED'] as const;
export type NotifyStatus = (typeof NOTIFY_STATUSES)[number];

export const DEFAULT_LINK_TTL_SECONDS = 3600;

export interface NotifyTargetBase {
  /** Names the target in logs and in approvals made through its links (`link:<name>`). */
  readonly name: string;
  readonly on: readonly NotifyStatus[];
  /** How long the approve/abort links of an approval request stay valid. */
  readonly linkTtlSeconds: number;
}

export interface SlackNotifyTarget extends NotifyTargetBase {
  readonly kind: 'slack';
  /** The environment variable named in the file (written back by tools that re-emit the config). */
  readonly webhookUrlEnv: string;
  /** Its value, read when a message is sent (and checked then: an https URL): a secret, never logged. */
  readonly webhookUrl: Secret;
}

export interface WebhookNotifyTarget extends NotifyTargetBase {
  readonly kind: 'webhook';
  readonly url: string;
  readonly secretEnv: string;
  /** The HMAC-SHA256 key, read when a message is sent: a secret, never logged. */
  readonly secret: Secret;
}

export type NotifyTarget = SlackNotifyTarget | WebhookNotifyTarget;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** https anywhere; plain http only to this machine (local mode, tests), since the body carries links. */
export function notifyUrlProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL, like https://hooks.example.com/rollouts';
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    return 'must be an https URL (plain http only to 127.0.0.1 or localhost)';
  }
  if (url.username || url.password) return 'must not carry credentials: sign with secretEnv instead';
  return null;
}
