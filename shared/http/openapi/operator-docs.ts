/** Documentation of the operator routes beside the JSON API (dashboard/routes.ts, notifications/approval-routes.ts). */
import { z } from 'zod';
import { rolloutStatusSchema } from '../response-schemas';
import { type RouteDoc, documentRoutes } from './route-docs';

const LOCAL_ONLY = 'not in local mode: in AWS the changes happen in other functions';

/** Local mode's counters (observability/metrics-registry.ts); loose: metric names come and go with the code. */
export const metricsSnapshotSchema = z.looseObject({
  namespace: z.string(),
  since: z.string(),
  metrics: z.record(z.string(), z.looseObject({ unit: z.string(), total: z.number(), byService: z.record(z.string(), z.number()) })),
});

export const approvalLinkSchema = z.strictObject({
  rolloutId: z.string(),
  service: z.string(),
  action: z.enum(['approve', 'abort']),
  step: z.int().min(0).describe('index of the pause step the link was issued for'),
  expiresAt: z.iso.datetime(),
});

export const approvalLinkUsedSchema = z.strictObject({
  rolloutId: z.string(),
  action: z.enum(['approve', 'abort']),
  by: z.string().describe('`link:<target>`: the notification target the link was sent to'),
  status: rolloutStatusSchema,
});

const LINK_PROBLEMS = {
  403: 'the link was altered or is not ours',
  404: 'approval links are not enabled (no `ROLLOUT_LINK_SECRET`), or the rollout does not exist',
  409: 'the link was used already, or the rollout no longer waits for this approval',
  410: 'the link has expired',
} as const;

const asset = (path: string, operationId: string, contentType: string, what: string): RouteDoc => ({
  method: 'get',
  path,
  operationId,
  summary: `The dashboard's ${what}`,
  tags: ['dashboard'],
  security: 'none',
  responses: { 200: { description: what, contentType, schema: z.string() } },
});

export const OPERATOR_ROUTE_DOCS: readonly RouteDoc[] = [
  {
    method: 'get',
    path: '/',
    operationId: 'dashboard',
    summary: 'The dashboard',
    description: 'A static page with no data of its own: it asks for the API token and calls the API with it, so it needs no token to load.',
    tags: ['dashboard'],
    security: 'none',
    responses: { 200: { description: 'the page', contentType: 'text/html', schema: z.string() } },
  },
  asset('/dashboard/app.js', 'dashboardScript', 'text/javascript', 'script'),
  asset('/dashboard/app.css', 'dashboardStyles', 'text/css', 'styles'),
  {
    method: 'get',
    path: '/events',
    operationId: 'liveUpdates',
    summary: 'Every saved rollout change, as server-sent events (local mode)',
    description:
      'An `event: ready` first, then one `event: rollout` per saved change, whose `data` is the `Rollout` and whose `id` is `<rolloutId>@<version>`; comment lines keep the stream alive. A client that falls too far behind is disconnected and should reconnect and reload.',
    tags: ['dashboard'],
    security: 'apiToken',
    responses: { 200: { description: 'the stream', contentType: 'text/event-stream', schema: z.string() } },
    problems: { 404: LOCAL_ONLY },
  },
  {
    method: 'get',
    path: '/metrics',
    operationId: 'metrics',
    summary: 'Rollout counters and timings (local mode)',
    description: 'In AWS the same metrics are CloudWatch metrics from embedded metric format log lines.',
    tags: ['dashboard'],
    security: 'apiToken',
    responses: { 200: { description: 'the counters since the process started', schema: metricsSnapshotSchema } },
    problems: { 404: 'not in local mode: in AWS, metrics are CloudWatch metrics' },
  },
  {
    method: 'get',
    path: '/approvals/{token}',
    operationId: 'showApprovalLink',
    summary: 'What a signed approval link would do',
    description: 'The token in the path is the credential: signed, single-use and expiring. Browsers (`Accept: text/html`) get a confirmation page instead of JSON.',
    tags: ['approvals'],
    security: 'none',
    params: { token: 'the signed link token from the notification' },
    responses: { 200: { description: 'the rollout, the action and the deadline', schema: approvalLinkSchema } },
    problems: LINK_PROBLEMS,
  },
  {
    method: 'post',
    path: '/approvals/{token}',
    operationId: 'useApprovalLink',
    summary: 'Approve or abort through a signed approval link',
    description: 'Redeems the link once. Browsers (`Accept: text/html`) get a result page instead of JSON.',
    tags: ['approvals'],
    security: 'none',
    params: { token: 'the signed link token from the notification' },
    responses: { 200: { description: 'what was done', schema: approvalLinkUsedSchema } },
    problems: LINK_PROBLEMS,
  },
];

documentRoutes(OPERATOR_ROUTE_DOCS);
