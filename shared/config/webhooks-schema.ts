/**
 * `webhooks:` (top level) says how each webhook source authenticates, and `tagPolicy:` (per service)
 * narrows which pushed tags deploy beyond the `tags:` regex.
 *
 *   webhooks:                                   every entry is optional; by default each source takes
 *     github:    { secretEnv: GITHUB_WEBHOOK_SECRET }     the shared ROLLOUT_WEBHOOK_TOKEN (GitHub, which
 *     dockerhub: { tokenEnv: DOCKERHUB_WEBHOOK_TOKEN }    can only sign, uses it as its HMAC key)
 *     generic:   { secretEnv: CI_WEBHOOK_SECRET, timestampHeader: X-Rollout-Timestamp }
 *     quay:      { enabled: false }
 *
 *   services:
 *     web:
 *       tagPolicy: { semver: '>=1.4.0 <2', newerThanStable: true }
 *
 * Secrets come from the environment only (`tokenEnv`, `secretEnv` name a variable read at start): the
 * file is committed and read by many, so `token:` or `secret:` in it is refused. Loaded secrets are
 * wrapped so that printing the config, or JSON-logging it, shows `[redacted]`.
 */
import { z } from 'zod';
import type { SecretSource } from '../ports';
import { Secret } from './secret';
import { parseRange, type SemverRange } from './semver';
import { matching } from './schema-helpers';
import { DEFAULT_SIGNATURE_HEADERS, QUERY_TOKEN_SOURCES, SIGNING_ONLY_SOURCES, WEBHOOK_SOURCES, type WebhookSource } from './webhook-sources';

export { Secret } from './secret';

export { DEFAULT_SIGNATURE_HEADERS, QUERY_TOKEN_SOURCES, SIGNING_ONLY_SOURCES, WEBHOOK_SOURCES, type WebhookSource };

/** Below this a token can be guessed or was typed by hand; `openssl rand -hex 32` makes a good one. */
export const MIN_SECRET_LENGTH = 16;

export type WebhookAuthConfig =
  /** `Authorization: Bearer <token>` (or the bare token, or `?token=` where the sender allows only a URL). */
  | { readonly kind: 'token'; readonly token: Secret; readonly env: string }
  /** HMAC-SHA256 of the raw body (of `<timestamp>.<body>` when `timestampHeader` is set), hex, in `signatureHeader`. */
  | { readonly kind: 'hmac'; readonly secret: Secret; readonly env: string; readonly signatureHeader: string; readonly timestampHeader: string | null };

export interface WebhookSourceConfig {
  /** False: the route answers 404, for sources you do not use. Default true. */
  readonly enabled: boolean;
  /** Null: the default, the shared ROLLOUT_WEBHOOK_TOKEN. */
  readonly auth: WebhookAuthConfig | null;
}

export type WebhooksConfig = Readonly<Partial<Record<WebhookSource, WebhookSourceConfig>>>;

export interface TagPolicyConfig {
  /** Only tags that are semantic versions in this range deploy (`v1.2.3` reads as 1.2.3). */
  readonly semver: SemverRange | null;
  /** Only versions newer than the stable image's version deploy (see shared/app/tag-policy.ts). */
  readonly newerThanStable: boolean;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HEADER_NAME = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;
const NAMES: Record<WebhookSource, string> = {
  registry: 'a registry notification endpoint',
  ecr: 'an EventBridge API destination',
  generic: 'a CI job',
  dockerhub: 'Docker Hub',
  github: 'GitHub',
  quay: 'Quay',
  harbor: 'Harbor',
  acr: 'Azure Container Registry',
};

/** A secret the file names by its environment variable, read through the secrets port at each use; the one way the config names a secret. */
export function secretFromEnv(secrets: SecretSource, example = 'GITHUB_WEBHOOK_SECRET') {
  return matching(ENV_NAME, `must be an environment variable name, like ${example}`).transform((name, ctx) => {
    const problem = secrets.problem(name, MIN_SECRET_LENGTH);
    if (problem) {
      ctx.addIssue({ code: 'custom', message: problem, input: name });
      return z.NEVER;
    }
    return { name, secret: new Secret(name, secrets) };
  });
}

const inFile = (field: 'token' | 'secret') =>
  z.unknown().superRefine((_value, ctx) => {
    const name = field === 'token' ? 'tokenEnv' : 'secretEnv';
    // The value itself is not echoed: it is a secret that someone just put in a file.
    ctx.addIssue({ code: 'custom', message: `secrets never go in the config file: put it in an environment variable and name that variable in ${name}`, input: '[redacted]' });
  });

function sourceSchema(source: WebhookSource, secrets: SecretSource) {
  const header = matching(HEADER_NAME, 'must be an HTTP header name, like X-Signature-256');
  return z
    .strictObject({
      enabled: z.boolean().nullish(),
      tokenEnv: secretFromEnv(secrets).nullish(),
      secretEnv: secretFromEnv(secrets).nullish(),
      signatureHeader: header.nullish(),
      timestampHeader: header.nullish(),
      token: inFile('token').optional(),
      secret: inFile('secret').optional(),
    })
    .nullish()
    .transform((raw, ctx): WebhookSourceConfig => {
      const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', message, path: [path], input: path });
      if (raw?.tokenEnv && raw.secretEnv) issue('secretEnv', 'give tokenEnv or secretEnv, not both');
      if (raw?.secretEnv && QUERY_TOKEN_SOURCES.has(source)) {
        issue('secretEnv', `${NAMES[source]} cannot sign its deliveries: use tokenEnv, and put ?token=<token> in the webhook URL`);
      }
      if (raw?.tokenEnv && SIGNING_ONLY_SOURCES.has(source)) {
        issue('tokenEnv', `${NAMES[source]} cannot send a token: use secretEnv, the webhook's secret (checked against X-Hub-Signature-256)`);
      }
      for (const field of ['signatureHeader', 'timestampHeader'] as const) {
        if (raw?.[field] && !raw.secretEnv) issue(field, 'applies to signed deliveries only: set secretEnv too');
      }
      const enabled = raw?.enabled ?? true;
      if (raw?.tokenEnv) return { enabled, auth: { kind: 'token', token: raw.tokenEnv.secret, env: raw.tokenEnv.name } };
      if (raw?.secretEnv) {
        return {
          enabled,
          auth: {
            kind: 'hmac',
            secret: raw.secretEnv.secret,
            env: raw.secretEnv.name,
            signatureHeader: raw.signatureHeader ?? (source === 'github' ? DEFAULT_SIGNATURE_HEADERS.github : DEFAULT_SIGNATURE_HEADERS.other),
            timestampHeader: raw.timestampHeader ?? null,
          },
        };
      }
      return { enabled, auth: null };
    });
}

export function webhooksSchema(secrets: SecretSource) {
  const shape = Object.fromEntries(WEBHOOK_SOURCES.map((source) => [source, sourceSchema(source, secrets)])) as {
    [S in WebhookSource]: ReturnType<typeof sourceSchema>;
  };
  // Every source gets its entry, written or not, so readers need no default of their own.
  return z.strictObject(shape).transform((parsed): WebhooksConfig => Object.fromEntries(WEBHOOK_SOURCES.map((source) => [source, parsed[source]])));
}

const semverSchema = z.string().transform((source, ctx) => {
  if (source.trim() === '') {
    ctx.addIssue({ code: 'custom', message: 'must not be empty: omit semver to deploy every version', input: source });
    return z.NEVER;
  }
  const parsed = parseRange(source);
  if (parsed.ok) return parsed.range;
  ctx.addIssue({ code: 'custom', message: `is not a semver range: ${parsed.message}`, input: source });
  return z.NEVER;
});

export const tagPolicySchema = z
  .strictObject({ semver: semverSchema.nullish(), newerThanStable: z.boolean().nullish() })
  .transform((raw): TagPolicyConfig => ({ semver: raw.semver ?? null, newerThanStable: raw.newerThanStable ?? false }));
