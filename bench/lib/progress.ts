/** Progress lines on stderr while a benchmark runs (the summary goes to stdout). */
// The runner's start, handed to each benchmark's own process, so that the times line up.
process.env['BENCH_T0'] ??= String(Date.now());
const started = Number(process.env['BENCH_T0']);

export function progress(message: string): void {
  process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}\n`);
}
