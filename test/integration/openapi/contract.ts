/**
 * Checks real answers against the OpenAPI registry: the status is one the route documents, the content
 * type is the documented one, and the body passes the very zod schema the document was generated from.
 */
import { findRouteDoc, problemStatuses, routeKey } from '../../../shared/http/openapi';
import { problemSchema } from '../../../shared/http/response-schemas';
import { type ApiClient, apiClient } from '../../helpers/http';
import { formatIssues } from '../../../shared/http/validation';

export interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly contentType: string | null;
}

/** What is wrong with this answer, per the document; empty when it conforms. */
export function contractViolations(method: string, url: string, res: Answer): string[] {
  const path = new URL(url, 'http://x').pathname;
  const doc = findRouteDoc(method, path);
  if (!doc) return [`${method} ${path} is not documented`];
  const where = `${routeKey(doc.method, doc.path)} → ${res.status}`;
  const success = doc.responses[res.status];
  const problems = problemStatuses(doc);
  let schema;
  let contentType: string;
  if (success) {
    schema = success.schema;
    contentType = success.contentType ?? 'application/json';
  } else if (res.status >= 500 || problems.has(res.status as never)) {
    schema = problemSchema;
    contentType = 'application/problem+json';
  } else {
    return [`${where}: status not documented (documented: ${[...Object.keys(doc.responses), ...problems.keys()].join(', ')})`];
  }
  const out: string[] = [];
  if (!res.contentType?.startsWith(contentType)) out.push(`${where}: content type ${res.contentType}, documented ${contentType}`);
  const parsed = schema?.safeParse(res.body);
  if (parsed && !parsed.success) out.push(`${where}: body does not match its schema: ${formatIssues(parsed.error).join('; ')}`);
  if (contentType === 'application/problem+json' && (res.body as { status?: unknown })?.status !== res.status) out.push(`${where}: problem status differs from the HTTP status`);
  return out;
}

function assertConforms(method: string, path: string, res: Answer, seen: Set<string>): void {
  const violations = contractViolations(method, path, res);
  if (violations.length > 0) throw new Error(`contract violation:\n${violations.join('\n')}\nbody: ${JSON.stringify(res.body).slice(0, 2000)}`);
  const doc = findRouteDoc(method, new URL(path, 'http://x').pathname)!;
  seen.add(`${routeKey(doc.method, doc.path)} ${res.status}`);
}

/** Calls an app in process (no socket), checks the answer like `checkedClient`. Streams are read for their first chunk only. */
export async function checkedRequest(
  app: { request(path: string, init: RequestInit): Response | Promise<Response> },
  seen: Set<string>,
  method: string,
  path: string,
  init: { token?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers = { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers };
  const res = await app.request(path, { method, headers, ...(init.body !== undefined ? { body: init.body } : {}) });
  const contentType = res.headers.get('content-type');
  let body: unknown;
  if (contentType?.startsWith('text/event-stream')) {
    const reader = res.body!.getReader();
    body = new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
  } else {
    const text = await res.text();
    body = contentType?.includes('json') ? JSON.parse(text) : text;
  }
  const answer = { status: res.status, contentType, body };
  assertConforms(method, path, answer, seen);
  return answer;
}

/** An ApiClient that fails the test on the first answer that breaks the contract, and records each (route, status) seen. */
export function checkedClient(baseUrl: string, token: string, seen: Set<string>): ApiClient {
  const call = apiClient(baseUrl, token);
  return async (method, path, body, headers) => {
    const res = await call(method, path, body, headers);
    assertConforms(method, path, res, seen);
    return res;
  };
}
