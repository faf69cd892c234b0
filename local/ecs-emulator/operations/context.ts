/** What every operation gets: the store, the instant of the call, and typed access to its JSON input. */
import { invalidParameter } from '../errors';
import type { EcsStore } from '../store';

export interface OperationContext {
  readonly store: EcsStore;
  readonly now: number;
}

/** A request body as parsed from JSON: its shape is only what the client sent. */
export type Input = Readonly<Record<string, unknown>>;

export type Operation = (context: OperationContext, input: Input) => unknown;

export const optionalString = (input: Input, field: string): string | undefined => {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidParameter(`${field} must be a string.`);
  return value;
};

export const requiredString = (input: Input, field: string): string => {
  const value = optionalString(input, field);
  if (value === undefined || value === '') throw invalidParameter(`${field} must be specified.`);
  return value;
};

export const optionalNumber = (input: Input, field: string): number | undefined => {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidParameter(`${field} must be a number.`);
  return value;
};

export const optionalStrings = (input: Input, field: string): string[] | undefined => {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw invalidParameter(`${field} must be a list of strings.`);
  }
  return value as string[];
};

/** Fields passed through as sent (nested structures ECS would validate deeply, the emulator does not). */
export const passthrough = <T>(input: Input, field: string): T | undefined => {
  const value = input[field];
  return value === undefined || value === null ? undefined : (structuredClone(value) as T);
};

/** A percent scale, `{ value: 0-100, unit: 'PERCENT' }`. */
export const scaleValue = (input: Input, field: string): number | undefined => {
  const scale = input[field];
  if (scale === undefined || scale === null) return undefined;
  const { value, unit } = scale as { value?: unknown; unit?: unknown };
  if (unit !== undefined && unit !== 'PERCENT') throw invalidParameter('scale.unit must be PERCENT.');
  if (typeof value !== 'number' || !(value >= 0 && value <= 100)) {
    throw invalidParameter('scale.value must be a number between 0 and 100.');
  }
  return value;
};

export const includes = (input: Input, what: string): boolean =>
  (optionalStrings(input, 'include') ?? []).includes(what);
