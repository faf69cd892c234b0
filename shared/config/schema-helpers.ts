/** Small zod building blocks shared by the config schemas, each with the wording a person needs. */
import { z } from 'zod';
import { isPlainObject } from '../plain-object';

export type Env = Readonly<Record<string, string | undefined>>;

/** A whole number in `[min, max]`; one message for both ends, since a range is easier to fix than a bound. */
export function intBetween(min: number, max: number) {
  const range = `must be between ${min} and ${max}`;
  return z
    .int({
      error: (issue) => {
        if (issue.input == null) return undefined;
        const quoted = typeof issue.input === 'string' && /^-?\d+$/.test(issue.input) ? ' (remove the quotes)' : '';
        return `must be a whole number between ${min} and ${max}${quoted}`;
      },
    })
    .min(min, { error: range })
    .max(max, { error: range });
}

/** A non-empty string matching `pattern`; one problem per value (empty, or not matching), never both. */
export function matching(pattern: RegExp, message: string) {
  return z.string().check((ctx) => {
    if (ctx.value === '') ctx.issues.push({ code: 'custom', message: 'must not be empty', input: ctx.value });
    else if (!pattern.test(ctx.value)) ctx.issues.push({ code: 'custom', message, input: ctx.value });
  });
}

/**
 * A mapping whose keys are names checked by `keyProblem` (`ifEmpty`: the message when it has no entry).
 * The keys are checked even when some values are invalid (zod would skip a refinement then), so that every
 * problem is reported in one go.
 */
export function keyedRecord<V extends z.ZodType>(
  value: V,
  keyProblem: (key: string) => string | null,
  options: { readonly ifEmpty?: string } = {},
) {
  return z.record(z.string(), value).superRefine(
    (record, ctx) => {
      const keys = Object.keys(record);
      if (keys.length === 0 && options.ifEmpty) ctx.addIssue({ code: 'custom', message: options.ifEmpty, input: record });
      for (const key of keys) {
        const problem = keyProblem(key);
        if (problem) ctx.addIssue({ code: 'custom', message: problem, path: [key], input: key });
      }
    },
    { when: (payload) => isPlainObject(payload.value) },
  );
}
