/**
 * The OpenAPI document against the app itself: every route the app serves is documented and every
 * documented route is served (webhook routes added later included), and the document is coherent.
 */
import { describe, expect, it } from 'vitest';
import { Orchestrator } from '../../../shared/orchestration/orchestrator';
import { createApp } from '../../../shared/http/app';
import { webhookRoutes } from '../../../shared/http/webhook-routes';
import { silentLogger } from '../../../shared/observability/logger';
import { PROBLEM_STATUSES, openApiPath, problemStatuses, routeCoverage, routeDocs } from '../../../shared/http/openapi';
import { appConfig, serviceConfig } from '../../helpers/local-config';
import { ScriptedVerifier } from '../../helpers/scripted-verifier';
import { FakeAlarms, FakeEcs, MemStore, RecordingWorkflow } from '../orchestration/fakes';

function deps() {
  const orchestrator = new Orchestrator({ config: appConfig([serviceConfig('web')]), store: new MemStore(), ecs: new FakeEcs(), verifier: new ScriptedVerifier(), workflow: new RecordingWorkflow(), alarms: new FakeAlarms() });
  return { orchestrator, webhookToken: 'hook', apiToken: 'api' };
}

function app() {
  return createApp(deps());
}

/** Every route the app serves: its own, and the webhook routes it builds at the first request under /webhooks/ (shared/http/lazy-routes.ts). */
function servedRoutes() {
  const own = app().routes;
  expect(own.some((r) => r.method === 'ALL' && r.path === '/webhooks/*'), 'the app hands /webhooks/* to its webhook routes').toBe(true);
  const webhooks = webhookRoutes(deps(), silentLogger).routes.map((r) => ({ method: r.method, path: `/webhooks${r.path}` }));
  return [...own, ...webhooks];
}

async function documentOf() {
  const res = await app().request('/openapi.json');
  expect(res.status).toBe(200);
  return (await res.json()) as any;
}

const HOW_TO =
  'document it: documentWebhook(...) in shared/http/openapi/webhook-docs.ts for a /webhooks/<sender> route, else documentRoute({...}) (shared/http/openapi/route-docs.ts) from the route module or a *-docs.ts file in shared/http/openapi/';

describe('the OpenAPI document', () => {
  it('documents every route the app serves, and no route it does not serve', () => {
    const { undocumented, unserved } = routeCoverage(servedRoutes());
    expect(undocumented, `undocumented routes: ${HOW_TO}`).toEqual([]);
    expect(unserved, 'documented routes the app does not serve: remove their docs or mount them').toEqual([]);
  });

  it('lists each served (method, path) under paths, with {param} for Hono params', async () => {
    const doc = await documentOf();
    for (const route of servedRoutes().filter((r) => r.method !== 'ALL')) {
      expect(doc.paths[openApiPath(route.path)]?.[route.method.toLowerCase()], `${route.method} ${route.path}`).toBeDefined();
    }
  });

  it('is OpenAPI 3.1 with unique operation ids and only $refs that resolve', async () => {
    const doc = await documentOf();
    expect(doc.openapi).toBe('3.1.0');
    const ops = Object.values(doc.paths).flatMap((item: any) => Object.values(item)) as any[];
    const ids = ops.map((o) => o.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of new Set(refs)) {
      const target = ref.slice(2).split('/').reduce((node: any, key) => node?.[key], doc);
      expect(target, `${ref} resolves`).toBeDefined();
    }
  });

  it('names a path parameter for every {param}, and a security scheme for every requirement', async () => {
    const doc = await documentOf();
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const op of Object.values<any>(item)) {
        expect((op.parameters ?? []).filter((p: any) => p.in === 'path').map((p: any) => p.name)).toEqual(names);
        for (const requirement of op.security) for (const name of Object.keys(requirement)) expect(doc.components.securitySchemes[name], name).toBeDefined();
      }
    }
    expect(doc.components.securitySchemes.apiToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes.webhookToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.paths['/webhooks/github'].post.security).toEqual([{ hmac_x_hub_signature_256: [] }]);
    expect(doc.components.securitySchemes.hmac_x_hub_signature_256).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-Hub-Signature-256' });
    expect(doc.paths['/webhooks/dockerhub'].post.security).toEqual([{ webhookToken: [] }, { query_token: [] }]);
  });

  it('answers problem+json for every 4xx, 401 on every authenticated route, and 400/413/415 wherever a body is taken', async () => {
    const doc = await documentOf();
    for (const route of routeDocs()) {
      const op = doc.paths[route.path][route.method];
      const statuses = Object.keys(op.responses).filter((s) => s.startsWith('4'));
      expect(statuses.map(Number)).toEqual([...problemStatuses(route).keys()]);
      for (const s of statuses) expect(Object.keys(op.responses[s].content)).toEqual(['application/problem+json']);
      expect(statuses.includes('401'), `${route.method} ${route.path}`).toBe(route.security !== 'none');
      if (route.body) expect(statuses).toEqual(expect.arrayContaining(['400', '413', '415']));
      expect(op.responses.default.$ref).toBe('#/components/responses/UnexpectedError');
      for (const s of statuses) expect(PROBLEM_STATUSES).toContain(Number(s));
    }
  });

  it('needs no token only for the documentation, the health check, the dashboard shell and the signed approval links', async () => {
    const doc = await documentOf();
    const open = Object.entries<any>(doc.paths).flatMap(([path, item]) => Object.entries<any>(item).filter(([, op]) => op.security.length === 0).map(([m]) => `${m} ${path}`));
    expect(open.sort()).toEqual(['get /', 'get /approvals/{token}', 'get /dashboard/app.css', 'get /dashboard/app.js', 'get /docs', 'get /healthz', 'get /openapi.json', 'post /approvals/{token}']);
  });

  it('documents the request bodies and the list query from the zod request schemas', async () => {
    const doc = await documentOf();
    const approve = doc.paths['/rollouts/{id}/approve'].post;
    expect(approve.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/DecisionRequest' });
    expect(doc.components.schemas.DecisionRequest).toMatchObject({ type: 'object', properties: { by: { type: 'string' } }, additionalProperties: false });
    const query = doc.paths['/rollouts'].get.parameters.map((p: any) => [p.name, p.in, p.schema.type]);
    expect(query).toEqual([['service', 'query', 'string'], ['status', 'query', 'string'], ['limit', 'query', 'integer'], ['cursor', 'query', 'string']]);
    expect(Object.keys(doc.paths['/webhooks/registry'].post.requestBody.content)).toContain('application/vnd.docker.distribution.events.v1+json');
    expect(doc.paths['/rollouts/{id}/retry'].post.requestBody.required).toBe(false);
  });
});

describe('the docs page', () => {
  it('renders every operation and schema as self-contained HTML under a CSP that forbids fetching anything', async () => {
    const res = await app().request('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    const html = await res.text();
    const doc = await documentOf();
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const op of Object.values<any>(item)) expect(html, path).toContain(`id="op-${op.operationId}"`);
    }
    for (const id of Object.keys(doc.components.schemas)) expect(html).toContain(`id="schema-${id}"`);
    expect(html).not.toMatch(/<script|<link|<img|src=|https?:\/\/(?!json-schema\.org)/i);
  });

  it('escapes what it shows', async () => {
    const html = await (await app().request('/docs')).text();
    expect(html).toContain('&#60;64 hex&#62;');
    expect(html).not.toContain('<64 hex>');
  });
});
