/**
 * Request and event validation. The schemas are `zod/mini` (tree-shakable: a Lambda bundle carries only
 * the checks it uses, not zod's whole build); any zod 4 schema is accepted. Messages are zod's English
 * ones, each with the path of the field at fault.
 */
import { config, safeParse, type $ZodError, type $ZodType, type output } from 'zod/v4/core';
import en from 'zod/v4/locales/en.js';
import { ValidationError } from '../errors';

// zod/mini sets no locale of its own: without this, every message would read "Invalid input".
config(en());

/** `steps[2].setWeight`-style path of a zod issue. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
}

export function formatIssues(error: $ZodError): string[] {
  return error.issues.map((issue) => `${issuePath(issue.path) || '(body)'}: ${issue.message}`);
}

/** Parses with the schema or throws a ValidationError naming every field at fault. */
export function parseOrThrow<S extends $ZodType>(schema: S, value: unknown, what: string): output<S> {
  const result = safeParse(schema, value);
  if (result.success) return result.data;
  const issues = formatIssues(result.error);
  throw new ValidationError(`invalid ${what}: ${issues.join('; ')}`, issues);
}
