/**
 * Builds the OpenAPI 3.1 document from the route registry and the zod schemas: nothing in it is
 * written by hand twice, so it cannot disagree with the validation the routes do.
 */
import { z } from 'zod';
import { componentSchemas, schemaRef } from './components';
import { PROBLEM_STATUSES, type ProblemStatus, type RouteDoc, type SecurityScheme, registryVersion, routeDocs } from './route-docs';
import './api-docs';
import './local-docs';
import './webhook-docs';
import './meta-docs';
import './operator-docs';
import './slack-docs';

type Json = Record<string, unknown>;

/** The API's own version, independent of the package's. */
export const API_VERSION = '1.0.0';

const GENERIC_PROBLEMS: Record<ProblemStatus, string> = {
  400: 'malformed JSON or invalid fields; `errors` names each field at fault',
  401: 'missing or invalid credentials',
  403: 'the credentials do not allow this',
  404: 'not found',
  409: 'the request conflicts with the current state',
  410: 'gone: it existed, and has expired',
  413: 'the body is over the size limit (1 MiB by default)',
  415: 'the content type is not one this route accepts',
  422: 'the request is well-formed but cannot be processed',
  429: 'too many requests',
};

const TAGS = [
  { name: 'rollouts', description: 'Rollouts and the operator commands that steer them.' },
  { name: 'services', description: 'The configured ECS services.' },
  { name: 'webhooks', description: 'Registry push notifications that start rollouts; one route per sender.' },
  { name: 'local', description: 'Local mode only: emulated CloudWatch alarms.' },
  { name: 'dashboard', description: 'The dashboard, its live updates and local metrics.' },
  { name: 'approvals', description: 'Signed, single-use, expiring approval links sent with notifications.' },
  { name: 'meta', description: 'Health and this documentation.' },
];

const problemContent = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };

const slug = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, '_');

function schemesOf(doc: RouteDoc): readonly SecurityScheme[] {
  if (doc.security === 'none') return [];
  return Array.isArray(doc.security) ? doc.security : [doc.security as SecurityScheme];
}

function securityName(scheme: SecurityScheme): string {
  if (typeof scheme === 'string') return scheme;
  return 'hmac' in scheme ? `hmac_${slug(scheme.hmac.header)}` : `query_${slug(scheme.queryToken.name)}`;
}

function securityScheme(scheme: SecurityScheme): Json {
  if (scheme === 'apiToken') {
    return {
      type: 'http',
      scheme: 'bearer',
      description: 'The API token (`ROLLOUT_API_TOKEN`, an admin integration that may state `by`), a named token from `access.tokens`, or an OIDC JWT from the configured issuer. Viewers may read; commands need the operator role.',
    };
  }
  if (scheme === 'webhookToken') {
    return { type: 'http', scheme: 'bearer', description: "The webhook token (`ROLLOUT_WEBHOOK_TOKEN`, or the source's own `webhooks.<source>.tokenEnv`); `registry` and `harbor` also take the bare token as the whole header, as GitLab and Harbor send it." };
  }
  if ('hmac' in scheme) {
    return { type: 'apiKey', in: 'header', name: scheme.hmac.header, description: scheme.hmac.description ?? `\`sha256=<hex>\`: the HMAC-SHA256 of the raw request body, in the \`${scheme.hmac.header}\` header.` };
  }
  return { type: 'apiKey', in: 'query', name: scheme.queryToken.name, description: scheme.queryToken.description ?? 'The webhook token in the URL, for senders whose webhook form takes only a URL. URLs end up in logs: give such a sender a token of its own.' };
}

function parameters(doc: RouteDoc): Json[] {
  const path = [...doc.path.matchAll(/\{([^}]+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string' },
    ...(doc.params?.[name!] ? { description: doc.params[name!] } : {}),
  }));
  if (!doc.query) return path;
  const query = z.toJSONSchema(doc.query, { io: 'input', target: 'draft-2020-12' }) as { properties?: Record<string, Json>; required?: string[] };
  const inQuery = Object.entries(query.properties ?? {}).map(([name, schema]) => ({
    name,
    in: 'query',
    required: query.required?.includes(name) ?? false,
    schema,
    ...(doc.params?.[name] ? { description: doc.params[name] } : typeof schema.description === 'string' ? { description: schema.description } : {}),
  }));
  return [...path, ...inQuery];
}

/** The 4xx statuses a route answers: what it declares, plus what its auth and body imply. */
export function problemStatuses(doc: RouteDoc): Map<ProblemStatus, string> {
  const out = new Map<ProblemStatus, string>();
  const implied: ProblemStatus[] = [...(doc.body ? ([400, 413, 415] as const) : []), ...(doc.security === 'none' ? [] : ([401] as const))];
  for (const status of PROBLEM_STATUSES) {
    const declared = doc.problems?.[status];
    if (declared !== undefined) out.set(status, declared);
    else if (implied.includes(status)) out.set(status, GENERIC_PROBLEMS[status]);
  }
  return out;
}

function operation(doc: RouteDoc): Json {
  const responses: Json = {};
  for (const [status, r] of Object.entries(doc.responses)) {
    responses[status] = { description: r.description, content: { [r.contentType ?? 'application/json']: r.schema ? { schema: schemaRef(r.schema, 'output') } : {} } };
  }
  for (const [status, description] of problemStatuses(doc)) responses[status] = { description, content: problemContent };
  responses.default = { $ref: '#/components/responses/UnexpectedError' };
  const params = parameters(doc);
  return {
    operationId: doc.operationId,
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    tags: doc.tags,
    // A list of alternatives: any one requirement satisfies the route.
    security: schemesOf(doc).map((s) => ({ [securityName(s)]: [] })),
    ...(params.length ? { parameters: params } : {}),
    ...(doc.body
      ? {
          requestBody: {
            required: doc.body.required ?? true,
            ...(doc.body.description ? { description: doc.body.description } : {}),
            content: Object.fromEntries((doc.body.contentTypes ?? ['application/json']).map((t) => [t, { schema: schemaRef(doc.body!.schema, 'input') }])),
          },
        }
      : {}),
    responses,
  };
}

export function buildOpenApiDocument(): Json {
  const docs = [...routeDocs()].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
  const paths: Record<string, Json> = {};
  const schemes: Record<string, Json> = {};
  for (const doc of docs) {
    (paths[doc.path] ??= {})[doc.method] = operation(doc);
    for (const scheme of schemesOf(doc)) schemes[securityName(scheme)] = securityScheme(scheme);
  }
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'ECS rollout orchestrator',
      version: API_VERSION,
      description:
        'Webhook-driven, signature-verifying progressive deploys for Amazon ECS. Every error is RFC 9457 `application/problem+json` with a `detail` that says what is wrong; bad input is always a 4xx.',
    },
    tags: TAGS,
    paths,
    components: {
      schemas: componentSchemas(),
      responses: {
        UnexpectedError: { description: 'a dependency unavailable for now (503 with `Retry-After`: the store throttled or out of reach, a secret that cannot be read), ECS, the registry or the workflow engine failed (502), or an unexpected error (500, logged)', content: problemContent },
      },
      securitySchemes: schemes,
    },
  };
}

let cached: { version: number; doc: Json } | null = null;

/** The document, built again only when a route was documented since (route modules may register late). */
export function openApiDocument(): Json {
  const version = registryVersion();
  if (cached?.version !== version) cached = { version, doc: buildOpenApiDocument() };
  return cached.doc;
}
