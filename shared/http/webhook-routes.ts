/**
 * Registry push notifications: one route per sender format (`POST /webhooks/<source>`), each with the
 * authentication its sender can do (shared/webhooks/source-auth.ts). Every route runs the same steps:
 * authenticate (before anything is parsed), check the content type (415), parse the JSON (400), check
 * the sender's shape (400 naming the field), resolve tag-only pushes to digests, then
 * `orchestrator.accept`: what the config alone decides, and one durable write of the delivery. The answer
 * is `202 {deliveryId, accepted, ignored}`; the rest of the work follows (`GET /deliveries/{id}`), and
 * a delivery that cannot be recorded is a 503 so that the sender retries.
 */
import { type Context, Hono } from 'hono';
import type { $ZodType } from 'zod/v4/core';
import type { Logger } from '../observability/logger';
import { WEBHOOK_SOURCES, type WebhookSource } from '../config/webhook-sources';
import { DeliveryNotReceivedError, ValidationError } from '../errors';
import { acrEventSchema, genericPushSchema, parseAcrEvent, parseGenericPush } from '../webhooks/acr-generic';
import type { ParsedDelivery } from '../webhooks/delivery';
import { DISTRIBUTION_MEDIA_TYPES, distributionEnvelopeSchema, parseDistributionEnvelope } from '../webhooks/distribution';
import { ecrImageActionSchema, parseEcrImageAction } from '../webhooks/ecr-event';
import { GITHUB_PACKAGE_EVENTS, githubPackageEventSchema, parseGithubPackageEvent } from '../webhooks/github';
import { HARBOR_MEDIA_TYPES, harborEventSchema, harborSchemaFor, parseHarborEvent } from '../webhooks/harbor';
import { type TagResolver, registryTagResolver, resolveTaggedPushes } from '../webhooks/resolve-tag';
import { sourceAuth } from '../webhooks/source-auth';
import { dockerHubPushSchema, parseDockerHubPush, parseQuayPush, quayPushSchema } from '../webhooks/tag-only';
import type { AppDeps } from './deps';
import { ServiceUnavailableError } from './http-errors';
import { JSON_ONLY, mediaType, parseJson } from './json-body';
import { requestText } from './request-body';
import { parseOrThrow } from './validation';

export interface WebhookRoute {
  readonly source: WebhookSource;
  /** Who sends it, for documentation. */
  readonly sender: string;
  readonly contentTypes: readonly string[];
  /** The body's shape, for documentation (`parse` may pick a narrower one). */
  readonly schema: $ZodType;
  /** Parses the decoded JSON body; throws ValidationError (400) when it is not the sender's shape. */
  parse(body: unknown, c: Context): ParsedDelivery;
  /**
   * The ids its sender gives this notification, which a retry of it repeats (a parsed body); null when
   * the sender gives none, and each delivery is then a new one.
   */
  readonly notificationIds?: (body: unknown, c: Context) => readonly string[] | null;
}

const FORM = 'application/x-www-form-urlencoded';
/** When a sender is told to retry a delivery the store could not record. */
const RETRY_AFTER_SECONDS = 5;

/** The `id` of an object body (ECR's and ACR's events, a CloudEvent), when it has one. */
const idOf = (body: unknown): string | null => {
  const id = body !== null && typeof body === 'object' ? (body as { id?: unknown }).id : undefined;
  return typeof id === 'string' && id.length > 0 ? id : null;
};
const oneId = (id: string | null | undefined): readonly string[] | null => (id ? [id] : null);

/** A distribution envelope is identified when every event in it is (each event carries a unique `id`). */
const envelopeIds = (body: unknown): readonly string[] | null => {
  const events = (body as { events?: unknown }).events;
  if (!Array.isArray(events) || events.length === 0) return null;
  const ids = events.map(idOf);
  return ids.every((id) => id !== null) ? (ids as string[]) : null;
};

const fromNotification = (parsed: { pushes: ParsedDelivery['pushes']; ignored: ParsedDelivery['ignored'] }): ParsedDelivery => ({ ...parsed, tagged: [] });

/** The routes, in one table so that documentation and tests can go through every one of them. */
export const WEBHOOK_ROUTES: readonly WebhookRoute[] = [
  {
    source: 'registry',
    sender: 'a Docker distribution registry (CNCF distribution 2.x and 3, GitLab, Harbor)',
    contentTypes: DISTRIBUTION_MEDIA_TYPES,
    schema: distributionEnvelopeSchema,
    parse: (body) => fromNotification(parseDistributionEnvelope(parseOrThrow(distributionEnvelopeSchema, body, 'registry notification'))),
    notificationIds: envelopeIds,
  },
  {
    source: 'ecr',
    sender: 'Amazon ECR (an EventBridge `ECR Image Action` event, e.g. through an API destination)',
    contentTypes: JSON_ONLY,
    schema: ecrImageActionSchema,
    parse: (body) => {
      const parsed = parseEcrImageAction(parseOrThrow(ecrImageActionSchema, body, 'ECR Image Action event'));
      return 'push' in parsed ? { pushes: [parsed.push], tagged: [], ignored: [] } : { pushes: [], tagged: [], ignored: [parsed.ignored] };
    },
    notificationIds: (body) => oneId(idOf(body)),
  },
  {
    source: 'generic',
    sender: 'a CI job: {"image":"registry/repo@sha256:…","tag"?:"v1.2.3","source"?:"pipeline 42"}',
    contentTypes: JSON_ONLY,
    schema: genericPushSchema,
    parse: (body) => parseGenericPush(parseOrThrow(genericPushSchema, body, 'generic push')),
  },
  {
    source: 'dockerhub',
    sender: 'Docker Hub (tag only: the digest is resolved from the registry)',
    contentTypes: JSON_ONLY,
    schema: dockerHubPushSchema,
    parse: (body) => parseDockerHubPush(parseOrThrow(dockerHubPushSchema, body, 'Docker Hub push')),
  },
  {
    source: 'github',
    sender: 'GitHub Packages (GHCR `package` and `registry_package` events)',
    contentTypes: [...JSON_ONLY, FORM],
    schema: githubPackageEventSchema,
    parse: (body, c) => {
      const event = c.req.header('x-github-event');
      const id = githubDeliveryId(c);
      if (event !== undefined && !(GITHUB_PACKAGE_EVENTS as readonly string[]).includes(event)) {
        // GitHub sends `ping` when the webhook is created: a 2xx marks the hook as working.
        return { pushes: [], tagged: [], ignored: [{ reason: `X-GitHub-Event ${JSON.stringify(event.slice(0, 64))} is not a package event` }] };
      }
      return parseGithubPackageEvent(parseOrThrow(githubPackageEventSchema, body, 'GitHub package event'), id);
    },
    // GitHub's redelivery of a delivery keeps its X-GitHub-Delivery.
    notificationIds: (_body, c) => oneId(githubDeliveryId(c)),
  },
  {
    source: 'quay',
    sender: 'Quay (`repo_push`, tags only: the digests are resolved from the registry)',
    contentTypes: JSON_ONLY,
    schema: quayPushSchema,
    parse: (body) => parseQuayPush(parseOrThrow(quayPushSchema, body, 'Quay repo_push')),
  },
  {
    source: 'harbor',
    sender: 'Harbor (its own webhook, Default or CloudEvents format)',
    contentTypes: HARBOR_MEDIA_TYPES,
    schema: harborEventSchema,
    parse: (body) => parseHarborEvent(parseOrThrow(harborSchemaFor(body), body, 'Harbor event')),
    // A CloudEvent carries its id; Harbor's Default format carries none.
    notificationIds: (body) => oneId((body as { specversion?: unknown }).specversion === undefined ? null : idOf(body)),
  },
  {
    source: 'acr',
    sender: 'Azure Container Registry (one event, no envelope)',
    contentTypes: JSON_ONLY,
    schema: acrEventSchema,
    parse: (body) => parseAcrEvent(parseOrThrow(acrEventSchema, body, 'ACR event')),
    notificationIds: (body) => oneId(idOf(body)),
  },
];

function githubDeliveryId(c: Context): string | null {
  const delivery = c.req.header('x-github-delivery');
  return delivery && /^[\w-]{1,64}$/.test(delivery) ? delivery : null;
}

/** JSON, or GitHub's form encoding (`payload=<json>`); the content type decides, 415 otherwise. */
function decodeBody(c: Context, text: string, allowed: readonly string[]): unknown {
  const type = mediaType(c);
  if (type !== FORM || !allowed.includes(FORM)) return parseJson(c, text, allowed, type);
  const payload = new URLSearchParams(text).get('payload');
  if (payload === null) throw new ValidationError('payload: a form-encoded delivery must carry the JSON in its payload field');
  try {
    return JSON.parse(payload) as unknown;
  } catch (e) {
    throw new ValidationError(`payload is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export interface WebhookRouteOptions {
  /** Resolves Docker Hub and Quay tags. Default: the registries of the config, over the OCI API. */
  readonly tagResolver?: TagResolver;
  /** For the signed-timestamp replay window; default Date.now. */
  readonly now?: () => number;
}

export function webhookRoutes(deps: AppDeps, logger: Logger, options: WebhookRouteOptions = {}) {
  const { orchestrator } = deps;
  const { config } = orchestrator;
  const resolver = options.tagResolver ?? registryTagResolver();
  const routes = new Hono();
  if (WEBHOOK_ROUTES.length !== WEBHOOK_SOURCES.length) throw new Error('every webhook source needs a route');

  for (const route of WEBHOOK_ROUTES) {
    const auth = sourceAuth(route.source, config.webhooks, { sharedToken: deps.webhookToken, ...(options.now ? { now: options.now } : {}) });
    if (!auth) continue; // disabled in the config: the app answers 404
    routes.post(`/${route.source}`, auth, async (c) => {
      const text = await requestText(c);
      const body = decodeBody(c, text, route.contentTypes);
      const parsed = route.parse(body, c);
      const resolved = await resolveTaggedPushes(config, resolver, parsed.tagged);
      const pushes = [...parsed.pushes, ...resolved.pushes];
      // A notification its sender identifies is the same one when its ids and its bytes are: a retry.
      const ids = route.notificationIds?.(body, c) ?? null;
      const identity = ids ? { identity: [route.source, ...ids, text] } : {};
      const receipt = await orchestrator.accept({ source: route.source, pushes, ignored: [...parsed.ignored, ...resolved.ignored], ...identity }).catch((e: unknown) => {
        // Nothing durable, nothing promised: the sender retries.
        if (e instanceof DeliveryNotReceivedError) throw new ServiceUnavailableError(e.message, RETRY_AFTER_SECONDS);
        throw e;
      });
      // Counts and ids only: bodies can be large, and headers and the query hold credentials.
      logger.info('webhook delivery', { source: route.source, deliveryId: receipt.deliveryId, accepted: receipt.accepted.map((a) => a.rolloutId), ignored: receipt.ignored.length });
      return c.json(receipt, 202);
    });
  }
  return routes;
}
