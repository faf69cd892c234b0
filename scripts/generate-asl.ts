/**
 * `npm run asl`: writes the rollout state machine, as `cdk synth` produces it and resolved to plain ASL,
 * to local/step-functions-emulator/rollout-state-machine.asl.json, which local mode runs. Run it after
 * any change to infra/rollout-state-machine.ts (a test fails until the committed file matches).
 */
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { COMMITTED_ASL_PATH, formatAsl, synthesizeRolloutAsl } from '../local/step-functions-emulator/synthesize';

writeFileSync(COMMITTED_ASL_PATH, formatAsl(synthesizeRolloutAsl()));
console.log(`wrote ${relative(process.cwd(), COMMITTED_ASL_PATH)}`);
