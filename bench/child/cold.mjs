/**
 * A cold start in a fresh process: imports a Lambda bundle, invokes one handler once (the cold
 * request), then once more (warm), and prints one JSON line with the times in milliseconds.
 * argv: bundle path, handler export name, event JSON file (`-`: import only, no invocation).
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const [bundle, name, eventFile] = process.argv.slice(2);
const event = eventFile === '-' ? null : JSON.parse(readFileSync(eventFile, 'utf8'));
const context = { awsRequestId: 'bench', functionName: 'bench', getRemainingTimeInMillis: () => 30000 };
const boot = performance.now();
const mod = await import(pathToFileURL(bundle).href);
const imported = performance.now();
if (event === null) {
  if (typeof mod[name] !== 'function') throw new Error(`${bundle} exports no ${name}`);
  process.stdout.write(`${JSON.stringify({ bootMs: boot, importMs: imported - boot, rssMiB: process.memoryUsage().rss / 1048576 })}\n`);
  process.exit(0);
}
const first = await mod[name](event, context);
const firstDone = performance.now();
await mod[name](event, context);
const warmDone = performance.now();
const status = first && typeof first === 'object' && 'statusCode' in first ? first.statusCode : null;
process.stdout.write(
  `${JSON.stringify({ bootMs: boot, importMs: imported - boot, firstMs: firstDone - imported, initMs: firstDone - boot, warmMs: warmDone - firstDone, status, rssMiB: process.memoryUsage().rss / 1048576 })}\n`,
);
