/**
 * Request bodies: the app-wide size limit, and how a route reads a body (docs/api.md: over 1 MiB is 413).
 *
 * On Node's HTTP server (local mode, `@hono/node-server`) a request stays a lightweight object until its
 * body or abort signal is touched; touching either builds the full web `Request` (an undici Request, two
 * AbortControllers, a web stream over the socket), about a tenth of a webhook answer's CPU
 * (BENCHMARKS.md, "Webhook ingest"). So a body whose length the request declares within the limit is
 * read off the socket itself, by the first `requestText` or `requestBytes`, once, and kept where the
 * server builds a `Request` from if anything asks for one later (`rawBody`, the server's own hook for a
 * body read before it). Nothing is read before a route asks: an unauthenticated request is answered
 * 401 at once, its body left for the server to discard. Everywhere else (a chunked body on the Node
 * server, Lambda, `app.request()` in tests) the body is the `Request`'s, checked by Hono's `bodyLimit`
 * and read through Hono.
 */
import { Readable } from 'node:stream';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { PayloadTooLargeError, ValidationError } from '../errors';

/** Set by the limit on a Node request whose declared body is within it: routes may read the socket. */
const DECLARED_WITHIN_LIMIT = Symbol('declared body within the limit');
/** The read under way or done, shared by every reader of the request. */
const READING = Symbol('body being read');

/** A Node request as this module marks it (`rawBody` is what `@hono/node-server` builds a `Request` from). */
type NodeRequest = Readable & { rawBody?: Buffer; [DECLARED_WITHIN_LIMIT]?: true; [READING]?: Promise<Buffer> };

/** The Node server's request behind `c` (`c.env.incoming`), when there is one. */
function nodeIncoming(c: Context): NodeRequest | null {
  const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming;
  return incoming instanceof Readable ? incoming : null;
}

/** The body as `Request.text()` decodes it: UTF-8, a leading byte order mark dropped, bad bytes replaced. */
const utf8 = new TextDecoder();

/**
 * The app-wide limit: a body over `maxSize` bytes is 413 (PayloadTooLargeError). GET and HEAD bodies are
 * neither read nor checked: no such route reads one. On Node's server a declared `Content-Length` is
 * checked here, without reading (over the limit: 413 at once); a chunked body goes through Hono's
 * `bodyLimit`, which refuses it as soon as a reader passes the limit.
 */
export function limitRequestBody(maxSize: number): MiddlewareHandler {
  const tooLarge = (): never => {
    throw new PayloadTooLargeError(`request body is larger than ${maxSize} bytes`);
  };
  const checkRequest = bodyLimit({ maxSize, onError: tooLarge });
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const incoming = nodeIncoming(c);
    const declared = c.req.header('content-length');
    if (!incoming || declared === undefined || c.req.header('transfer-encoding') !== undefined) return checkRequest(c, next);
    // Node's parser has checked the header and frames the body by it: no more bytes than it says will come.
    if (Number(declared) > maxSize) tooLarge();
    incoming[DECLARED_WITHIN_LIMIT] = true;
    return next();
  };
}

/** The body of a Node request whose length the limit checked, read once off the socket; null otherwise. */
function declaredBody(c: Context): Promise<Buffer> | null {
  const incoming = nodeIncoming(c);
  if (!incoming?.[DECLARED_WITHIN_LIMIT]) return null;
  return (incoming[READING] ??= readAll(incoming).then((body) => (incoming.rawBody = body)));
}

function readAll(incoming: Readable): Promise<Buffer> {
  if (incoming.destroyed || incoming.readableEnded) return Promise.reject(new ValidationError('request body was not received in full: the request is over'));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (outcome: () => void) => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('close', onClose);
      outcome();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      chunks.push(chunk);
    };
    const onEnd = () => settle(() => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    const onError = (error: Error) => settle(() => reject(new ValidationError(`request body was not received in full: ${error.message}`)));
    // Closed before its end: the client went away in the middle of the body.
    const onClose = () => onError(new Error('the client closed the connection'));
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
    incoming.on('close', onClose);
  });
}

/** The request's body as text (UTF-8, as `Request.text()` decodes it). */
export function requestText(c: Context): Promise<string> {
  return declaredBody(c)?.then((body) => utf8.decode(body)) ?? c.req.text();
}

/** The request's body as the bytes that were sent (what a signature covers). */
export async function requestBytes(c: Context): Promise<Uint8Array> {
  return (await declaredBody(c)) ?? new Uint8Array(await c.req.arrayBuffer());
}
