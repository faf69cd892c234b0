/**
 * How each webhook source proves itself, from `webhooks:` in the config (webhooks-schema.ts):
 *
 * | source                         | default (no entry)                                | configurable            |
 * |--------------------------------|---------------------------------------------------|-------------------------|
 * | registry (distribution/GitLab) | `Bearer $ROLLOUT_WEBHOOK_TOKEN`, or the bare token | tokenEnv or secretEnv   |
 * | ecr, generic, harbor, acr      | `Bearer $ROLLOUT_WEBHOOK_TOKEN` (Harbor: or bare)  | tokenEnv or secretEnv   |
 * | dockerhub, quay                | the same token, in the header or as `?token=`      | tokenEnv only           |
 * | github                         | HMAC-SHA256 keyed with $ROLLOUT_WEBHOOK_TOKEN      | secretEnv only          |
 *
 * Docker Hub and Quay send no secret of their own: their webhook form takes only a URL, so the token
 * has to ride in it. GitHub cannot send a header of ours, but signs every delivery with the webhook's
 * secret. Bare tokens are accepted where the sender copies a configured header value verbatim
 * (GitLab's registry, Harbor's "auth header").
 */
import type { MiddlewareHandler } from 'hono';
import type { WebhooksConfig } from '../config/webhooks-schema';
import { type WebhookSource, QUERY_TOKEN_SOURCES, DEFAULT_SIGNATURE_HEADERS } from '../config/webhook-sources';
import { bearerAuth, type Credential, hmacAuth } from '../http/auth';

const BARE_TOKEN_SOURCES: ReadonlySet<WebhookSource> = new Set(['registry', 'harbor']);

export interface SourceAuthOptions {
  /** The shared ROLLOUT_WEBHOOK_TOKEN, for sources without an entry of their own. */
  readonly sharedToken: Credential;
  readonly now?: () => number;
}

/** The source's middleware, or null when the config disables the source (its route then answers 404). */
export function sourceAuth(source: WebhookSource, webhooks: WebhooksConfig | undefined, options: SourceAuthOptions): MiddlewareHandler | null {
  const entry = webhooks?.[source];
  if (entry && !entry.enabled) return null;
  const auth = entry?.auth ?? null;
  const now = options.now ? { now: options.now } : {};
  if (auth?.kind === 'hmac') {
    // Realms name the source, never the environment variable: a 401 goes to whoever asked.
    return hmacAuth({ secret: () => auth.secret.value(), signatureHeader: auth.signatureHeader, timestampHeader: auth.timestampHeader, realm: `${source} webhook secret`, ...now });
  }
  if (source === 'github' && !auth) {
    return hmacAuth({ secret: options.sharedToken, signatureHeader: DEFAULT_SIGNATURE_HEADERS.github, realm: 'github webhook secret', ...now });
  }
  return bearerAuth({
    token: auth ? () => auth.token.value() : options.sharedToken,
    realm: auth ? `${source} webhook token` : 'webhook token',
    ...(BARE_TOKEN_SOURCES.has(source) ? { allowBareToken: true } : {}),
    ...(QUERY_TOKEN_SOURCES.has(source) ? { queryParam: 'token' } : {}),
  });
}
