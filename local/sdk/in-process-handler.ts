/**
 * The SDK client's transport to a stand-in in this process (docs/architecture.md, "The local stand-ins"):
 * the HTTP request the client built and signed (method, path, headers, body) is handed to the stand-in's
 * own request → answer function, as its loopback server hands it after reading it off a socket, and the
 * answer comes back as that server would have written it. Everything the SDK does for a call (its
 * middleware, serialization, signing, retries, reading the answer and its errors) is unchanged; what is
 * left out is TCP and HTTP/1.1 framing, which cost each call a socket write and an HTTP parse on both
 * sides. The servers still listen on loopback for clients of other processes (the AWS CLI).
 */
import { buildQueryString } from '@smithy/core/protocols';
import { HttpResponse, type HttpRequest } from '@smithy/core/transport';
import type { WireAnswer, WireAnswerer, WireRequest } from './loopback-server';

/** The part of an `AbortSignal` the SDK hands a request handler. */
interface AbortSignalLike {
  readonly aborted: boolean;
  addEventListener?(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener?(type: 'abort', listener: () => void): void;
}

const abortError = (): Error => Object.assign(new Error('Request aborted'), { name: 'AbortError' });

/** What a client of a stand-in that stopped gets, as from a closed port. */
export const refused = (what: string): Error => Object.assign(new Error(`connect ECONNREFUSED: ${what} is stopped`), { code: 'ECONNREFUSED' });

export class InProcessHandler {
  readonly metadata = { handlerProtocol: 'http/1.1' };

  constructor(
    private readonly exchange: WireAnswerer,
    /** Whether the answer comes on a later turn of the event loop on its own (a message from another thread). */
    private readonly answersLater = false,
  ) {}

  async handle(request: HttpRequest, options: { abortSignal?: AbortSignalLike } = {}): Promise<{ response: HttpResponse }> {
    const signal = options.abortSignal;
    if (signal?.aborted) throw abortError();
    const answer = this.answer(request);
    if (!signal?.addEventListener) return { response: httpResponseOf(await answer) };
    // An abort while the stand-in works ends the call, as a destroyed socket would; the answer is dropped.
    let onAbort = (): void => undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(abortError());
      signal.addEventListener?.('abort', onAbort, { once: true });
    });
    try {
      return { response: httpResponseOf(await Promise.race([answer, aborted])) };
    } finally {
      signal.removeEventListener?.('abort', onAbort);
    }
  }

  private async answer(request: HttpRequest): Promise<WireAnswer> {
    // As over a socket, the answer comes on a later turn of the event loop: a caller that loops over
    // calls still lets timers and other I/O run between them.
    if (!this.answersLater) await new Promise<void>((resolve) => setImmediate(resolve));
    return this.exchange(wireRequestOf(request));
  }

  updateHttpClientConfig(): void {}

  httpHandlerConfigs(): Record<string, never> {
    return {};
  }

  destroy(): void {}
}

/** The request as a loopback server reads it: header names in lower case, the query after the path, the body as text. */
export function wireRequestOf(request: HttpRequest): WireRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
  // The query as the SDK's own HTTP handler writes it on the request line.
  const query = buildQueryString(request.query ?? {});
  return { method: request.method, path: query ? `${request.path}?${query}` : request.path, headers, body: bodyText(request.body) };
}

/** The answer as the SDK reads it off a socket: header names in lower case, values as text, a `date`. */
export function httpResponseOf(answer: WireAnswer): HttpResponse {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(answer.headers ?? {})) {
    // Repeated values joined as the SDK's own HTTP handler joins them.
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : String(value);
  }
  // Node's HTTP server dates every answer; the SDK reads it to correct its clock's offset.
  headers['date'] ??= new Date().toUTCString();
  return new HttpResponse({ statusCode: answer.status, headers, body: Buffer.from(answer.body ?? '', 'utf8') });
}

function bodyText(body: unknown): string {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  throw new TypeError('a request body for a stand-in in this process must be text or bytes, not a stream');
}
