/**
 * The operator-facing routes beside the JSON API: the dashboard (`GET /` and its two assets), its live
 * stream (`GET /events`), local mode's metrics (`GET /metrics`) and the approval links
 * (`/approvals/<token>`).
 *
 * Authentication differs on purpose:
 * - `/` and `/dashboard/*` are public: a static shell with no data (a browser cannot put a bearer token
 *   on a navigation); the page asks for the API token and sends it as `Authorization: Bearer` itself.
 * - `/events` and `/metrics` take every credential the rest of the API takes (ROLLOUT_API_TOKEN, a named
 *   token of any role, an OIDC user): the same `apiAccess` middleware, passed in by the app.
 * - `/approvals/<token>`: the signed link is the credential (see shared/notifications).
 */
import { Hono, type MiddlewareHandler } from 'hono';
import type { Logger } from '../../observability/logger';
import { NotFoundError } from '../../errors';
import type { ApprovalLinks } from '../../notifications/approval-links';
import { approvalRoutes } from '../../notifications/approval-routes';
import type { MetricsRegistry } from '../../observability/metrics-registry';
import type { RolloutStore } from '../../ports';
import type { AppDeps } from '../deps';
import type { LiveUpdates } from './live-updates';

/** What the operator routes need beyond AppDeps; each part is optional and its route says when it is off. */
export interface OperatorDeps {
  /** Server-sent events at /events (local mode: one process runs the rollouts and serves the API). */
  readonly live?: LiveUpdates;
  /** Counters served at /metrics (local mode; AWS has CloudWatch metrics from EMF lines). */
  readonly metrics?: MetricsRegistry;
  /** Verifies approval links; absent: /approvals answers 404. */
  readonly approvalLinks?: ApprovalLinks | null;
  /** The store's delivery claims, which make a Slack click act once; needed when the config has `slack:`. */
  readonly interactionClaims?: Pick<RolloutStore, 'claimDelivery' | 'deliveryOwner'>;
}

// The page and its assets are loaded by the first request for one of them: a function that serves the
// API does not load them at start (docs/architecture.md, "Lambda bundles").
const ASSET_HEADERS = { 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache' };

export function operatorRoutes(deps: AppDeps & OperatorDeps, logger: Logger, apiAuth: MiddlewareHandler) {
  const routes = new Hono();

  routes.get('/', async (c) => {
    const { DASHBOARD_HEADERS, DASHBOARD_HTML } = await import('./page');
    return c.html(DASHBOARD_HTML, 200, DASHBOARD_HEADERS);
  });
  routes.get('/dashboard/app.js', async (c) => {
    const { dashboardScript } = await import('./script');
    return c.body(await dashboardScript(), 200, { ...ASSET_HEADERS, 'content-type': 'text/javascript; charset=utf-8' });
  });
  routes.get('/dashboard/app.css', async (c) => c.body((await import('./styles')).DASHBOARD_CSS, 200, { ...ASSET_HEADERS, 'content-type': 'text/css; charset=utf-8' }));

  routes.get('/events', apiAuth, (c) => {
    if (!deps.live) throw new NotFoundError('live updates are served in local mode only; poll GET /rollouts instead');
    return c.body(deps.live.open(), 200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      // Proxies such as nginx would otherwise buffer the stream.
      'x-accel-buffering': 'no',
    });
  });

  routes.get('/metrics', apiAuth, (c) => {
    if (!deps.metrics) throw new NotFoundError('in AWS, metrics are CloudWatch metrics (namespace RolloutOrchestrator, dimension Service)');
    return c.json(deps.metrics.snapshot());
  });

  routes.route('/approvals', approvalRoutes({ orchestrator: deps.orchestrator, links: deps.approvalLinks ?? null, logger }));

  return routes;
}
