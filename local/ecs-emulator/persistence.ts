/** Keeps the emulator's state in one JSON file so a restarted local process finds its task sets again. */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { EcsStateData } from './types';

export const emptyState = (): EcsStateData => ({
  version: 1,
  clusters: {},
  taskDefinitions: {},
  services: {},
  taskSets: {},
});

/** The stored state, or an empty one when the file does not exist yet. */
export const loadState = (file: string): EcsStateData => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
    throw error;
  }
  const parsed = JSON.parse(text) as Partial<EcsStateData>;
  if (parsed.version !== 1) throw new Error(`${file}: unsupported ECS emulator state version ${String(parsed.version)}`);
  return { ...emptyState(), ...parsed } as EcsStateData;
};

/** Writes through a temporary file and a rename, so a crash mid-write never leaves half a file. */
export const saveState = (file: string, state: EcsStateData): void => {
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(state));
  renameSync(temp, file);
};
