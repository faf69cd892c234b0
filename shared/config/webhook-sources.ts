/**
 * The webhook sources and how they authenticate by default. Apart from the schema of `webhooks:`
 * (webhooks-schema.ts) so that the HTTP routes, which the functions load, load no config schema.
 */

export const WEBHOOK_SOURCES = ['registry', 'ecr', 'generic', 'dockerhub', 'github', 'quay', 'harbor', 'acr'] as const;
export type WebhookSource = (typeof WEBHOOK_SOURCES)[number];

/** Senders whose webhook form takes only a URL: their token rides in it as `?token=`. */
export const QUERY_TOKEN_SOURCES: ReadonlySet<WebhookSource> = new Set(['dockerhub', 'quay']);
/** Senders that can sign but cannot send a header of our choosing. */
export const SIGNING_ONLY_SOURCES: ReadonlySet<WebhookSource> = new Set(['github']);

export const DEFAULT_SIGNATURE_HEADERS: Readonly<Record<'github' | 'other', string>> = { github: 'X-Hub-Signature-256', other: 'X-Signature-256' };
