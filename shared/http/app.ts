/**
 * The HTTP API (docs/api.md) as a Hono app built from its dependencies, so that Lambda, local mode and
 * tests serve the very same app (tests call `app.request()`). Each concern is a route module.
 */
import { type Context, Hono } from 'hono';
import { silentLogger } from '../observability/logger';
import { apiAccess, requireRole } from './identity';
import type { AppDeps } from './deps';
import { type OperatorDeps, operatorRoutes } from './dashboard';
import { lazyRoutes } from './lazy-routes';
import { localRoutes } from './local-routes';
import { docsRoutes } from './openapi/docs-routes';
import { problemResponse, renderError } from './problem';
import { FailureLimiter, failedAuthLimit } from './rate-limit';
import { limitRequestBody } from './request-body';
import { rolloutRoutes } from './rollout-routes';
import { slackRoutes } from '../notifications/slack-routes';

export type { AppDeps, LocalAlarmControl } from './deps';
export { presentRollout } from './deps';

export function createApp(deps: AppDeps & OperatorDeps) {
  const logger = deps.logger ?? silentLogger;
  const app = new Hono();
  const maxSize = deps.maxBodyBytes ?? 1024 * 1024;

  app.onError(renderError(logger));
  // First, so that it sees every answer: repeated failed authentications from one address become 429.
  app.use('*', failedAuthLimit(deps.authFailures ?? new FailureLimiter()));
  const notFound = (c: Context) => problemResponse(c, { type: 'about:blank', title: 'Not found', status: 404, detail: `no route for ${c.req.method} ${c.req.path}`, instance: c.req.path });
  app.notFound(notFound);
  // 413 beyond maxSize. Routes read bodies with requestText/requestBytes (shared/http/request-body.ts).
  app.use('*', limitRequestBody(maxSize));

  // Every API route: who is calling (the integration token, a named token, an OIDC JWT); viewers may read.
  const access = apiAccess({ apiToken: deps.apiToken, access: deps.orchestrator.config.access ?? null, ...(deps.oidcFetch ? { fetch: deps.oidcFetch } : {}) });

  app.get('/healthz', (c) => c.json({ ok: true }));
  app.route('/', docsRoutes());
  app.route('/', operatorRoutes(deps, logger, access)); // dashboard, /events, /metrics, /approvals: see dashboard/routes.ts
  // Slack's signature is the credential (shared/notifications/slack-routes.ts); a click acts once through the store's claims.
  if (deps.orchestrator.config.slack && !deps.interactionClaims) throw new Error("Slack interactions need the store's delivery claims (interactionClaims)");
  app.route('/webhooks/slack', slackRoutes({ orchestrator: deps.orchestrator, claims: deps.interactionClaims ?? null, logger, ...(deps.slack ? { options: deps.slack } : {}) }));
  // The registries' routes (their parsers and validators) load with the first delivery.
  app.all('/webhooks/*', lazyRoutes('/webhooks', async () => (await import('./webhook-routes')).webhookRoutes(deps, logger), { onError: renderError(logger), notFound }));

  for (const path of ['/rollouts', '/rollouts/*', '/deliveries/*', '/services', '/services/*', '/local/*']) app.use(path, access);
  app.use('/local/*', requireRole('operator'));
  app.route('/', rolloutRoutes(deps, logger));
  app.route('/local', localRoutes(deps));

  return app;
}
