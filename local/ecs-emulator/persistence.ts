/** Keeps the emulator's state in one JSON file so a restarted local process finds its task sets again. */
import { readStateFile, writeStateFile } from '../sdk/state-file';
import type { EcsStateData } from './types';

export const emptyState = (): EcsStateData => ({
  version: 1,
  clusters: {},
  taskDefinitions: {},
  services: {},
  taskSets: {},
});

/** The stored state, or an empty one when the file does not exist yet. */
export const loadState = (file: string): EcsStateData => ({ ...emptyState(), ...readStateFile<EcsStateData>(file, 'ECS emulator', 1) }) as EcsStateData;

/** Writes through a temporary file and a rename, so a crash mid-write never leaves half a file. */
export const saveState = (file: string, state: EcsStateData): void => writeStateFile(file, state);
