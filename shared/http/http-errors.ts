/** Answers of the HTTP edge that carry Retry-After: a caller to slow down (429), a dependency down (503). */
import { RolloutError, SecretUnavailableError } from '../errors';

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

/** A secret that cannot be read is usually one not given its value yet, or a grant being fixed: look again soon. */
export const SECRET_RETRY_AFTER_SECONDS = 30;

export const retryAfterOf = (err: Error): number | null => {
  if (err instanceof TooManyRequestsError || err instanceof ServiceUnavailableError) return err.retryAfterSeconds;
  return err instanceof SecretUnavailableError ? SECRET_RETRY_AFTER_SECONDS : null;
};
