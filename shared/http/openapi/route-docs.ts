/**
 * The registry of route documentation. Every route the app serves has one `RouteDoc` here; the
 * OpenAPI document is built from them, and a test fails when `app.routes` and this registry differ,
 * so a route cannot ship undocumented. Route modules (or the lists in this folder) call `documentRoute`.
 */
import type { z } from 'zod';
import type { $ZodObject, $ZodType } from 'zod/v4/core';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * One way a route authenticates. `hmac`: an HMAC-SHA256 of the raw body in the named header;
 * `queryToken`: the webhook token as a query parameter, for senders whose webhook form takes only a URL.
 */
export type SecurityScheme =
  | 'apiToken'
  | 'webhookToken'
  | { readonly hmac: { readonly header: string; readonly description?: string } }
  | { readonly queryToken: { readonly name: string; readonly description?: string } };

/** `none`, one scheme, or a list of schemes any one of which will do. */
export type RouteSecurity = 'none' | SecurityScheme | readonly SecurityScheme[];

/** The 4xx statuses routes answer with problem+json (shared/errors.ts, shared/notifications/errors.ts). */
export const PROBLEM_STATUSES = [400, 401, 403, 404, 409, 410, 413, 415, 422, 429] as const;
export type ProblemStatus = (typeof PROBLEM_STATUSES)[number];

export interface ResponseDoc {
  readonly description: string;
  /** The body's schema; absent: no body is documented beyond the content type. */
  readonly schema?: z.ZodType;
  /** Default `application/json`. */
  readonly contentType?: string;
}

export interface RequestBodyDoc {
  readonly schema: $ZodType;
  /** Media types accepted; default `application/json`. */
  readonly contentTypes?: readonly string[];
  /** Default true. */
  readonly required?: boolean;
  readonly description?: string;
}

export interface RouteDoc {
  readonly method: HttpMethod;
  /** OpenAPI style, `{param}` for parameters: `/rollouts/{id}`. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  readonly security: RouteSecurity;
  /** Descriptions of the path and query parameters, by name; every `{param}` is documented as a string either way. */
  readonly params?: Readonly<Record<string, string>>;
  /** A zod object whose fields are the query parameters. */
  readonly query?: $ZodObject;
  readonly body?: RequestBodyDoc;
  /** The success answers, by status. */
  readonly responses: Readonly<Record<number, ResponseDoc>>;
  /**
   * The 4xx answers and when they happen. 401 is added for every authenticated route, and 400, 413
   * and 415 for every route with a body; give them here only to say something more specific.
   */
  readonly problems?: Partial<Readonly<Record<ProblemStatus, string>>>;
}

const registry = new Map<string, RouteDoc>();
let version = 0;

export const routeKey = (method: string, path: string) => `${method.toUpperCase()} ${path}`;

/** Adds (or replaces: registering the same route twice is harmless) a route's documentation. */
export function documentRoute(doc: RouteDoc): void {
  registry.set(routeKey(doc.method, doc.path), doc);
  version++;
}

/** Changes whenever a route is (re)documented, so that a built document knows when it is stale. */
export function registryVersion(): number {
  return version;
}

export function documentRoutes(docs: readonly RouteDoc[]): void {
  for (const doc of docs) documentRoute(doc);
}

/** Every documented route, in registration order. */
export function routeDocs(): readonly RouteDoc[] {
  return [...registry.values()];
}

/** Hono's `/rollouts/:id` (or `:id{[0-9]+}`, or a trailing `*`) as OpenAPI's `/rollouts/{id}`. */
export function openApiPath(honoPath: string): string {
  return honoPath
    .replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?\??/g, '{$1}')
    .replace(/\/\*$/, '/{path}')
    .replace(/(.)\/$/, '$1');
}

/** The documented route a concrete request path falls under, e.g. GET /rollouts/01h… → GET /rollouts/{id}. */
export function findRouteDoc(method: string, path: string): RouteDoc | undefined {
  const m = method.toLowerCase();
  const candidates = routeDocs().filter((d) => d.method === m);
  // Literal routes win over parameterised ones, as in the router (/services vs /services/{name}).
  const exact = candidates.find((d) => d.path === path);
  if (exact) return exact;
  return candidates.find((d) => pathPattern(d.path).test(path));
}

function pathPattern(template: string): RegExp {
  const parts = template.split(/\{[^}]+\}/).map((literal) => literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('[^/]+')}$`);
}

/**
 * Compares the routes an app serves (Hono's `app.routes`) with the registry. Middleware (`ALL`) is
 * not a route; a route listed twice (middleware + handler) counts once.
 */
export function routeCoverage(served: readonly { readonly method: string; readonly path: string }[]) {
  const routes = new Set(served.filter((r) => r.method !== 'ALL').map((r) => routeKey(r.method, openApiPath(r.path))));
  const documented = new Set(routeDocs().map((d) => routeKey(d.method, d.path)));
  return {
    undocumented: [...routes].filter((k) => !documented.has(k)).sort(),
    unserved: [...documented].filter((k) => !routes.has(k)).sort(),
  };
}
