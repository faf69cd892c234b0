/**
 * Errors as Elastic Load Balancing v2 answers them: the `Code` of the Query protocol's `<Error>`, which
 * is the model's `awsQueryError` code (`RuleNotFound` for `RuleNotFoundException`), or
 * `ValidationError` for a request that does not fit the model.
 */
export class ElbApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'ElbApiError';
  }
}

export const validationError = (message: string) => new ElbApiError('ValidationError', message);
export const loadBalancerNotFound = (ref: string) => new ElbApiError('LoadBalancerNotFound', `One or more load balancers not found: ${ref}`);
export const listenerNotFound = (ref: string) => new ElbApiError('ListenerNotFound', `One or more listeners not found: ${ref}`);
export const ruleNotFound = (ref: string) => new ElbApiError('RuleNotFound', `One or more rules not found: ${ref}`);
export const targetGroupNotFound = (ref: string) => new ElbApiError('TargetGroupNotFound', `One or more target groups not found: ${ref}`);
export const invalidTarget = (message: string) => new ElbApiError('InvalidTarget', message);
export const invalidAction = (message: string) => new ElbApiError('InvalidLoadBalancerAction', message);
export const operationNotPermitted = (message: string) => new ElbApiError('OperationNotPermitted', message);
