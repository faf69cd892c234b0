#!/usr/bin/env node
// `npx rollout …`: runs cli/main.ts through tsx's loader, scoped to this import, so there is no build step.
import { tsImport } from 'tsx/esm/api';

const { main } = await tsImport('../cli/main.ts', import.meta.url);
const code = await main(process.argv.slice(2), {
  env: process.env,
  stdout: { write: (text) => process.stdout.write(text), isTTY: process.stdout.isTTY, columns: process.stdout.columns },
  stderr: { write: (text) => process.stderr.write(text), isTTY: process.stderr.isTTY },
});
// exitCode, not exit(): pending writes to a pipe are flushed before the process ends.
process.exitCode = code;
