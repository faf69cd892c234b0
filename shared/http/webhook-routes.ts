/** Registry push notifications: one route per sender format, each with its own authentication. */
import { Hono } from 'hono';
import type { Logger } from '../app/logger';
import { DISTRIBUTION_MEDIA_TYPES, distributionEnvelopeSchema, parseDistributionEnvelope } from '../webhooks/distribution';
import { bearerAuth } from './auth';
import type { AppDeps } from './deps';
import { readJson } from './json-body';
import { parseOrThrow } from './validation';

export function webhookRoutes(deps: AppDeps, _logger: Logger) {
  const { orchestrator } = deps;
  const routes = new Hono();
  const webhookAuth = bearerAuth({ token: deps.webhookToken, allowBareToken: true, realm: 'webhook token' });

  routes.post('/registry', webhookAuth, async (c) => {
    const body = parseOrThrow(distributionEnvelopeSchema, await readJson(c, DISTRIBUTION_MEDIA_TYPES), 'registry notification');
    const parsed = parseDistributionEnvelope(body);
    const result = await orchestrator.ingest(parsed.pushes);
    return c.json({ accepted: result.accepted, ignored: [...parsed.ignored, ...result.ignored] }, 202);
  });

  return routes;
}
