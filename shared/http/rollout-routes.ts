/** Rollouts and services: queries and operator commands. */
import { type Context, Hono } from 'hono';
import type { Logger } from '../app/logger';
import type { OperatorCommand } from '../app/orchestrator';
import type { AppDeps } from './deps';
import { presentRollout } from './deps';
import { JSON_ONLY, parseJson, readJson } from './json-body';
import { abortBody, approveBody, listQuery, promoteBody, rejectBody, retryBody } from './schemas';
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

  const command = (build: (body: unknown) => OperatorCommand) => async (c: Context) => {
    const input = build(await readJson(c));
    const id = c.req.param('id')!;
    await orchestrator.get(id); // an unknown id is a 404 before anything else
    const rollout = await orchestrator.command(id, input);
    logger.info('operator command', { rolloutId: id, command: input.type, by: input.by, status: rollout.status });
    return c.json(presentRollout(rollout));
  };

  routes.post('/rollouts/:id/approve', command((b) => ({ type: 'Approve', ...nullify(parseOrThrow(approveBody, b, 'approve request'), 'comment') })));
  routes.post('/rollouts/:id/reject', command((b) => ({ type: 'Reject', ...nullify(parseOrThrow(rejectBody, b, 'reject request'), 'comment') })));
  routes.post('/rollouts/:id/abort', command((b) => ({ type: 'Abort', ...nullify(parseOrThrow(abortBody, b, 'abort request'), 'reason') })));
  routes.post('/rollouts/:id/promote', command((b) => ({ type: 'Promote', ...parseOrThrow(promoteBody, b, 'promote request') })));

  routes.post('/rollouts/:id/retry', async (c) => {
    const text = await c.req.text();
    const body = text.trim() === '' ? {} : parseJson(c, text, JSON_ONLY);
    const { by } = parseOrThrow(retryBody, body, 'retry request');
    const started = await orchestrator.retry(c.req.param('id'), by ?? 'api');
    return c.json(presentRollout(started), 201);
  });

  routes.get('/services', async (c) => c.json({ items: await Promise.all(Object.keys(orchestrator.config.services).map((n) => orchestrator.describeService(n))) }));
  routes.get('/services/:name', async (c) => c.json(await orchestrator.describeService(c.req.param('name'))));

  return routes;
}

/** zod's nullish optional fields become explicit nulls in the core's inputs. */
function nullify<T extends { by: string }, K extends string>(body: T, key: K): { by: string } & Record<K, string | null> {
  const value = (body as Record<string, unknown>)[key];
  return { by: body.by, [key]: typeof value === 'string' && value.length > 0 ? value : null } as { by: string } & Record<K, string | null>;
}
