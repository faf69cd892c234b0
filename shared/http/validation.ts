import type { z } from 'zod';
import { ValidationError } from '../errors';

/** `steps[2].setWeight`-style path of a zod issue. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
}

export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issuePath(issue.path) || '(body)'}: ${issue.message}`);
}

/** Parses with the schema or throws a ValidationError naming every field at fault. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = formatIssues(result.error);
  throw new ValidationError(`invalid ${what}: ${issues.join('; ')}`, issues);
}
