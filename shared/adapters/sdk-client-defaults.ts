/**
 * What every AWS SDK client of the functions and of local mode is built with
 * (docs/architecture.md, "AWS SDK clients").
 *
 * `cacheMiddleware`: a client resolves its middleware stack once per command class instead of on every
 * call: less of the SDK's own work for every call (a conditional PutItem: a tenth to a fifth less
 * CPU here, BENCHMARKS.md). The cost is that middleware added after a client's first call is not seen:
 * ours is added only when a client is built (local/sdk/retry-reset-once.ts), never per command. A call
 * with options of its own (the ECR and AWS Signer calls' timeouts) resolves the stack as before.
 */
export const SDK_CLIENT_DEFAULTS = { cacheMiddleware: true } as const;
