/**
 * The inputs the state machine passes to the step functions (infra/rollout-state-machine.ts), parsed.
 * Checked by hand rather than with schemas: a handful of fields our own state machine writes, and the
 * functions of the loop then load no validator at init (docs/architecture.md, "Lambda bundles").
 */
import { carriedRecord } from '../../shared/core/carried-record';
import type { Rollout } from '../../shared/core/rollout';
import { ValidationError } from '../../shared/errors';
import { isPlainObject } from '../../shared/plain-object';
import type { ClockCall } from '../../shared/orchestration/orchestrator';

export type { InvocationContext } from '../../shared/observability/lambda-logger';

/** Reads the fields of one input, noting every one at fault; `done` throws a ValidationError naming them all. */
class InputReader {
  private readonly fields: Record<string, unknown>;

  constructor(
    value: unknown,
    private readonly what: string,
    private readonly prefix = '',
    private readonly issues: string[] = [],
  ) {
    const object = isPlainObject(value);
    if (!object) this.issues.push(`${prefix.slice(0, -1) || '(body)'}: expected an object`);
    this.fields = object ? (value as Record<string, unknown>) : {};
  }

  /** The reader of an object field (absent: one of an empty object), whose faults are this one's. */
  nested(name: string): InputReader {
    const v = this.fields[name];
    return new InputReader(v === undefined ? {} : v, this.what, `${this.prefix}${name}.`, this.issues);
  }

  /** A string of `min` to `max` characters; absent allowed when `optional`. */
  string(name: string, options: { optional?: boolean; min?: number; max?: number } = {}): string | undefined {
    const v = this.fields[name];
    if (v === undefined && options.optional) return undefined;
    const { min = 1, max = Number.POSITIVE_INFINITY } = options;
    if (typeof v !== 'string' || v.length < min || v.length > max) {
      this.issues.push(`${this.prefix}${name}: expected a string of ${min}${max === Number.POSITIVE_INFINITY ? ' or more' : ` to ${max}`} characters`);
      return undefined;
    }
    return v;
  }

  /** A whole number of at least `min`, or absent. */
  int(name: string, min: number): number | undefined {
    const v = this.fields[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      this.issues.push(`${this.prefix}${name}: expected a whole number of at least ${min}`);
      return undefined;
    }
    return v;
  }

  /** One of `values`, or absent. */
  oneOf<T extends string>(name: string, values: readonly T[]): T | undefined {
    const v = this.fields[name];
    if (v === undefined) return undefined;
    if (!values.includes(v as T)) {
      this.issues.push(`${this.prefix}${name}: expected one of ${values.join(', ')}`);
      return undefined;
    }
    return v as T;
  }

  /** An object (or, `nullable`, null), or absent. */
  object(name: string, nullable = false): Record<string, unknown> | undefined {
    const v = this.fields[name];
    if (v === undefined || (nullable && v === null)) return undefined;
    if (!isPlainObject(v)) {
      this.issues.push(`${this.prefix}${name}: expected an object`);
      return undefined;
    }
    return v as Record<string, unknown>;
  }

  /** The field as it is, unchecked. */
  raw(name: string): unknown {
    return this.fields[name];
  }

  /** Throws when any field was at fault. */
  done(): void {
    if (this.issues.length > 0) throw new ValidationError(`invalid ${this.what}: ${this.issues.join('; ')}`, this.issues);
  }
}

/** Which execution calls, and its turn of the loop (absent in executions started before they were passed). */
function readClockCall(input: InputReader): ClockCall {
  const execution = input.string('execution', { optional: true, max: 80 });
  const turn = input.int('turn', 0);
  return { ...(execution ? { execution } : {}), ...(turn === undefined ? {} : { turn }) };
}

/**
 * `directive`: what led here (absent in executions started before it was passed), with the record handed
 * on at `carried.record` (shared/core/carried-record.ts). Taken as it comes: a callback's answer is put
 * there by whoever sent it (an operator's hand-sent SendTaskSuccess too), and anything that is not a
 * record only means the Advance reads it. `carried`: that record, when it is one of this rollout.
 */
export function parseAdvanceInput(event: unknown): { rolloutId: string; call: ClockCall; carried: Rollout | null } {
  const input = new InputReader(event, 'Advance input');
  const rolloutId = input.string('rolloutId');
  const call = readClockCall(input);
  input.done();
  return { rolloutId: rolloutId!, call, carried: carriedRecord(field(field(input.raw('directive'), 'carried'), 'record'), rolloutId!) };
}

/** `value[name]` when `value` is a plain object; undefined otherwise. */
function field(value: unknown, name: string): unknown {
  return isPlainObject(value) ? (value as Record<string, unknown>)[name] : undefined;
}

/**
 * `wait`: what the callback waits for (absent: an approval, as before it was passed). `directive`: the
 * Advance's (or Recover's) answer that led to the wait, whose `version` is the record it was decided from
 * and `converge` (only ever true or absent: anything but true reads as absent) that its weight call's
 * look is left to the wait.
 */
export function parseCallbackInput(event: unknown): { rolloutId: string; taskToken: string; wait: 'approval' | 'steady'; version?: number; converge: boolean } {
  const input = new InputReader(event, 'callback wait input');
  const rolloutId = input.string('rolloutId');
  const taskToken = input.string('taskToken');
  const wait = input.oneOf('wait', ['approval', 'steady'] as const);
  const directive = input.nested('directive');
  const version = directive.int('version', 1);
  input.done();
  const converge = directive.raw('converge') === true;
  return { rolloutId: rolloutId!, taskToken: taskToken!, wait: wait ?? 'approval', ...(version === undefined ? {} : { version }), converge };
}

/** The rollout and the failure as one line: the error's name, then its message rather than Lambda's JSON. */
export function parseRecoverInput(event: unknown): { rolloutId: string; message: string; call: ClockCall } {
  const input = new InputReader(event, 'Recover input');
  const rolloutId = input.string('rolloutId');
  const call = readClockCall(input);
  const error = input.object('error', true);
  const text = (name: string) => (typeof error?.[name] === 'string' ? (error[name] as string) : undefined);
  input.done();
  const message = [text('Error'), describeCause(text('Cause'))].filter(Boolean).join(': ') || 'unknown failure';
  return { rolloutId: rolloutId!, message, call };
}

/** Lambda puts `{errorMessage, errorType}` JSON in Cause; show the message, not the JSON. */
function describeCause(cause: string | undefined): string | undefined {
  if (!cause) return undefined;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string };
    return parsed.errorMessage ?? cause;
  } catch {
    return cause;
  }
}
