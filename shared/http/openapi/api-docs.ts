/** Documentation of the operator API (rollout-routes.ts) and of `/healthz`. */
import { deliverySchema, rolloutPageSchema, rolloutSchema, serviceListSchema, serviceSchema, healthSchema } from '../response-schemas';
import { abortBody, approveBody, listQuery, pauseBody, promoteBody, resumeBody, retryBody } from '../schemas';
import { type RouteDoc, documentRoutes } from './route-docs';

const ID = { id: 'the rollout id' };
const ROLLOUT_404 = 'no rollout has this id';
const OPERATOR_403 = 'the credential has the viewer role: commands need the operator role';
const BY_400 = 'an invalid body, or no `by` with `ROLLOUT_API_TOKEN` (an integration acting for people must say for whom; other credentials are their own `by`)';

/** approve, reject, abort, promote, pause and resume differ only in body and meaning. */
function command(name: string, summary: string, description: string, body: RouteDoc['body'], conflict: string): RouteDoc {
  return {
    method: 'post',
    path: `/rollouts/{id}/${name}`,
    operationId: `${name}Rollout`,
    summary,
    description,
    tags: ['rollouts'],
    security: 'apiToken',
    params: ID,
    ...(body ? { body } : {}),
    responses: { 200: { description: 'the rollout after the command', schema: rolloutSchema } },
    problems: { 400: BY_400, 403: OPERATOR_403, 404: ROLLOUT_404, 409: conflict },
  };
}

export const API_ROUTE_DOCS: readonly RouteDoc[] = [
  {
    method: 'get',
    path: '/healthz',
    operationId: 'health',
    summary: 'Liveness',
    tags: ['meta'],
    security: 'none',
    responses: { 200: { description: 'the process answers', schema: healthSchema } },
  },
  {
    method: 'get',
    path: '/rollouts',
    operationId: 'listRollouts',
    summary: 'List rollouts, newest first',
    tags: ['rollouts'],
    security: 'apiToken',
    query: listQuery,
    params: { service: 'only this service', status: 'only rollouts in this status', limit: 'page size, 1-100; default 20', cursor: 'the `nextCursor` of the previous page' },
    responses: { 200: { description: 'one page of rollouts', schema: rolloutPageSchema } },
    problems: { 400: 'an invalid query parameter (unknown status, limit out of 1-100, unknown parameter)', 404: 'the `service` is not configured' },
  },
  {
    method: 'get',
    path: '/rollouts/{id}',
    operationId: 'getRollout',
    summary: 'One rollout, with its steps, approvals and events',
    tags: ['rollouts'],
    security: 'apiToken',
    params: ID,
    responses: { 200: { description: 'the rollout', schema: rolloutSchema } },
    problems: { 404: ROLLOUT_404 },
  },
  {
    method: 'get',
    path: '/deliveries/{id}',
    operationId: 'getDelivery',
    summary: 'The outcome of a webhook delivery',
    description:
      'The `deliveryId` of a webhook answer: `RECEIVED` while its work (tag confirmation, the look at ECS, de-duplication, signature verification, rollout creation) is still to come, then `PROCESSED` with every rollout it started or resumed and every event ignored, with the reason. Outcomes are kept for 7 days.',
    tags: ['webhooks'],
    security: 'apiToken',
    params: { id: 'the delivery id' },
    responses: { 200: { description: 'the delivery', schema: deliverySchema } },
    problems: { 404: 'no delivery has this id (or its outcome has expired)' },
  },
  command(
    'approve',
    'Approve a paused rollout',
    'Resumes a `PAUSED` rollout past its approval pause.',
    { schema: approveBody },
    'the rollout is not `PAUSED` at an approval pause (one paused by hand is resumed, not approved), or this person already approved it',
  ),
  command(
    'reject',
    'Reject a rollout (rolls back)',
    'An explicit no: rolls the rollout back and records who rejected it and why.',
    { schema: approveBody },
    'the rollout is not `PENDING`, `PROGRESSING` or `PAUSED`, or is already being made primary at 100%',
  ),
  command(
    'abort',
    'Abort a rollout (rolls back)',
    'Rolls back now; on a `FAILED` rollout, tries the rollback again.',
    { schema: abortBody },
    'the rollout is not `PENDING`, `PROGRESSING`, `PAUSED` or `FAILED`, or is already being made primary at 100%',
  ),
  command(
    'promote',
    'Promote a rollout to 100%',
    'Skips the remaining steps and shifts all traffic to the new image.',
    { schema: promoteBody },
    'the rollout is not `PROGRESSING` or `PAUSED`, or is already being promoted',
  ),
  command(
    'pause',
    'Pause a rollout by hand',
    'Holds a `PROGRESSING` rollout at its current weight: it becomes `PAUSED` with `wait: {for: "manual", by, reason, since, resume}`, where `resume` is what it waited for before (a bake, a steady state). Nothing moves it on until `resume`; alarms still roll it back, and abort, reject and promote work as for an approval pause.',
    { schema: pauseBody },
    'the rollout is not `PROGRESSING`, or is already being promoted to 100%',
  ),
  command(
    'resume',
    'Resume a rollout paused by hand',
    'Lets a rollout paused with `pause` go on where it was: `PROGRESSING`, waiting again for what it waited for, with its clock moved on by the time paused (a bake keeps the time it had left).',
    { schema: resumeBody },
    'the rollout is not `PAUSED`, or waits at an approval pause (approve it instead)',
  ),
  {
    method: 'post',
    path: '/rollouts/{id}/retry',
    operationId: 'retryRollout',
    summary: 'Start a rolled-back image again',
    description: "Starts a new rollout of a `ROLLED_BACK` rollout's image from the stable one. The body is optional; `by` counts only with `ROLLOUT_API_TOKEN`.",
    tags: ['rollouts'],
    security: 'apiToken',
    params: ID,
    body: { schema: retryBody, required: false },
    responses: { 201: { description: 'the rollout it started', schema: rolloutSchema } },
    problems: { 403: OPERATOR_403, 404: ROLLOUT_404, 409: 'the rollout is not `ROLLED_BACK`' },
  },
  {
    method: 'get',
    path: '/services',
    operationId: 'listServices',
    summary: 'Configured services, with the digest running now and the active rollout',
    tags: ['services'],
    security: 'apiToken',
    responses: { 200: { description: 'every configured service', schema: serviceListSchema } },
  },
  {
    method: 'get',
    path: '/services/{name}',
    operationId: 'getService',
    summary: 'One configured service',
    tags: ['services'],
    security: 'apiToken',
    params: { name: 'the key under `services:` in the configuration' },
    responses: { 200: { description: 'the service', schema: serviceSchema } },
    problems: { 404: 'the service is not configured' },
  },
];

documentRoutes(API_ROUTE_DOCS);
