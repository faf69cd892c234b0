import { expect } from 'vitest';

export interface ApiClient {
  (method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; contentType: string | null }>;
}

export function apiClient(baseUrl: string, token: string): ApiClient {
  return async (method, path, body, headers = {}) => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body: parsed, contentType: res.headers.get('content-type') };
  };
}

/** Polls until `check` returns a value (not undefined/false) or the time is up. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 15_000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function expectProblem(res: { status: number; body: any; contentType: string | null }, status: number, detail?: RegExp) {
  expect(res.status).toBe(status);
  expect(res.contentType).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, title: expect.any(String), detail: expect.any(String) });
  if (detail) expect(res.body.detail).toMatch(detail);
}

/**
 * Posts a webhook delivery and waits for its outcome (`GET /deliveries/{id}`, read with `api`): the
 * 202 answer only plans, the outcome says which rollouts started and what was ignored. `body` is the
 * outcome (`accepted`, `ignored`, …), `answer` the 202 answer; any other answer comes back as it is.
 */
export async function deliverAndWait(
  hook: ApiClient,
  api: ApiClient,
  path: string,
  body: unknown,
  headers?: Record<string, string>,
  timeoutMs = 30_000,
): Promise<{ status: number; body: any; answer: any; contentType: string | null }> {
  const answer = await hook('POST', path, body, headers);
  if (answer.status !== 202) return { ...answer, answer: answer.body };
  const id = answer.body.deliveryId as string;
  const outcome = await waitFor(`delivery ${id} to be processed`, async () => {
    const d = await api('GET', `/deliveries/${id}`);
    return d.body?.status === 'PROCESSED' ? d.body : undefined;
  }, timeoutMs);
  return { status: answer.status, body: outcome, answer: answer.body, contentType: answer.contentType };
}
