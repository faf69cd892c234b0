/**
 * Request bodies: the app-wide size limit, and how a route reads a body (docs/api.md: over 1 MiB is 413).
 *
 * On Node's HTTP server (local mode, `@hono/node-server`) a request stays a lightweight object until its
 * body or abort signal is touched; touching either builds the full web `Request` (an undici Request, two
 * AbortControllers, a web stream over the socket), about a tenth of a webhook answer's CPU
 * (BENCHMARKS.md, "Webhook ingest"). So there the limit reads the body off the socket itself, once,
 * and keeps it where the server builds a `Request` from if anything asks for one later (`rawBody`,
 * the server's own hook for a body read before it); routes read it with `requestText` or `requestBytes`.
 * Everywhere else (Lambda, `app.request()` in tests) the body is the `Request`'s, checked by Hono's
 * `bodyLimit` and read through Hono, as before.
 */
import { Readable } from 'node:stream';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { PayloadTooLargeError, ValidationError } from '../errors';

/** A Node request whose body the limit has read (`rawBody` is what `@hono/node-server` builds a `Request` from). */
type ReadIncoming = Readable & { rawBody?: Buffer };

/** The Node server's request behind `c`, when there is one (`c.env.incoming`). */
function nodeIncoming(c: Context): ReadIncoming | null {
  const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming;
  return incoming instanceof Readable ? incoming : null;
}

/** The body as `Request.text()` decodes it: UTF-8, a leading byte order mark dropped, bad bytes replaced. */
const utf8 = new TextDecoder();

/**
 * The app-wide limit: a body over `maxSize` bytes is 413 (PayloadTooLargeError), before any route sees
 * the request. GET and HEAD bodies are neither read nor checked: no such route reads one. On Node's
 * server a declared `Content-Length` over the limit is refused without reading; otherwise the body is
 * read, and refused as soon as it passes the limit (the rest is discarded, so the connection stays usable).
 */
export function limitRequestBody(maxSize: number): MiddlewareHandler {
  const tooLarge = (): never => {
    throw new PayloadTooLargeError(`request body is larger than ${maxSize} bytes`);
  };
  const checkRequest = bodyLimit({ maxSize, onError: tooLarge });
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const incoming = nodeIncoming(c);
    if (!incoming) return checkRequest(c, next);
    if (incoming.rawBody === undefined) {
      const declared = c.req.header('content-length');
      if (declared !== undefined && c.req.header('transfer-encoding') === undefined && Number(declared) > maxSize) tooLarge();
      const body = await readUpTo(incoming, maxSize);
      if (body === null) tooLarge();
      incoming.rawBody = body!;
    }
    return next();
  };
}

/** Reads the whole stream; null as soon as it passes `maxSize` bytes (what follows is discarded). */
function readUpTo(incoming: Readable, maxSize: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('aborted', onAborted);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxSize) return void chunks.push(chunk);
      done();
      // Flowing with no listener: the rest is read and dropped, as the server does for a body nobody read.
      incoming.on('error', () => undefined);
      incoming.resume();
      resolve(null);
    };
    const onEnd = () => {
      done();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      done();
      reject(new ValidationError(`request body was not received in full: ${error.message}`));
    };
    const onAborted = () => onError(new Error('the client closed the connection'));
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
    incoming.on('aborted', onAborted);
  });
}

/** The request's body as text (UTF-8, as `Request.text()` decodes it). */
export function requestText(c: Context): Promise<string> {
  const body = nodeIncoming(c)?.rawBody;
  return body === undefined ? c.req.text() : Promise.resolve(utf8.decode(body));
}

/** The request's body as the bytes that were sent (what a signature covers). */
export async function requestBytes(c: Context): Promise<Uint8Array> {
  const body = nodeIncoming(c)?.rawBody;
  return body ?? new Uint8Array(await c.req.arrayBuffer());
}
