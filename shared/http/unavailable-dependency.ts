/**
 * Failures of a dependency that pass with time: an AWS service throttling or failing on its side (the
 * AWS SDK marks these `$retryable` or `$fault: 'server'`, and has already retried them), a timeout, or
 * the network. The API answers them 503 with Retry-After (docs/api.md, "Errors"), never 500: the caller
 * did nothing wrong and may try again; a 500 is kept for what is truly unexpected.
 */

/** AWS error names that mean "too many requests now", whatever the service. */
const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'SlowDown',
  'TransactionInProgressException',
]);

/** Timeouts as the SDK's HTTP handler and AWS services name them. */
const TIMEOUTS = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);

/** Node's socket errors: the connection was refused, reset or timed out, or the host is unreachable for now. */
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** A service's own failures, as HTTP statuses. */
const SERVER_STATUSES = new Set([500, 502, 503, 504]);

/** How long a caller should wait before trying again: AWS throttling and outages usually pass within seconds. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

interface SdkShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly $fault?: unknown;
  readonly $retryable?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
  readonly cause?: unknown;
}

/**
 * Why this error is a passing failure of a dependency (its name or code: `ThrottlingException`,
 * `ECONNRESET`...), or null when it is not one. Follows `cause` a few levels, so a failure wrapped by
 * an adapter is still recognised.
 */
export function unavailableDependency(err: unknown, depth = 0): string | null {
  if (typeof err !== 'object' || err === null || depth > 3) return null;
  const e = err as SdkShape;
  const name = typeof e.name === 'string' ? e.name : '';
  const code = typeof e.code === 'string' ? e.code : '';
  if (THROTTLING.has(name) || TIMEOUTS.has(name)) return name;
  if (NETWORK_CODES.has(code)) return code;
  if (e.$retryable !== undefined && e.$retryable !== null) return name || 'a retryable AWS error';
  if (e.$fault === 'server') return name || 'an AWS service error';
  const status = e.$metadata?.httpStatusCode;
  if (typeof status === 'number' && SERVER_STATUSES.has(status)) return name || `HTTP ${status}`;
  return unavailableDependency(e.cause, depth + 1);
}
