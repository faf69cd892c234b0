/** Rollouts and services: queries and operator commands. */
import { type Context, Hono } from 'hono';
import type { Logger } from '../observability/logger';
import type { OperatorCommand } from '../orchestration/orchestrator';
import type { Actor } from '../core/commands';
import { ValidationError } from '../errors';
import { identityOf, requireRole } from './identity';
import type { AppDeps } from './deps';
import { presentRollout } from './deps';
import { JSON_ONLY, parseJson, readJson } from './json-body';
import { abortBody, approveBody, listQuery, pauseBody, promoteBody, rejectBody, resumeBody, retryBody } from './schemas';
import { parseOrThrow } from './validation';

export function rolloutRoutes(deps: AppDeps, logger: Logger) {
  const { orchestrator } = deps;
  const routes = new Hono();

  routes.get('/rollouts', async (c) => {
    const query = parseOrThrow(listQuery, c.req.query(), 'query');
    if (query.service !== undefined) orchestrator.serviceConfig(query.service);
    const page = await orchestrator.list(query);
    return c.json({ items: page.items.map(presentRollout), nextCursor: page.nextCursor });
  });

  routes.get('/rollouts/:id', async (c) => c.json(presentRollout(await orchestrator.get(c.req.param('id')))));

  const command = (build: (body: unknown, by: (stated: string | undefined) => Actor) => OperatorCommand) => async (c: Context) => {
    const identity = identityOf(c);
    const actor = (stated: string | undefined): Actor => {
      if (!identity.mayStateBy) return { by: identity.person, credential: identity.credential };
      if (!stated) throw new ValidationError('by: is required: the integration token acts for people and must say for whom', ['by: is required']);
      return { by: stated, credential: identity.credential };
    };
    const input = build(await readJson(c), actor);
    const id = c.req.param('id')!;
    await orchestrator.get(id); // an unknown id is a 404 before anything else
    const rollout = await orchestrator.command(id, input);
    logger.info('operator command', { rolloutId: id, command: input.type, by: input.by, credential: input.credential, status: rollout.status });
    return c.json(presentRollout(rollout));
  };

  const operator = requireRole('operator');
  routes.post('/rollouts/:id/approve', operator, command((b, actor) => {
    const body = parseOrThrow(approveBody, b, 'approve request');
    return { type: 'Approve', ...actor(body.by), comment: body.comment || null };
  }));
  routes.post('/rollouts/:id/reject', operator, command((b, actor) => {
    const body = parseOrThrow(rejectBody, b, 'reject request');
    return { type: 'Reject', ...actor(body.by), comment: body.comment || null };
  }));
  routes.post('/rollouts/:id/abort', operator, command((b, actor) => {
    const body = parseOrThrow(abortBody, b, 'abort request');
    return { type: 'Abort', ...actor(body.by), reason: body.reason || null };
  }));
  routes.post('/rollouts/:id/promote', operator, command((b, actor) => ({ type: 'Promote', ...actor(parseOrThrow(promoteBody, b, 'promote request').by) })));
  routes.post('/rollouts/:id/pause', operator, command((b, actor) => {
    const body = parseOrThrow(pauseBody, b, 'pause request');
    return { type: 'Pause', ...actor(body.by), reason: body.reason || null };
  }));
  routes.post('/rollouts/:id/resume', operator, command((b, actor) => ({ type: 'Resume', ...actor(parseOrThrow(resumeBody, b, 'resume request').by) })));

  routes.post('/rollouts/:id/retry', operator, async (c) => {
    const identity = identityOf(c);
    const text = await c.req.text();
    const body = text.trim() === '' ? {} : parseJson(c, text, JSON_ONLY);
    const { by } = parseOrThrow(retryBody, body, 'retry request');
    const started = await orchestrator.retry(c.req.param('id'), identity.mayStateBy ? (by ?? identity.person) : identity.person);
    return c.json(presentRollout(started), 201);
  });

  routes.get('/services', async (c) => c.json({ items: await Promise.all(Object.keys(orchestrator.config.services).map((n) => orchestrator.describeService(n))) }));
  routes.get('/services/:name', async (c) => c.json(await orchestrator.describeService(c.req.param('name'))));

  return routes;
}
