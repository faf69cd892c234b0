/**
 * The secret that signs approval links: `ROLLOUT_LINK_SECRET` when set. Local mode generates one when it
 * is not, and keeps it in the data directory (mode 0600) so that links sent before a restart still work.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const LINK_SECRET_ENV = 'ROLLOUT_LINK_SECRET';
const MIN_LENGTH = 16;

export function linkSecretFromEnv(env: Readonly<Record<string, string | undefined>>): string | null {
  const value = env[LINK_SECRET_ENV];
  if (!value) return null;
  if (value.length < MIN_LENGTH) throw new Error(`${LINK_SECRET_ENV} must hold at least ${MIN_LENGTH} characters`);
  return value;
}

/** The environment's secret, else the one kept in `dataDir`, else a new one (kept when there is a dataDir). */
export function resolveLocalLinkSecret(env: Readonly<Record<string, string | undefined>>, dataDir: string | undefined): string {
  const given = linkSecretFromEnv(env);
  if (given) return given;
  const file = dataDir ? join(dataDir, 'link-secret') : null;
  if (file && existsSync(file)) {
    const saved = readFileSync(file, 'utf8').trim();
    if (saved.length >= MIN_LENGTH) return saved;
  }
  const secret = randomBytes(32).toString('base64url');
  if (file) writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}
