/**
 * One autocannon run in its own process, so the load generator does not share the server's event loop.
 * Reads its options from the JSON file named by argv[2]; prints one JSON line with the result:
 * every response's latency is kept (autocannon's histogram rounds to whole milliseconds).
 *
 * Options: url (origin), method, path, headers, body (one body for every request) or bodiesFile (a JSON
 * array, one body per request, in order: the distinct-digest runs), paths (a list of paths to cycle
 * through), connections, duration (s) or amount (requests).
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

const options = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const bodies = options.bodiesFile ? JSON.parse(readFileSync(options.bodiesFile, 'utf8')) : null;
const paths = options.paths ?? null;
let next = 0;
const setupRequest = bodies || paths
  ? (request) => {
      const i = next++;
      return {
        ...request,
        ...(bodies ? { body: bodies[i % bodies.length] } : {}),
        ...(paths ? { path: paths[i % paths.length] } : {}),
      };
    }
  : undefined;

const latencies = [];
const statuses = {};
/** The first few non-2xx answers, status and body, to say what went wrong. */
const failures = [];
const started = process.hrtime.bigint();
const instance = autocannon({
  url: options.url,
  connections: options.connections ?? 10,
  pipelining: 1,
  ...(options.amount ? { amount: options.amount } : { duration: options.duration ?? 5 }),
  timeout: options.timeout ?? 30,
  requests: [
    {
      method: options.method ?? 'GET',
      path: options.path ?? '/',
      headers: options.headers ?? {},
      ...(options.body === undefined ? {} : { body: options.body }),
      ...(setupRequest ? { setupRequest } : {}),
      onResponse: (status, body) => {
        if ((status < 200 || status > 299) && failures.length < 5) failures.push({ status, body: String(body ?? '').slice(0, 500) });
      },
    },
  ],
});
/**
 * When the last answer came. autocannon notices the end of a run only on its once-a-second sample tick,
 * so its own end time (and `done`) may come up to a second after the last answer: a run of a fixed
 * `amount` of 48 requests answered in 0.2 s would read as 48 requests/s. The run's time is from its
 * start to its last answer.
 */
let lastResponseAt = started;
instance.on('response', (_client, statusCode, _bytes, responseTime) => {
  lastResponseAt = process.hrtime.bigint();
  statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
  latencies.push(responseTime);
});
instance.on('done', (result) => {
  const seconds = Number(lastResponseAt - started) / 1e9;
  process.stdout.write(
    `${JSON.stringify({
      seconds,
      responses: latencies.length,
      statuses,
      errors: result.errors,
      timeouts: result.timeouts,
      latencies,
      failures,
      requestsSent: next,
    })}\n`,
  );
});
