/**
 * Routes loaded by their first request (docs/architecture.md, "Lambda bundles"): the app answers
 * `<base>/*` by handing the request, as it came (same path, same body stream), to routes built on first
 * use, so that a function whose first requests are queries does not load them at start. The routes
 * render errors and unknown paths as the app does; the app's middleware (rate limit, body limit,
 * access) has run before.
 */
import { type ErrorHandler, type Handler, Hono, type NotFoundHandler } from 'hono';
import { loadOnce } from '../load-once';

export interface LazyRoutesOptions {
  readonly onError: ErrorHandler;
  readonly notFound: NotFoundHandler;
}

export function lazyRoutes(base: string, load: () => Promise<Hono>, options: LazyRoutesOptions): Handler {
  // A failed load is not kept: the next request tries again.
  const routes = loadOnce(async () => new Hono().onError(options.onError).notFound(options.notFound).route(base, await load()));
  return async (c) => (await routes()).fetch(c.req.raw, c.env);
}
