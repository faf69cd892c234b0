/**
 * A logger bound to the Lambda invocation, as Powertools' logger is: every line carries the request
 * id, the function's name and whether this was the environment's cold start, and the handler can add
 * the rollout id it works on. Lambda runs one invocation at a time per execution environment, so the
 * keys of the current invocation can live on the module-scope logger.
 */
import type { Logger } from './logger';

/** The part of Lambda's context object the logger reads (absent fields are left out). */
export interface InvocationContext {
  readonly awsRequestId?: string;
  readonly functionName?: string;
}

export class LambdaLogger implements Logger {
  private keys: Record<string, unknown> = {};
  private coldStart = true;

  constructor(private readonly base: Logger) {}

  /** Starts an invocation: the previous one's keys are dropped. */
  addContext(context: InvocationContext | undefined): void {
    this.keys = {
      ...(context?.awsRequestId ? { requestId: context.awsRequestId } : {}),
      ...(context?.functionName ? { functionName: context.functionName } : {}),
      coldStart: this.coldStart,
    };
    this.coldStart = false;
  }

  /** Adds keys (the rollout id) to every line until the next invocation. */
  appendKeys(keys: Record<string, unknown>): void {
    this.keys = { ...this.keys, ...keys };
  }

  info(message: string, fields?: Record<string, unknown>): void {
    this.base.info(message, { ...this.keys, ...fields });
  }

  warn(message: string, fields?: Record<string, unknown>): void {
    this.base.warn(message, { ...this.keys, ...fields });
  }

  error(message: string, fields?: Record<string, unknown>): void {
    this.base.error(message, { ...this.keys, ...fields });
  }
}
