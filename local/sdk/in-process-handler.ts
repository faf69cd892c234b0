/**
 * The SDK client's transport to a stand-in in this process (docs/architecture.md, "The local stand-ins"):
 * the HTTP request the client built and signed (method, path, headers, body) is handed to the stand-in's
 * own request → answer function, as its loopback server hands it after reading it off a socket, and the
 * answer comes back as that server would have written it. Everything the SDK does for a call (its
 * middleware, serialization, signing, retries, reading the answer and its errors) is unchanged; what is
 * left out is TCP and HTTP/1.1 framing, which cost each call a socket write and an HTTP parse on both
 * sides. The servers still listen on loopback for clients of other processes (the AWS CLI).
 */
// Node's own, as this module imported it, not the global a test's fake timers replace: one turn lost to a
// fake clock would leave every later call of the process waiting (the queue below is the process's).
import { setImmediate } from 'node:timers';
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

/**
 * The calls of this process waiting to be handed to their stand-in, oldest first, for every stand-in
 * that answers in this thread (dynalite's answers come from its own thread as messages, each an event of
 * its own). Each is handed over on a turn of the event loop of its own, as each request read off a
 * socket is an I/O event of its own: what arrived meanwhile (the API's requests, dynalite's answers) is
 * handled between any two. Handed over all in one turn, the calls of hundreds of rollouts held the loop
 * for tens of milliseconds at a time, and the API's reads waited behind them (BENCHMARKS.md, "Scale").
 */
const waitingForTurn: (() => void)[] = [];
let turnScheduled = false;

/** Resolves on a later turn of the event loop, after the calls that came before it had theirs. */
function laterTurn(): Promise<void> {
  return new Promise<void>((resolve) => {
    waitingForTurn.push(resolve);
    if (!turnScheduled) {
      turnScheduled = true;
      setImmediate(takeTurn);
    }
  });
}

/** One waiting call goes on; the next is scheduled for the turn after, once the loop has looked at I/O. */
function takeTurn(): void {
  waitingForTurn.shift()?.();
  if (waitingForTurn.length > 0) setImmediate(takeTurn);
  else turnScheduled = false;
}

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
    const answer = this.answer(request, signal);
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

  private async answer(request: HttpRequest, signal?: AbortSignalLike): Promise<WireAnswer> {
    // As over a socket, the answer comes on a later turn of the event loop, one call handed over per
    // turn: a caller that loops over calls, and many callers at once, still let timers and other I/O run
    // between them.
    if (!this.answersLater) {
      await laterTurn();
      // Aborted while it waited its turn: never handed over, as a request aborted before it was written.
      if (signal?.aborted) throw abortError();
    }
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
