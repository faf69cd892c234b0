/** Progress lines on stderr while a benchmark runs (the summary goes to stdout). */
const started = Date.now();
export function progress(message: string): void {
  process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}\n`);
}
