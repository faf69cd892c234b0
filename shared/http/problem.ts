import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { RolloutError, UnauthorizedError, ValidationError } from '../errors';
import type { Logger } from '../observability/logger';
import { retryAfterOf } from './http-errors';
import { UNAVAILABLE_RETRY_AFTER_SECONDS, unavailableDependency } from './unavailable-dependency';

/** RFC 9457 problem details. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance?: string;
  readonly errors?: readonly string[];
}

export function problemResponse(c: Context, problem: Problem, headers: Record<string, string> = {}): Response {
  return c.body(JSON.stringify(problem), problem.status as 400, { 'content-type': 'application/problem+json', ...headers });
}

/**
 * The one place errors become responses: domain errors keep their status, a dependency that is
 * unavailable for now is a 503 with Retry-After, anything unexpected is a 500 without internals.
 */
export function renderError(logger: Logger) {
  return (err: Error, c: Context): Response => {
    const instance = c.req.path;
    const retryAfter = retryAfterOf(err);
    if (retryAfter !== null) {
      // Slow down (429) or a dependency down (503): said with Retry-After, logged without the stack.
      if (err instanceof RolloutError && err.status >= 500) logger.warn('request refused: a dependency is unavailable', { path: instance.slice(0, 200), method: c.req.method, detail: err.message });
      const known = err as RolloutError;
      return problemResponse(c, { type: 'about:blank', title: known.title, status: known.status, detail: known.message, instance }, { 'retry-after': String(retryAfter) });
    }
    if (err instanceof RolloutError && err.status < 500) {
      return problemResponse(
        c,
        {
          type: 'about:blank',
          title: err.title,
          status: err.status,
          detail: err.message,
          instance,
          ...(err instanceof ValidationError && err.issues.length > 0 ? { errors: err.issues } : {}),
        },
        err instanceof UnauthorizedError ? { 'www-authenticate': 'Bearer' } : {},
      );
    }
    if (err instanceof HTTPException && err.status < 500) {
      return problemResponse(c, { type: 'about:blank', title: 'Bad request', status: err.status, detail: err.message, instance });
    }
    // A dependency throttling, failing on its side or out of reach (DynamoDB under load, say): a 503 the
    // caller may retry, not a 500. The request's decision may have been saved before: the answer says so.
    const unavailable = err instanceof RolloutError ? null : unavailableDependency(err);
    if (unavailable !== null) {
      logger.warn('request failed: a dependency is unavailable', { path: instance.slice(0, 200), method: c.req.method, reason: unavailable, error: err });
      return problemResponse(
        c,
        {
          type: 'about:blank',
          title: 'Service unavailable',
          status: 503,
          detail: `a service this request needs is unavailable for now (${unavailable}); try again later. A command may have been recorded before the failure: GET the rollout to see its state`,
          instance,
        },
        { 'retry-after': String(UNAVAILABLE_RETRY_AFTER_SECONDS) },
      );
    }
    const status = err instanceof RolloutError ? err.status : 500;
    logger.error('request failed', { path: instance.slice(0, 200), method: c.req.method, error: err });
    return problemResponse(c, {
      type: 'about:blank',
      title: err instanceof RolloutError ? err.title : 'Internal error',
      status,
      detail: err instanceof RolloutError ? err.message : 'an unexpected error occurred; it has been logged',
      instance,
    });
  };
}
