/**
 * An error answered the way ECS answers it: the AWS JSON 1.1 `__type` the SDK maps to an exception
 * class, a message, and the HTTP status (400 for the caller's faults, 500 for the service's).
 */
export class EcsApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status: number = 400,
  ) {
    super(message);
    this.name = type;
  }
}

export const clientException = (message: string): EcsApiError => new EcsApiError('ClientException', message);

export const invalidParameter = (message: string): EcsApiError =>
  new EcsApiError('InvalidParameterException', message);

export const clusterNotFound = (): EcsApiError =>
  new EcsApiError('ClusterNotFoundException', 'Cluster not found.');

export const serviceNotFound = (): EcsApiError =>
  new EcsApiError('ServiceNotFoundException', 'Service not found.');

export const taskSetNotFound = (ref: string): EcsApiError =>
  new EcsApiError('TaskSetNotFoundException', `The specified task set does not exist: ${ref}`);

/** Error types that are the service's fault; anything else defaults to 400. */
const SERVER_FAULTS = new Set(['ServerException', 'InternalFailure', 'ServiceUnavailable', 'InternalServerError']);

export const defaultStatusFor = (type: string): number => (SERVER_FAULTS.has(type) ? 500 : 400);
