/**
 * Serving a local stand-in on loopback, for the real AWS SDK client to reach through its `endpoint`
 * option: one way to listen, read a request whole, answer it and close (the SDK keeps connections
 * alive, so closing ends them first rather than waiting for them to time out).
 */
import { type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type RequestListener, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InProcessHandler, refused } from './in-process-handler';

/** A request, its body read whole. */
export interface WireRequest {
  readonly method: string;
  /** The path and query, as sent. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A stand-in written as request → answer: what its loopback server and its in-process handler both call. */
export type WireAnswerer = (request: WireRequest) => WireAnswer | Promise<WireAnswer>;

/** An answer to write. */
export interface WireAnswer {
  readonly status: number;
  readonly headers?: OutgoingHttpHeaders;
  readonly body?: string;
}

export interface LoopbackServer {
  /** e.g. `http://127.0.0.1:43127`. */
  readonly endpoint: string;
  close(): Promise<void>;
}

export interface LoopbackOptions {
  /** Default 0: an ephemeral port. */
  readonly port?: number;
  /** Default `127.0.0.1`. */
  readonly host?: string;
}

export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A node:http listener that reads each request whole and writes what `answer` returns. A request that
 * cannot be read is dropped (the client sees a reset connection); an `answer` that throws is a 500,
 * which a stand-in's own errors never are (each stand-in answers its service's error shapes itself).
 */
export function wireListener(answer: WireAnswerer): RequestListener {
  return (request: IncomingMessage, response: ServerResponse): void => {
    readBody(request).then(
      async (body) => {
        const out = await answerOrFailure(answer, { method: request.method ?? 'GET', path: request.url ?? '/', headers: request.headers, body });
        response.writeHead(out.status, out.headers).end(out.body);
      },
      () => response.destroy(),
    );
  };
}

/** The stand-in's answer; a 500 when `answer` throws (a stand-in's own errors never do: it answers its service's error shapes). */
export async function answerOrFailure(answer: WireAnswerer, request: WireRequest): Promise<WireAnswer> {
  try {
    return await answer(request);
  } catch (e) {
    return { status: 500, headers: { 'content-type': 'text/plain' }, body: `stand-in failure: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** Listens with `listener` on loopback (an ephemeral port unless one is given). */
export async function serveOnLoopback(listener: RequestListener, options: LoopbackOptions = {}): Promise<LoopbackServer> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | null = null;
  return {
    endpoint: `http://${host}:${port}`,
    // Once: closing again (a test's cleanup after the code under test closed it) waits for the first.
    close: () =>
      (closing ??= new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      })),
  };
}

/** A stand-in written as request → answer, on loopback and for the SDK clients of this process. */
export interface WireServer extends LoopbackServer {
  /** For `new XClient({ endpoint, requestHandler })` in this process: the same answers without a socket (in-process-handler.ts). */
  readonly requestHandler: InProcessHandler;
}

/** `serveOnLoopback` for a stand-in written as request → answer. */
export async function serveWire(answer: WireAnswerer, options: LoopbackOptions = {}): Promise<WireServer> {
  const server = await serveOnLoopback(wireListener(answer), options);
  // Once stopped, it refuses this process's clients too, as its closed port refuses the others.
  let stopped = false;
  const requestHandler = new InProcessHandler((request) => {
    if (stopped) throw refused(server.endpoint);
    return answerOrFailure(answer, request);
  });
  return {
    endpoint: server.endpoint,
    requestHandler,
    close: () => {
      stopped = true;
      return server.close();
    },
  };
}
