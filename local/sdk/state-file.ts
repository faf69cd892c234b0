/**
 * A stand-in's state kept in one JSON file, so a restarted local process finds what AWS would still
 * have (task sets, executions, listener rules): read at start, written whole through a temporary file
 * and a rename, so a crash mid-write never leaves half a file.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** The stored state, or null when the file does not exist yet. Refuses a version it does not know. */
export function readStateFile<T extends { readonly version: number }>(file: string, what: string, version: T['version']): Partial<T> | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const parsed = JSON.parse(text) as Partial<T>;
  if (parsed.version !== version) throw new Error(`${file}: unsupported ${what} state version ${String(parsed.version)}`);
  return parsed;
}

export function writeStateFile(file: string, state: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(state));
  renameSync(temp, file);
}
