/**
 * Fault injection: make chosen calls fail the way ECS fails (throttling, 5xx, any error type), and
 * make tasks of chosen images or services never start, so a task set never reaches steady state.
 * Faults live in memory only; they are a test's setup, not part of the emulated cluster.
 */
import * as arns from './arns';
import { defaultStatusFor, EcsApiError } from './errors';
import type { StoredTaskDefinition, StoredTaskSet } from './types';

export interface FailureSpec {
  /** The error type answered (`__type`), e.g. `ThrottlingException`. Default `ServerException`. */
  readonly error?: string;
  /** Default: a message naming the injected fault. */
  readonly message?: string;
  /** HTTP status. Default 500 for server faults (`ServerException`...), 400 otherwise. */
  readonly status?: number;
  /** How many matching calls fail. Default 1; `Infinity` fails until cleared. */
  readonly times?: number;
  /** Apply the call, then answer the error: the response was lost. Default false. */
  readonly afterApplying?: boolean;
}

/** Which task sets' tasks fail to launch. Every given field must match. */
export interface LaunchFailureMatch {
  /** Any container image in the task set's task definition equals this string or matches this pattern. */
  readonly image?: string | RegExp;
  readonly cluster?: string;
  readonly service?: string;
}

const imageMatches = (pattern: string | RegExp, image: string): boolean =>
  typeof pattern === 'string' ? image === pattern : pattern.test(image);

interface PendingFailure {
  readonly operation: string;
  readonly error: EcsApiError;
  readonly afterApplying: boolean;
  remaining: number;
}

export class EcsFaults {
  private failures: PendingFailure[] = [];
  private launchFailures: LaunchFailureMatch[] = [];

  /**
   * @param beforeLaunchRulesChange freezes task progress so far, so a rule change only affects the future.
   * @param setDescribeLag applies the describe lag (eventual consistency) to the store.
   */
  constructor(
    private readonly beforeLaunchRulesChange: () => void,
    private readonly setDescribeLag: (ms: number) => void = () => {},
  ) {}

  /**
   * Eventual consistency, as the ECS API has it: for `ms` milliseconds after a CreateTaskSet, describes
   * (DescribeServices, DescribeTaskSets) do not show the new task set yet; writes see it at once.
   * `lagDescribes(0)` (and `clear()`) makes describes read-after-write again.
   */
  lagDescribes(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`describe lag must be 0 or more milliseconds, not ${ms}`);
    this.setDescribeLag(ms);
  }

  /** Makes the next `times` calls of `operation` (e.g. `DeleteTaskSet`, or `*` for any) fail. */
  fail(operation: string, spec: FailureSpec = {}): void {
    const type = spec.error ?? 'ServerException';
    const message = spec.message ?? `Injected ${type} for ${operation}.`;
    this.failures.push({
      operation,
      error: new EcsApiError(type, message, spec.status ?? defaultStatusFor(type)),
      afterApplying: spec.afterApplying ?? false,
      remaining: spec.times ?? 1,
    });
  }

  /** Tasks of matching task sets stay pending forever (until `allowLaunches`). */
  failLaunches(match: LaunchFailureMatch): void {
    this.beforeLaunchRulesChange();
    this.launchFailures.push(match);
  }

  allowLaunches(): void {
    this.beforeLaunchRulesChange();
    this.launchFailures = [];
  }

  clear(): void {
    this.failures = [];
    this.setDescribeLag(0);
    if (this.launchFailures.length > 0) this.allowLaunches();
  }

  /** Consumes one injected failure for this call, if any. */
  take(operation: string): { readonly error: EcsApiError; readonly afterApplying: boolean } | undefined {
    const failure = this.failures.find((f) => f.remaining > 0 && (f.operation === operation || f.operation === '*'));
    if (!failure) return undefined;
    failure.remaining -= 1;
    this.failures = this.failures.filter((f) => f.remaining > 0);
    return failure;
  }

  launchBlocked(taskSet: StoredTaskSet, definition: StoredTaskDefinition | undefined): boolean {
    if (this.launchFailures.length === 0) return false;
    const images = (definition?.body.containerDefinitions ?? []).map((container) => container.image ?? '');
    const cluster = arns.clusterName(taskSet.clusterArn);
    const service = arns.serviceName(taskSet.serviceArn);
    return this.launchFailures.some(({ image: pattern, ...where }) => {
      if (where.cluster !== undefined && where.cluster !== cluster) return false;
      if (where.service !== undefined && where.service !== service) return false;
      return pattern === undefined || images.some((image) => imageMatches(pattern, image));
    });
  }
}
