import type { Context } from 'hono';
import { UnsupportedMediaTypeError, ValidationError } from '../errors';
import { requestText } from './request-body';

export const JSON_ONLY = ['application/json'] as const;

/** The request's media type, lower case, without parameters. */
export function mediaType(c: Context): string {
  return (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Checks the content type (`type`: the request's, when the caller has it already), then parses the (already read) body as JSON. */
export function parseJson(c: Context, text: string, allowed: readonly string[], type = mediaType(c)): unknown {
  if (!allowed.includes(type)) {
    throw new UnsupportedMediaTypeError(`content type ${type ? `"${type}"` : '(none)'} is not accepted here; send one of ${allowed.join(', ')}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ValidationError(`body is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export async function readJson(c: Context, allowed: readonly string[] = JSON_ONLY): Promise<unknown> {
  return parseJson(c, await requestText(c), allowed);
}
