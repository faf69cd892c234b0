/** Rollouts and services: queries and operator commands. */
import { type Context, Hono } from 'hono';
import type { Logger } from '../observability/logger';
import type { OperatorCommand } from '../orchestration/orchestrator';
import type { Actor } from '../core/commands';
import { InvalidTransitionError, NotFoundError, ValidationError } from '../errors';
import { ROLLOUT_ID_PATTERN } from '../core/ids';
import { identityKey } from '../core/identity';
import { RolloutStatus } from '../core/status';
import type { DeliveryRecord } from '../ports';
import { SERVICE_NAME_PATTERN, quote } from './limits';
import { identityOf, requireRole } from './identity';
import type { AppDeps } from './deps';
import { presentRollout } from './deps';
import { JSON_ONLY, parseJson, readJson } from './json-body';
import { requestText } from './request-body';
import { loadOnce } from '../load-once';

/** The request validators (zod), loaded by the first request that has a body or a query to check, not by `GET /rollouts/{id}`. */
const validators = loadOnce(async () => {
  const [schemas, { parseOrThrow }] = await Promise.all([import('./schemas'), import('./validation')]);
  return { ...schemas, parseOrThrow };
});
type Validators = Awaited<ReturnType<typeof validators>>;

/**
 * One person is one approver, whatever the case of their e-mail address or the Unicode form of their
 * name (identityKey): a second approval of the step they approved is a 409 here, before the command.
 */
function refuseSamePerson(rollout: Awaited<ReturnType<AppDeps['orchestrator']['get']>>, by: string): void {
  if (rollout.status !== RolloutStatus.Paused || rollout.currentStep === null) return;
  const step = rollout.currentStep;
  const earlier = rollout.approvals.find((a) => a.step === step && identityKey(a.by) === identityKey(by));
  if (earlier) throw new InvalidTransitionError(`${earlier.by} already approved step ${step + 1} of rollout ${rollout.id}: the same person cannot approve twice`);
}

/** A delivery as the API shows it: received (its work to come) or processed (its outcome). */
function presentDelivery(d: DeliveryRecord) {
  const common = { id: d.id, source: d.source, status: d.status, receivedAt: d.receivedAt };
  if (d.status === 'PROCESSED') return { ...common, processedAt: d.processedAt, accepted: d.accepted, ignored: d.ignored };
  const accepted = d.planned.flatMap((p) => (p.kind === 'image' ? [{ rolloutId: p.rolloutId, service: p.service, status: RolloutStatus.Pending }] : []));
  return { ...common, processedAt: null, accepted, ignored: d.ignored };
}

export function rolloutRoutes(deps: AppDeps, logger: Logger) {
  const { orchestrator } = deps;
  const routes = new Hono();

  /** A rollout id from the path: anything that is not one is a 404 at once, and is never echoed whole. */
  const rolloutId = (c: Context): string => {
    const id = c.req.param('id') ?? '';
    if (!ROLLOUT_ID_PATTERN.test(id)) throw new NotFoundError(`rollout ${quote(id, 40)} does not exist: a rollout id is 26 lower-case letters and digits`);
    return id;
  };
  /** A configured service, looked up as an own property (`constructor` names no service). */
  const serviceName = (name: string): string => {
    if (!SERVICE_NAME_PATTERN.test(name) || !Object.hasOwn(orchestrator.config.services, name)) throw new NotFoundError(`service ${quote(name, 63)} is not configured`);
    return name;
  };

  routes.get('/rollouts', async (c) => {
    const { parseOrThrow, listQuery } = await validators();
    const query = parseOrThrow(listQuery, c.req.query(), 'query');
    if (query.service !== undefined) serviceName(query.service);
    const page = await orchestrator.list(query);
    return c.json({ items: page.items.map(presentRollout), nextCursor: page.nextCursor });
  });

  routes.get('/rollouts/:id', async (c) => c.json(presentRollout(await orchestrator.get(rolloutId(c)))));

  routes.get('/deliveries/:id', async (c) => {
    const id = c.req.param('id');
    const delivery = ROLLOUT_ID_PATTERN.test(id) ? await orchestrator.delivery(id) : null;
    if (!delivery) throw new NotFoundError(`delivery ${quote(id, 40)} does not exist (or its outcome has expired)`);
    return c.json(presentDelivery(delivery));
  });

  const command = (build: (body: unknown, by: (stated: string | undefined) => Actor, v: Validators) => OperatorCommand) => async (c: Context) => {
    const identity = identityOf(c);
    const actor = (stated: string | undefined): Actor => {
      if (!identity.mayStateBy) return { by: identity.person, credential: identity.credential };
      if (!stated) throw new ValidationError('by: is required: the integration token acts for people and must say for whom', ['by: is required']);
      return { by: stated, credential: identity.credential };
    };
    const id = rolloutId(c);
    const input = build(await readJson(c), actor, await validators());
    const current = await orchestrator.get(id); // an unknown id is a 404 before anything else
    if (input.type === 'Approve') refuseSamePerson(current, input.by);
    // Decided from the record just read: one changed meanwhile makes the save a conflict, decided again.
    const rollout = await orchestrator.command(current, input);
    logger.info('operator command', { rolloutId: id, command: input.type, by: input.by, credential: input.credential, status: rollout.status });
    return c.json(presentRollout(rollout));
  };

  const operator = requireRole('operator');
  routes.post('/rollouts/:id/approve', operator, command((b, actor, v) => {
    const body = v.parseOrThrow(v.approveBody, b, 'approve request');
    return { type: 'Approve', ...actor(body.by), comment: body.comment || null };
  }));
  routes.post('/rollouts/:id/reject', operator, command((b, actor, v) => {
    const body = v.parseOrThrow(v.rejectBody, b, 'reject request');
    return { type: 'Reject', ...actor(body.by), comment: body.comment || null };
  }));
  routes.post('/rollouts/:id/abort', operator, command((b, actor, v) => {
    const body = v.parseOrThrow(v.abortBody, b, 'abort request');
    return { type: 'Abort', ...actor(body.by), reason: body.reason || null };
  }));
  routes.post('/rollouts/:id/promote', operator, command((b, actor, v) => ({ type: 'Promote', ...actor(v.parseOrThrow(v.promoteBody, b, 'promote request').by) })));
  routes.post('/rollouts/:id/pause', operator, command((b, actor, v) => {
    const body = v.parseOrThrow(v.pauseBody, b, 'pause request');
    return { type: 'Pause', ...actor(body.by), reason: body.reason || null };
  }));
  routes.post('/rollouts/:id/resume', operator, command((b, actor, v) => ({ type: 'Resume', ...actor(v.parseOrThrow(v.resumeBody, b, 'resume request').by) })));

  routes.post('/rollouts/:id/retry', operator, async (c) => {
    const identity = identityOf(c);
    const text = await requestText(c);
    const body = text.trim() === '' ? {} : parseJson(c, text, JSON_ONLY);
    const { parseOrThrow, retryBody } = await validators();
    const { by } = parseOrThrow(retryBody, body, 'retry request');
    const started = await orchestrator.retry(rolloutId(c), identity.mayStateBy ? (by ?? identity.person) : identity.person);
    return c.json(presentRollout(started), 201);
  });

  routes.get('/services', async (c) => c.json({ items: await Promise.all(Object.keys(orchestrator.config.services).map((n) => orchestrator.describeService(n))) }));
  routes.get('/services/:name', async (c) => c.json(await orchestrator.describeService(serviceName(c.req.param('name')))));

  return routes;
}
