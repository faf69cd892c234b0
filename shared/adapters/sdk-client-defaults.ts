/**
 * How every AWS SDK client of the functions and of local mode is built: `sdkClient` (below), with these
 * defaults, one signer and a configuration with fast properties (docs/architecture.md, "AWS SDK clients").
 *
 * `cacheMiddleware`: a client resolves its middleware stack once per command class instead of on every
 * call: less of the SDK's own work for every call (a conditional PutItem: a tenth to a fifth less
 * CPU here, BENCHMARKS.md). The cost is that middleware added after a client's first call is not seen:
 * ours is added only when a client is built (local/sdk/retry-reset-once.ts), never per command. A call
 * with options of its own (the ECR and AWS Signer calls' timeouts) resolves the stack as before.
 */
export const SDK_CLIENT_DEFAULTS = { cacheMiddleware: true } as const;

/** A built client, as far as this module reads it: the signer provider of its resolved configuration. */
interface SigningClient {
  readonly config: object;
}
type SignerProvider = (...args: unknown[]) => unknown;

/**
 * Makes `client` sign every request with the one SigV4 signer its first call builds, instead of a new one
 * per call. The SDK's provider builds a `SignatureV4` on every call from a copy of the whole client
 * configuration (about 7 KiB of garbage per call). What that signer holds does not change from one call
 * to the next: the region and service the provider fixed on its first call (`signingRegion`,
 * `signingName`), the credentials provider, which it asks at each signing (refreshed credentials are
 * used as before), and the hash and path-escaping settings. The date is the call's own: the SDK hands it
 * to each signing, corrected for clock skew. Credentials set on the client after a call
 * (`client.config.credentials = …`) make the next call build a signer again, as the SDK would; so does a
 * failed build. A client without that provider is left as it is. Returns `client`.
 */
export function withOneSigner<C extends SigningClient>(client: C): C {
  const config = client.config as { signer?: SignerProvider; credentials?: unknown };
  const build = config.signer;
  if (typeof build !== 'function') return client;
  let kept: { signer: Promise<unknown>; credentials: unknown } | undefined;
  config.signer = (...args) => {
    if (kept === undefined || kept.credentials !== config.credentials) {
      const signer = Promise.resolve(build.apply(config, args)).catch((error: unknown) => {
        if (kept?.signer === signer) kept = undefined;
        throw error;
      });
      kept = { signer, credentials: config.credentials };
    }
    return kept.signer;
  };
  return client;
}

/**
 * A client of ours: built with `SDK_CLIENT_DEFAULTS` under `options`, signing with one signer
 * (`withOneSigner`), its configuration kept with fast properties (`withFastConfig`). Every client of the
 * functions and of local mode is built through it.
 */
export function sdkClient<A extends [object?], C extends SigningClient>(Client: new (...args: A) => C, options?: NonNullable<A[0]>): C {
  return withFastConfig(withOneSigner(new Client(...([{ ...SDK_CLIENT_DEFAULTS, ...options }] as unknown as A))));
}

/** Reads a property through `holder`'s prototype, the client's configuration (see `withFastConfig`). */
function readThrough(holder: { region?: unknown }): unknown {
  return holder.region;
}

/**
 * Makes V8 keep `client.config` with fast properties instead of as a dictionary. The SDK builds a
 * client's configuration by adding its properties to one object, `Object.assign` after `Object.assign`
 * (45 to 51 of them for our clients), and V8 turns an object grown that way into a dictionary. The SDK's middleware then copies it on every call
 * (`{ ...config, ...context }` when serializing and when parsing, `{ ...config }` for the endpoint), and
 * a dictionary costs each copy about ten times the time and memory of a fast object's (14 against 1.4 µs
 * here, 9.5 KiB each). A conditional PutItem answered in process took a fifth less CPU with it
 * (BENCHMARKS.md, "Webhook ingest").
 *
 * How: V8 gives an object fast properties again once it serves as a prototype that property lookups go
 * through (the way the widely used to-fast-properties technique works): here a throwaway object whose
 * prototype is the configuration, looked up through enough times for V8 to optimize that lookup. The
 * configuration stays the same object with the same properties, values and order; only V8's layout of
 * it changes, so nothing the SDK or we do with it behaves differently. V8 may turn it back into a
 * dictionary if properties are added to it later, which costs speed, not correctness. Checked for
 * every client type of ours by test/unit/shared/fast-config.test.ts. Returns `client`.
 */
export function withFastConfig<C extends SigningClient>(client: C): C {
  function Holder(): void {}
  Holder.prototype = client.config;
  const holder = new (Holder as unknown as new () => { region?: unknown })();
  // V8 optimizes a prototype on a lookup's inline cache, which exists once the function has run a few
  // times: 64 lookups are a few microseconds, once per client.
  for (let i = 0; i < 64; i++) readThrough(holder);
  Holder.prototype = null;
  return client;
}
