/**
 * The dashboard's script, served at /dashboard/app.js: TypeScript checked against the DOM (tsconfig.json
 * beside it), bundled by esbuild into one script that leaves nothing in the page's global scope
 * (script.ts: at the first request in local mode, at synth for the API function).
 */
import { startDashboard } from './data';

startDashboard();
