/**
 * The CLI's view of the HTTP API: one method per route it uses, and two errors, one for an answer
 * that is a problem (it carries the problem+json) and one for no answer at all.
 */
import type { ProblemView, RolloutPageView, RolloutView, ServiceDescription } from '../shared/http/response-schemas';

export type OperatorCommand = 'approve' | 'reject' | 'abort' | 'promote' | 'pause' | 'resume' | 'retry';

/** The API answered with an error status; `problem` is its problem+json when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: ProblemView | null,
  ) {
    super(problem?.detail ?? `the API answered HTTP ${status}`);
    this.name = 'ApiError';
  }
}

/** Nothing answered (refused, DNS, timeout), or the answer was not JSON. */
export class ConnectionError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConnectionError';
  }
}

export interface RolloutApiOptions {
  readonly url: string;
  readonly token: string | undefined;
  /** Default: the global fetch. */
  readonly fetch?: typeof fetch;
  /** Per request, in ms. Default 30 s. */
  readonly timeoutMs?: number;
}

export interface ListQuery {
  readonly service?: string;
  readonly status?: string;
  readonly limit?: number;
  readonly cursor?: string;
}

export class RolloutApi {
  private readonly base: string;
  private readonly doFetch: typeof fetch;

  constructor(private readonly options: RolloutApiOptions) {
    // Kept with its path, so that an API behind a prefix (an API Gateway stage) works.
    this.base = options.url.replace(/\/+$/, '');
    this.doFetch = options.fetch ?? fetch;
  }

  /** Local mode only: the local AWS endpoints, keyed by the AWS CLI's service names. */
  localEndpoints(): Promise<Readonly<Record<string, string>>> {
    return this.request('GET', '/local/endpoints');
  }

  list(query: ListQuery): Promise<RolloutPageView> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const qs = params.toString();
    return this.request('GET', `/rollouts${qs ? `?${qs}` : ''}`);
  }

  get(id: string): Promise<RolloutView> {
    return this.request('GET', `/rollouts/${encodeURIComponent(id)}`);
  }

  command(id: string, command: OperatorCommand, body: Record<string, string>): Promise<RolloutView> {
    return this.request('POST', `/rollouts/${encodeURIComponent(id)}/${command}`, body);
  }

  services(): Promise<{ items: ServiceDescription[] }> {
    return this.request('GET', '/services');
  }

  /**
   * The live updates stream (`GET /events`), or null when the server has none (404 in AWS) or it cannot
   * be opened: it is an optimisation, and polling always works.
   */
  async events(signal: AbortSignal): Promise<ReadableStream<Uint8Array> | null> {
    try {
      const res = await this.doFetch(`${this.base}/events`, { headers: { ...this.auth(), accept: 'text/event-stream' }, signal });
      if (res.ok && res.body && (res.headers.get('content-type') ?? '').startsWith('text/event-stream')) return res.body;
      await res.body?.cancel();
    } catch {
      /* not reachable now: the first GET will say why */
    }
    return null;
  }

  private auth(): Record<string, string> {
    return this.options.token ? { authorization: `Bearer ${this.options.token}` } : {};
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', ...this.auth() };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await this.doFetch(`${this.base}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (e) {
      const cause = e instanceof Error && e.cause instanceof Error ? e.cause.message : e instanceof Error ? e.message : String(e);
      throw new ConnectionError(`cannot reach the API at ${this.base} (${cause})`, { cause: e });
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      if (res.ok) throw new ConnectionError(`${method} ${path} answered something that is not JSON: is ${this.base} the rollout API?`);
      parsed = null;
    }
    if (!res.ok) throw new ApiError(res.status, isProblem(parsed) ? parsed : null);
    return parsed as T;
  }
}

function isProblem(value: unknown): value is ProblemView {
  return typeof value === 'object' && value !== null && typeof (value as { detail?: unknown }).detail === 'string';
}
