/**
 * Turns zod issues into the lines a person reads when the config is wrong: `path: message`, with the path
 * written as in the file (`services.web.steps[2].setWeight`) and messages that say what to write, not
 * what zod expected.
 */
import type { z } from 'zod';

/** One problem, ready to print. `at` is where it sits in the file, used to list problems in file order. */
export interface ConfigIssue {
  readonly path: readonly PropertyKey[];
  readonly at: readonly PropertyKey[];
  readonly message: string;
}

/**
 * Keys printed bare after a dot. Dashes are included although they are not JS identifiers, because service
 * names have them and `services.my-api.image` cannot be misread; anything else (`127.0.0.1:5000`) is quoted.
 */
const BARE_KEY = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const key = String(segment);
      out += BARE_KEY.test(key) ? (out === '' ? key : `.${key}`) : `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

/** `path: message`; a problem with the whole file has no path. */
export function formatIssue(issue: Pick<ConfigIssue, 'path' | 'message'>): string {
  return issue.path.length === 0 ? issue.message : `${formatPath(issue.path)}: ${issue.message}`;
}

/** One line per problem: an issue about several unknown keys becomes one line per key. */
export function toConfigIssues(issues: readonly z.core.$ZodIssue[]): ConfigIssue[] {
  return issues.flatMap((issue) => {
    const path = [...issue.path];
    if (issue.code === 'unrecognized_keys') {
      const lines = issue.message.split('\n');
      return issue.keys.map((key, i) => ({ path, at: [...path, key], message: lines[i] ?? `unknown key '${key}'` }));
    }
    return [{ path, at: path, message: issue.message }];
  });
}

/**
 * The messages for zod's built-in checks; a schema's own `error` still wins. Passed to every parse, so the
 * schema reads as rules while the wording lives here.
 */
export const humanErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      if (issue.input === null) return 'must not be empty';
      return `must be ${expectedText(issue.expected)}, not ${describe(issue.input)}${quotedNumberHint(issue)}`;
    case 'too_small':
      return sizeMessage(issue.origin, 'least', Number(issue.minimum), issue.inclusive !== false);
    case 'too_big':
      return sizeMessage(issue.origin, 'most', Number(issue.maximum), issue.inclusive !== false);
    case 'invalid_value':
      return `must be ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}`;
    case 'unrecognized_keys': {
      const known = knownKeys(issue.inst);
      return issue.keys.map((key) => `unknown key '${key}'${suggestion(key, known)}`).join('\n');
    }
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    case 'invalid_format':
      return 'has an invalid format';
    case 'invalid_union':
      return 'has an invalid value';
    default:
      return undefined;
  }
};

function expectedText(expected: string): string {
  switch (expected) {
    case 'object':
    case 'record':
      return 'a mapping';
    case 'array':
      return 'a list';
    case 'int':
      return 'a whole number';
    case 'boolean':
      return 'true or false';
    default:
      return `a ${expected}`;
  }
}

function describe(input: unknown): string {
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  if (typeof input === 'number' && !Number.isInteger(input)) return 'a fraction';
  if (typeof input === 'boolean') return input ? 'true' : 'false';
  return `a ${typeof input}`;
}

function quotedNumberHint(issue: { readonly expected: string; readonly input?: unknown }): string {
  const numeric = issue.expected === 'int' || issue.expected === 'number';
  return numeric && typeof issue.input === 'string' && /^-?\d+(\.\d+)?$/.test(issue.input) ? ' (remove the quotes)' : '';
}

function sizeMessage(origin: string, side: 'least' | 'most', bound: number, inclusive: boolean): string {
  if (origin === 'string') {
    return side === 'least' && bound === 1 ? 'must not be empty' : `must be at ${side} ${bound} characters long`;
  }
  if (origin === 'array' || origin === 'set') {
    return side === 'least' && bound === 1 ? 'must not be empty' : `must have at ${side} ${bound} items`;
  }
  if (!inclusive) return `must be ${side === 'least' ? 'more' : 'less'} than ${bound}`;
  return `must be at ${side} ${bound}`;
}

function knownKeys(inst: unknown): string[] {
  const def = (inst as { _zod?: { def?: { shape?: unknown } } } | undefined)?._zod?.def;
  return def?.shape && typeof def.shape === 'object' ? Object.keys(def.shape) : [];
}

/** A typo is within two edits of the key meant, or differs only in case. */
function suggestion(key: string, known: readonly string[]): string {
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = candidate.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, candidate);
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { key: candidate, distance };
  }
  return best ? ` (did you mean '${best.key}'?)` : '';
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
