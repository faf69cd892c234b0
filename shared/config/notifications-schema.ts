/**
 * `services.<name>.notify:`: where a service's state changes are announced (shared/notifications sends
 * them). Each entry is exactly one of `slack` (an incoming webhook) or `webhook` (JSON signed with
 * HMAC-SHA256). Secrets never sit in the file: the Slack URL (which is itself the credential) and the HMAC
 * key are named by environment variable and read at start, like a registry's `passwordEnv`.
 *
 * ```yaml
 * notify:
 *   - slack: { webhookUrlEnv: SLACK_WEBHOOK_URL }
 *   - webhook:
 *       url: https://hooks.example.com/rollouts
 *       secretEnv: NOTIFY_SECRET
 *       on: [PAUSED, ROLLED_BACK, FAILED]      # optional: default every status below
 *       name: ops                              # optional: approvals by link are recorded as link:ops
 *       linkTtl: 30m                           # optional: how long approval links work (default 1h)
 * ```
 */
import { z } from 'zod';
import type { SecretSource } from '../ports';
import { formatDuration, parseDuration } from './duration';
import { isPlainObject } from '../plain-object';
import { matching } from './schema-helpers';
import { Secret } from './secret';
import { DEFAULT_LINK_TTL_SECONDS, NOTIFY_STATUSES, notifyUrlProblem, type NotifyStatus, type NotifyTarget, type SlackNotifyTarget, type WebhookNotifyTarget } from './notify-targets';

export { DEFAULT_LINK_TTL_SECONDS, NOTIFY_STATUSES, notifyUrlProblem, type NotifyStatus, type NotifyTarget, type SlackNotifyTarget, type WebhookNotifyTarget };

const MAX_LINK_TTL_SECONDS = 7 * 24 * 3600;
const MIN_SECRET_LENGTH = 16;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TARGET_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,62}$/;


function envValue(secrets: SecretSource, what: string, minLength = 1) {
  return matching(ENV_NAME, `must be an environment variable name, like ${what}`).transform((name, ctx) => {
    const problem = secrets.problem(name, minLength);
    if (problem) {
      ctx.addIssue({ code: 'custom', message: problem, input: name });
      return z.NEVER;
    }
    return { name, value: new Secret(name, secrets) };
  });
}

const linkTtl = z.union([z.string(), z.number()], { error: 'must be a duration like 30m or 1h' }).transform((value, ctx) => {
  try {
    const seconds = parseDuration(value);
    if (seconds >= 60 && seconds <= MAX_LINK_TTL_SECONDS) return seconds;
    ctx.addIssue({ code: 'custom', message: `must be between 1m and ${formatDuration(MAX_LINK_TTL_SECONDS)}`, input: value });
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: e instanceof Error ? e.message : String(e), input: value });
  }
  return z.NEVER;
});

const common = {
  name: matching(TARGET_NAME, "must be a short name (letters, digits, '_', '.', ':', '@', '-')").nullish(),
  on: z
    .array(z.enum(NOTIFY_STATUSES, { error: `must be one of ${NOTIFY_STATUSES.join(', ')}` }))
    .min(1, { error: `must list at least one of ${NOTIFY_STATUSES.join(', ')} (omit on to get them all)` })
    .nullish(),
  linkTtl: linkTtl.nullish(),
};

function base(raw: { name?: string | null; on?: readonly NotifyStatus[] | null; linkTtl?: number | null }, fallbackName: string) {
  return { name: raw.name ?? fallbackName, on: [...new Set(raw.on ?? NOTIFY_STATUSES)], linkTtlSeconds: raw.linkTtl ?? DEFAULT_LINK_TTL_SECONDS };
}

export function notifySchema(secrets: SecretSource) {
  const slack = z.strictObject({ webhookUrlEnv: envValue(secrets, 'SLACK_WEBHOOK_URL'), ...common });
  const webhook = z.strictObject({
    url: z.string().check((ctx) => {
      const problem = notifyUrlProblem(ctx.value);
      if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
    }),
    secretEnv: envValue(secrets, 'NOTIFY_SECRET', MIN_SECRET_LENGTH),
    ...common,
  });
  const entry = z
    .strictObject(
      { slack: slack.optional(), webhook: webhook.optional() },
      { error: (issue) => (issue.code === 'invalid_type' ? 'must be a mapping: - slack: {…} or - webhook: {…}' : undefined) },
    )
    .superRefine(
      (raw, ctx) => {
        const kinds = [raw.slack, raw.webhook].filter((v) => v !== undefined).length;
        if (kinds !== 1) ctx.addIssue({ code: 'custom', message: kinds === 0 ? 'must be one of slack or webhook' : 'must be exactly one of slack or webhook, not both', input: raw });
      },
      // Also when a target itself is invalid, so that every problem is reported in one go.
      { when: (payload) => isPlainObject(payload.value) },
    )
    .transform((raw): NotifyTarget => {
      if (raw.slack) {
        const s = raw.slack;
        return { kind: 'slack', ...base(s, `slack:${s.webhookUrlEnv.name}`), webhookUrlEnv: s.webhookUrlEnv.name, webhookUrl: s.webhookUrlEnv.value };
      }
      const w = raw.webhook!;
      return { kind: 'webhook', ...base(w, `webhook:${new URL(w.url).host}`), url: w.url, secretEnv: w.secretEnv.name, secret: w.secretEnv.value };
    });
  return z.array(entry).superRefine((targets, ctx) => {
    // Names identify who approved through a link, so two targets of one service may not share one.
    targets.forEach((t, i) => {
      if (isPlainObject(t) && targets.findIndex((o) => o.name === t.name) < i) {
        ctx.addIssue({ code: 'custom', path: [i], message: `repeats the target name ${t.name}: give one of them a name`, input: t.name });
      }
    });
  });
}
