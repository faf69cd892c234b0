/**
 * Documentation of the webhook routes, one per sender (`POST /webhooks/<source>`). They are documented
 * from the table the routes are built from (`WEBHOOK_ROUTES`: sender, media types, body schema), so a
 * source added there is documented with it. A webhook route served some other way is documented with
 * one `documentWebhook` call: every sender answers the same `DeliveryReceipt`.
 */
import { z } from 'zod';
import type { $ZodType } from 'zod/v4/core';
import { DEFAULT_SIGNATURE_HEADERS, QUERY_TOKEN_SOURCES, SIGNING_ONLY_SOURCES, type WebhookSource } from '../../config/webhook-sources';
import { deliveryReceiptSchema } from '../response-schemas';
import { WEBHOOK_ROUTES } from '../webhook-routes';
import { type ProblemStatus, type RouteSecurity, documentRoute } from './route-docs';

export interface WebhookDocOptions {
  /** Who sends it, for the summary: `Amazon ECR (EventBridge)`. */
  readonly sender: string;
  readonly description?: string;
  /** Default: the webhook token as a bearer token. */
  readonly security?: RouteSecurity;
  /** The sender's payload; default: any JSON object (the sender's own format). */
  readonly body?: $ZodType;
  /** Default `application/json`. */
  readonly contentTypes?: readonly string[];
  readonly problems?: Partial<Readonly<Record<ProblemStatus, string>>>;
}

/** A sender's own notification format, when no schema of it is given. */
const genericPayload = z.record(z.string(), z.unknown()).describe("the sender's notification, in its own format");

const COMMON =
  'Starts a rollout for each configured service the pushed image matches; a signature push resumes the rollout waiting for it. ' +
  'The answer comes once the delivery is recorded: it carries the `deliveryId`, the rollouts planned (with the ids they will have if they start) and what the configuration alone refuses (under `ignored`, with the reason). ' +
  'What needs the registry, ECS or the store (a tag to confirm, the image already stable, a duplicate, the signature) is decided after the answer: `GET /deliveries/{id}` gives the outcome. ' +
  'A delivery that cannot be recorded is answered 503 with `Retry-After`, and nothing is done: send it again.';
const CONFIGURABLE =
  "A source may be given its own token (`webhooks.<source>.tokenEnv`) or HMAC secret (`secretEnv`, checked against `X-Signature-256`, or the configured header) in the configuration, or be disabled (its route then answers 404).";

/** Documents `POST /webhooks/{name}`. */
export function documentWebhook(name: string, options: WebhookDocOptions): void {
  documentRoute({
    method: 'post',
    path: `/webhooks/${name}`,
    operationId: `webhook${name.replace(/(^|[-_])([a-z0-9])/g, (_m, _sep: string, c: string) => c.toUpperCase())}`,
    summary: `Image push notification from ${options.sender}`,
    description: [options.description, COMMON].filter(Boolean).join('\n\n'),
    tags: ['webhooks'],
    security: options.security ?? 'webhookToken',
    body: { schema: options.body ?? genericPayload, contentTypes: options.contentTypes ?? ['application/json'] },
    responses: { 202: { description: 'the delivery is recorded: its id, the rollouts it plans, what it ignores', schema: deliveryReceiptSchema } },
    ...(options.problems ? { problems: options.problems } : {}),
  });
}

/** How a source authenticates when the configuration says nothing about it (shared/webhooks/source-auth.ts). */
function defaultSecurity(source: WebhookSource): RouteSecurity {
  if (SIGNING_ONLY_SOURCES.has(source)) {
    const header = DEFAULT_SIGNATURE_HEADERS.github;
    return { hmac: { header, description: `\`sha256=<hex>\`: the HMAC-SHA256 of the raw body keyed with the webhook's secret (default \`ROLLOUT_WEBHOOK_TOKEN\`), as GitHub sends it in \`${header}\`.` } };
  }
  return QUERY_TOKEN_SOURCES.has(source) ? ['webhookToken', { queryToken: { name: 'token' } }] : 'webhookToken';
}

for (const route of WEBHOOK_ROUTES) {
  documentWebhook(route.source, {
    sender: route.sender,
    description: CONFIGURABLE,
    security: defaultSecurity(route.source),
    body: route.schema,
    contentTypes: route.contentTypes,
  });
}
