/**
 * Domain errors. Each carries the HTTP status the API answers with, so one `app.onError` renders
 * every failure as RFC 9457 problem+json. Adapters translate SDK failures into these.
 */
export class RolloutError extends Error {
  readonly status: number = 500;
  /** Short machine-readable kind, used as the problem `type` suffix and `title`. */
  readonly title: string = 'Internal error';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RolloutError';
  }
}

export class ValidationError extends RolloutError {
  override readonly status = 400;
  override readonly title = 'Invalid request';
  constructor(
    message: string,
    readonly issues: readonly string[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ValidationError';
  }
}

export class UnauthorizedError extends RolloutError {
  override readonly status = 401;
  override readonly title = 'Unauthorized';
  constructor(message = 'missing or invalid credentials', options?: ErrorOptions) {
    super(message, options);
    this.name = 'UnauthorizedError';
  }
}

/** The caller is known but may not do this (a viewer approving). */
export class ForbiddenError extends RolloutError {
  override readonly status = 403;
  override readonly title = 'Forbidden';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ForbiddenError';
  }
}

export class NotFoundError extends RolloutError {
  override readonly status = 404;
  override readonly title = 'Not found';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NotFoundError';
  }
}

export class RolloutNotFoundError extends NotFoundError {
  constructor(readonly rolloutId: string, options?: ErrorOptions) {
    super(`rollout ${rolloutId} does not exist`, options);
    this.name = 'RolloutNotFoundError';
  }
}

/** A command that the rollout's current status does not allow (approve when not paused...). */
export class InvalidTransitionError extends RolloutError {
  override readonly status = 409;
  override readonly title = 'Conflict';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidTransitionError';
  }
}

/** Another writer saved the record first: reload and decide again. */
export class VersionConflictError extends RolloutError {
  override readonly status = 409;
  override readonly title = 'Conflict';
  constructor(
    readonly rolloutId: string,
    readonly expectedVersion: number,
    options?: ErrorOptions,
  ) {
    super(`rollout ${rolloutId} changed concurrently (expected version ${expectedVersion})`, options);
    this.name = 'VersionConflictError';
  }
}

export class UnsupportedMediaTypeError extends RolloutError {
  override readonly status = 415;
  override readonly title = 'Unsupported media type';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UnsupportedMediaTypeError';
  }
}

export class PayloadTooLargeError extends RolloutError {
  override readonly status = 413;
  override readonly title = 'Payload too large';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PayloadTooLargeError';
  }
}

/** ECS refused or failed a call; the rollout that made it rolls back. */
export class EcsError extends RolloutError {
  override readonly status = 502;
  override readonly title = 'ECS error';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EcsError';
  }
}

/** Elastic Load Balancing refused or failed a call (the weights of `traffic.alb`); the rollout rolls back. */
export class LoadBalancerError extends RolloutError {
  override readonly status = 502;
  override readonly title = 'Load balancer error';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LoadBalancerError';
  }
}

/** A registry could not be reached or answered something unusable (not a verdict on the signature). */
export class RegistryError extends RolloutError {
  override readonly status = 502;
  override readonly title = 'Registry error';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RegistryError';
  }
}

/** The workflow engine (Step Functions) refused or failed a call. */
export class WorkflowError extends RolloutError {
  override readonly status = 502;
  override readonly title = 'Workflow error';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WorkflowError';
  }
}

/** An execution with this clock's name ran and ended: its name cannot be used again; take the next attempt. */
export class ClockNameTakenError extends WorkflowError {
  constructor(name: string, options?: ErrorOptions) {
    super(`an execution named ${name} already ran and ended`, options);
    this.name = 'ClockNameTakenError';
  }
}

/**
 * A secret the orchestrator needs (a token, a webhook secret, a registry password, a notification
 * credential) cannot be read now: not set, missing, not readable, or not given its value yet. The API
 * answers 503 for the calls that need it; nothing else is changed.
 */
export class SecretUnavailableError extends RolloutError {
  override readonly status = 503;
  override readonly title = 'Secret unavailable';
  constructor(
    /** The environment variable local mode reads it from: `ROLLOUT_API_TOKEN`, `REGISTRY_PASSWORD`... */
    readonly variable: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`the secret ${variable} cannot be read: ${reason}`, options);
    this.name = 'SecretUnavailableError';
  }
}

/** The configuration file is invalid; `issues` lists every problem as `path: message`. */
export class ConfigError extends RolloutError {
  override readonly title = 'Invalid configuration';
  constructor(
    readonly file: string,
    readonly issues: readonly string[],
    options?: ErrorOptions,
  ) {
    super(`invalid configuration in ${file}:\n${issues.map((i) => `  - ${i}`).join('\n')}`, options);
    this.name = 'ConfigError';
  }
}

/** A webhook delivery could not be recorded durably: nothing was promised, and the sender should retry. */
export class DeliveryNotReceivedError extends RolloutError {
  override readonly status = 503;
  override readonly title = 'Service unavailable';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DeliveryNotReceivedError';
  }
}
