/** Structured JSON logs, one object a line. Fields named like secrets are never written. */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const SECRET_FIELD = /token|secret|password|authorization|signature$/i;

function redact(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (SECRET_FIELD.test(k)) out[k] = '[redacted]';
    else if (v instanceof Error) out[k] = { name: v.name, message: v.message };
    else out[k] = v;
  }
  return out;
}

const LEVELS = { info: 0, warn: 1, error: 2, silent: 3 } as const;
type Level = keyof typeof LEVELS;

/** `level` defaults to LOG_LEVEL from the environment (info, warn, error or silent), else info. */
export function jsonLogger(write: (line: string) => void = (l) => process.stdout.write(`${l}\n`), level: string | undefined = process.env.LOG_LEVEL): Logger {
  const threshold = LEVELS[(level?.toLowerCase() as Level) ?? 'info'] ?? LEVELS.info;
  const emit = (lvl: Exclude<Level, 'silent'>) => (message: string, fields: Record<string, unknown> = {}) => {
    if (LEVELS[lvl] < threshold) return;
    write(JSON.stringify({ time: new Date().toISOString(), level: lvl, message, ...redact(fields) }));
  };
  return { info: emit('info'), warn: emit('warn'), error: emit('error') };
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
