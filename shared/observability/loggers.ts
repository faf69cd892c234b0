/**
 * Logger decorators on top of shared/app/logger.ts (which redacts fields by *name*):
 * - `withFields` binds fields (the rollout id) to every line, as Powertools' child loggers do;
 * - `scrubbing` redacts known secret *values* wherever they appear, because some secrets travel in
 *   places a field name cannot flag: a Slack webhook URL is a credential, and an error message from
 *   `fetch` may quote the URL it failed on.
 */
import type { Logger } from './logger';

type Fields = Record<string, unknown>;

export function withFields(logger: Logger, bound: Fields): Logger {
  return {
    info: (message, fields) => logger.info(message, { ...bound, ...fields }),
    warn: (message, fields) => logger.warn(message, { ...bound, ...fields }),
    error: (message, fields) => logger.error(message, { ...bound, ...fields }),
  };
}

export const REDACTED = '[redacted]';

/**
 * Replaces every occurrence of the secrets (strings of 8 characters or more: shorter ones would blank out
 * ordinary words) in the message and, deeply, in the fields. `secrets` is read on every call, so a
 * secret learnt later (a generated one) is covered too.
 */
export function scrubbing(logger: Logger, secrets: () => readonly string[]): Logger {
  const scrub = (text: string): string => {
    let out = text;
    for (const secret of secrets()) if (secret.length >= 8) out = out.split(secret).join(REDACTED);
    return out;
  };
  const clean = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return scrub(value);
    if (depth > 5 || value === null || typeof value !== 'object') return value;
    if (value instanceof Error) {
      const cause = value.cause instanceof Error ? { cause: clean(value.cause, depth + 1) } : {};
      return { name: value.name, message: scrub(value.message), ...cause };
    }
    if (Array.isArray(value)) return value.map((v) => clean(v, depth + 1));
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clean(v, depth + 1)]));
  };
  const emit = (level: keyof Logger) => (message: string, fields?: Fields) =>
    logger[level](scrub(message), fields ? (clean(fields, 0) as Fields) : fields);
  return { info: emit('info'), warn: emit('warn'), error: emit('error') };
}
