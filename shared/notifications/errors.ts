import { RolloutError } from '../errors';

/**
 * An approval link that cannot act: altered or not ours (403), already used (409), expired (410), or not
 * configured here (404). A RolloutError, so `app.onError` renders it as problem+json like any other.
 */
export class ApprovalLinkError extends RolloutError {
  override readonly title: string;
  constructor(
    message: string,
    override readonly status: 403 | 404 | 409 | 410,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ApprovalLinkError';
    this.title = { 403: 'Forbidden', 404: 'Not found', 409: 'Conflict', 410: 'Gone' }[status];
  }
}
