/**
 * The HTTP API (DESIGN §4) as a Hono app built from its dependencies, so that Lambda, local mode and
 * tests serve the very same app (tests call `app.request()`).
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Orchestrator, OperatorCommand } from '../app/orchestrator';
import { type Logger, silentLogger } from '../app/logger';
import type { Rollout } from '../core/rollout';
import { NotFoundError, PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../errors';
import { DISTRIBUTION_MEDIA_TYPES, distributionEnvelopeSchema, parseDistributionEnvelope } from '../webhooks/distribution';
import { bearerAuth } from './auth';
import { problemResponse, renderError } from './problem';
import { abortBody, approveBody, listQuery, localAlarmBody, promoteBody, rejectBody, retryBody } from './schemas';
import { parseOrThrow } from './validation';

/** Local mode's emulated alarms; absent in AWS, where alarms arrive through EventBridge. */
export interface LocalAlarmControl {
  set(name: string, state: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA', reason: string | null): Promise<{ rolledBack: string[] }>;
  list(): Promise<Record<string, { state: string; reason: string | null; updatedAt: string }>>;
}

export interface AppDeps {
  readonly orchestrator: Orchestrator;
  readonly webhookToken: string;
  readonly apiToken: string;
  readonly localAlarms?: LocalAlarmControl;
  readonly logger?: Logger;
  /** Largest request body accepted, in bytes. Default 1 MiB. */
  readonly maxBodyBytes?: number;
}

/** The API's view of a rollout: the record without the workflow's task token. */
export function presentRollout(rollout: Rollout) {
  const { taskToken: _taskToken, ...visible } = rollout;
  return visible;
}

/** Checks the content type, then parses the (already read) body as JSON. */
function parseJson(c: Context, text: string, allowed: readonly string[]): unknown {
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (!allowed.includes(type)) {
    throw new UnsupportedMediaTypeError(`content type ${type ? `"${type}"` : '(none)'} is not accepted here; send one of ${allowed.join(', ')}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ValidationError(`body is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

async function readJson(c: Context, allowed: readonly string[]): Promise<unknown> {
  return parseJson(c, await c.req.text(), allowed);
}

const JSON_ONLY = ['application/json'] as const;

export function createApp(deps: AppDeps) {
  const { orchestrator } = deps;
  const logger = deps.logger ?? silentLogger;
  const app = new Hono();
  const maxSize = deps.maxBodyBytes ?? 1024 * 1024;

  app.onError(renderError(logger));
  app.notFound((c) => problemResponse(c, { type: 'about:blank', title: 'Not found', status: 404, detail: `no route for ${c.req.method} ${c.req.path}`, instance: c.req.path }));
  app.use(
    '*',
    bodyLimit({
      maxSize,
      onError: () => {
        throw new PayloadTooLargeError(`request body is larger than ${maxSize} bytes`);
      },
    }),
  );

  app.get('/healthz', (c) => c.json({ ok: true }));

  const webhookAuth = bearerAuth({ token: deps.webhookToken, allowBareToken: true, realm: 'webhook token' });
  const apiAuth = bearerAuth({ token: deps.apiToken, realm: 'API token' });

  app.post('/webhooks/registry', webhookAuth, async (c) => {
    const body = parseOrThrow(distributionEnvelopeSchema, await readJson(c, DISTRIBUTION_MEDIA_TYPES), 'registry notification');
    const parsed = parseDistributionEnvelope(body);
    const result = await orchestrator.ingest(parsed.pushes);
    return c.json({ accepted: result.accepted, ignored: [...parsed.ignored, ...result.ignored] }, 202);
  });

  app.use('/rollouts/*', apiAuth);
  app.use('/rollouts', apiAuth);
  app.use('/services/*', apiAuth);
  app.use('/services', apiAuth);
  app.use('/local/*', apiAuth);

  app.get('/rollouts', async (c) => {
    const query = parseOrThrow(listQuery, c.req.query(), 'query');
    if (query.service !== undefined) orchestrator.serviceConfig(query.service);
    const page = await orchestrator.list(query);
    return c.json({ items: page.items.map(presentRollout), nextCursor: page.nextCursor });
  });

  app.get('/rollouts/:id', async (c) => c.json(presentRollout(await orchestrator.get(c.req.param('id')))));

  const command = (build: (body: unknown) => OperatorCommand) => async (c: Context) => {
    const input = build(await readJson(c, JSON_ONLY));
    const id = c.req.param('id')!;
    await orchestrator.get(id); // an unknown id is a 404 before anything else
    const rollout = await orchestrator.command(id, input);
    logger.info('operator command', { rolloutId: id, command: input.type, by: input.by, status: rollout.status });
    return c.json(presentRollout(rollout));
  };

  app.post('/rollouts/:id/approve', command((b) => ({ type: 'Approve', ...nullify(parseOrThrow(approveBody, b, 'approve request'), 'comment') })));
  app.post('/rollouts/:id/reject', command((b) => ({ type: 'Reject', ...nullify(parseOrThrow(rejectBody, b, 'reject request'), 'comment') })));
  app.post('/rollouts/:id/abort', command((b) => ({ type: 'Abort', ...nullify(parseOrThrow(abortBody, b, 'abort request'), 'reason') })));
  app.post('/rollouts/:id/promote', command((b) => ({ type: 'Promote', ...parseOrThrow(promoteBody, b, 'promote request') })));

  app.post('/rollouts/:id/retry', async (c) => {
    const text = await c.req.text();
    const body = text.trim() === '' ? {} : parseJson(c, text, JSON_ONLY);
    const { by } = parseOrThrow(retryBody, body, 'retry request');
    const started = await orchestrator.retry(c.req.param('id'), by ?? 'api');
    return c.json(presentRollout(started), 201);
  });

  app.get('/services', async (c) => c.json({ items: await Promise.all(Object.keys(orchestrator.config.services).map((n) => orchestrator.describeService(n))) }));
  app.get('/services/:name', async (c) => c.json(await orchestrator.describeService(c.req.param('name'))));

  app.put('/local/alarms/:name', async (c) => {
    if (!deps.localAlarms) throw new NotFoundError('emulated alarms exist only in local mode');
    const name = c.req.param('name');
    if (name.length > 255) throw new ValidationError('alarm name must be at most 255 characters');
    const body = parseOrThrow(localAlarmBody, await readJson(c, JSON_ONLY), 'alarm state');
    const { rolledBack } = await deps.localAlarms.set(name, body.state, body.reason ?? null);
    return c.json({ name, state: body.state, rolledBack });
  });

  app.get('/local/alarms', async (c) => {
    if (!deps.localAlarms) throw new NotFoundError('emulated alarms exist only in local mode');
    return c.json(await deps.localAlarms.list());
  });

  return app;
}

/** zod's nullish optional fields become explicit nulls in the core's inputs. */
function nullify<T extends { by: string }, K extends string>(body: T, key: K): { by: string } & Record<K, string | null> {
  const value = (body as Record<string, unknown>)[key];
  return { by: body.by, [key]: typeof value === 'string' && value.length > 0 ? value : null } as { by: string } & Record<K, string | null>;
}
