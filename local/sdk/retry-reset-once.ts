/**
 * A local client that makes one attempt per call (dynalite's: retries would hide a bug in a test) still
 * tries a request once more when its connection was reset (ECONNRESET, EPIPE): dynalite, in this
 * process, closes an idle keep-alive socket while the event loop is busy (a long start, a burst of
 * work), and the next request on that socket fails before dynalite read it. Nothing else is retried.
 * (The ECS and Step Functions clients of local mode make two attempts, which covers a reset already.)
 */
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE']);

export function isConnectionReset(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RESET_CODES.has(code);
}

type Handler = (args: unknown) => Promise<unknown>;

/** Any SDK v3 client: they share the middleware stack, typed per client. */
interface AnyClient {
  readonly middlewareStack: { add: (...args: never[]) => unknown };
}

export function retryResetOnce<C extends AnyClient>(client: C): C {
  const middleware = (next: Handler): Handler => async (args) => {
    try {
      return await next(args);
    } catch (error) {
      if (!isConnectionReset(error)) throw error;
      return next(args);
    }
  };
  const add = client.middlewareStack.add as unknown as (m: typeof middleware, options: object) => void;
  add.call(client.middlewareStack, middleware, { step: 'finalizeRequest', name: 'retryResetConnectionOnce', priority: 'high' });
  return client;
}
