/** The route registry's own rules: path translation, matching, and what coverage reports. */
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { documentWebhook, findRouteDoc, openApiPath, routeCoverage } from '../../../shared/http/openapi';

describe('the route registry', () => {
  it('writes Hono paths the OpenAPI way', () => {
    expect(openApiPath('/rollouts/:id/approve')).toBe('/rollouts/{id}/approve');
    expect(openApiPath('/things/:n{[0-9]+}')).toBe('/things/{n}');
    expect(openApiPath('/assets/*')).toBe('/assets/{path}');
    expect(openApiPath('/services/')).toBe('/services');
  });

  it('finds the documented route of a concrete path, literal routes first', () => {
    expect(findRouteDoc('GET', '/rollouts/01j0000000000000000000000a')?.path).toBe('/rollouts/{id}');
    expect(findRouteDoc('GET', '/services')?.path).toBe('/services');
    expect(findRouteDoc('POST', '/rollouts/x/approve')?.operationId).toBe('approveRollout');
    expect(findRouteDoc('GET', '/openapiXjson')).toBeUndefined();
    expect(findRouteDoc('DELETE', '/rollouts/x')).toBeUndefined();
  });

  it('reports a new webhook route as undocumented until documentWebhook names it', () => {
    const app = new Hono();
    app.use('*', async (_c, next) => next());
    app.post('/webhooks/registry', (c) => c.text(''));
    app.post('/webhooks/frobhub', (c) => c.text(''));
    const before = routeCoverage(app.routes);
    expect(before.undocumented).toEqual(['POST /webhooks/frobhub']);

    documentWebhook('frobhub', { sender: 'FrobHub', security: { hmac: { header: 'X-Hub-Signature-256' } } });
    const after = routeCoverage(app.routes);
    expect(after.undocumented).toEqual([]);
    // Everything else the registry knows is not served by this small app.
    expect(after.unserved).toContain('GET /rollouts/{id}');
    expect(after.unserved).not.toContain('POST /webhooks/frobhub');
  });
});
