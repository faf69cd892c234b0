/** Answers of the HTTP edge that carry Retry-After: a caller to slow down (429), a dependency down (503). */
import { RolloutError } from '../errors';

export class TooManyRequestsError extends RolloutError {
  override readonly status = 429;
  override readonly title = 'Too many requests';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
    this.name = 'TooManyRequestsError';
  }
}

/** Something the answer depends on (the identity provider) cannot be reached: not the caller's fault. */
export class ServiceUnavailableError extends RolloutError {
  override readonly status = 503;
  override readonly title = 'Service unavailable';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
    this.name = 'ServiceUnavailableError';
  }
}

export const retryAfterOf = (err: Error): number | null =>
  err instanceof TooManyRequestsError || err instanceof ServiceUnavailableError ? err.retryAfterSeconds : null;
