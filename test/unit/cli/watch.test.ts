/** `rollout watch` against a scripted sequence of answers. */
import { describe, expect, it, vi } from 'vitest';
import { ApiError, ConnectionError, type RolloutApi } from '../../../cli/api-client';
import { plain } from '../../../cli/format';
import { watchRollout } from '../../../cli/watch';
import type { RolloutView } from '../../../shared/http/response-schemas';
import { ID, capture, rollout } from './fixtures';

const done = (status: RolloutView['status'], extra: Partial<RolloutView> = {}) =>
  rollout({
    status,
    wait: null,
    version: 9,
    events: [...rollout().events, { seq: 2, at: '2026-01-01T10:01:00.000Z', type: status === 'SUCCEEDED' ? 'SUCCEEDED' : 'ROLLED_BACK', message: status.toLowerCase() }],
    ...extra,
  });

function scripted(answers: (RolloutView | Error)[], events: ReadableStream<Uint8Array> | null = null) {
  let i = 0;
  const api = {
    get: async () => {
      const a = answers[Math.min(i++, answers.length - 1)]!;
      if (a instanceof Error) throw a;
      return a;
    },
    events: async () => events,
  } as unknown as RolloutApi;
  return { api, polls: () => i };
}

/**
 * A server-sent events stream the test writes to. `nextRead()` resolves when the reader asks for
 * another chunk: it has dealt with every chunk sent before (the stream queues nothing: highWaterMark 0).
 */
function eventStream() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let reads = 0;
  const waiting: { n: number; resolve: () => void }[] = [];
  const stream = new ReadableStream<Uint8Array>(
    {
      start: (c) => void (controller = c),
      pull: () => {
        reads += 1;
        for (const w of waiting.filter((x) => x.n <= reads)) w.resolve();
      },
    },
    { highWaterMark: 0 },
  );
  const send = (text: string) => controller.enqueue(new TextEncoder().encode(text));
  /** Resolves once the reader asked for a chunk after everything sent so far. */
  const nextRead = () => {
    const n = reads + 1;
    return new Promise<void>((resolve) => waiting.push({ n, resolve }));
  };
  return { stream, send, nextRead, end: () => controller.close() };
}

async function watch(answers: (RolloutView | Error)[], opts: { tty?: boolean; json?: boolean; timeoutMs?: number } = {}) {
  const out = capture(opts.tty ?? false, 200);
  const err = capture();
  let t = 0;
  const { api, polls } = scripted(answers);
  const code = await watchRollout(api, ID, { intervalMs: 1000, json: opts.json ?? false, style: plain, out, err, sleep: async (ms) => void (t += ms), now: () => t, ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) });
  return { code, out: out.text, err: err.text, polls: polls(), elapsed: t };
}

describe('rollout watch', () => {
  it('prints each event once and the progress when it changes, then exits 0 on SUCCEEDED', async () => {
    const paused = rollout();
    const { code, out, polls, elapsed } = await watch([paused, paused, done('SUCCEEDED', { canaryWeight: 100 })]);
    expect(code).toBe(0);
    expect(polls).toBe(3);
    expect(elapsed).toBe(2000);
    expect(out.match(/CREATED/g)).toHaveLength(1);
    expect(out.match(/\[##########\.{10}\] 50% {2}PAUSED/g)).toHaveLength(1);
    expect(out).toMatch(/SUCCEEDED +succeeded\n\[#{20}\] 100% {2}SUCCEEDED/);
    expect(out).toMatch(/\[x\] +1\/3/);
    expect(out.trimEnd().split('\n').pop()).toBe(`rollout ${ID} SUCCEEDED`);
  });

  it.each([
    ['ROLLED_BACK', 6],
    ['REJECTED', 7],
    ['FAILED', 8],
  ] as const)('exits non-zero when the rollout ends %s', async (status, code) => {
    const res = await watch([rollout(), done(status, { reason: 'alarm web-5xx fired' })]);
    expect(res.code).toBe(code);
    expect(res.out).toContain(`rollout ${ID} ${status}: alarm web-5xx fired`);
  });

  it('gives up with exit 9 after --timeout', async () => {
    const res = await watch([rollout()], { timeoutMs: 3500 });
    expect(res.code).toBe(9);
    expect(res.elapsed).toBe(3500);
    expect(res.err).toMatch(/still PAUSED after the --timeout/);
  });

  it('rides out a few lost connections, but not an API error', async () => {
    const lost = new ConnectionError('cannot reach the API');
    const res = await watch([rollout(), lost, lost, done('SUCCEEDED')]);
    expect(res.code).toBe(0);
    expect(res.err.match(/warning: cannot reach the API; trying again/g)).toHaveLength(2);
    await expect(watch([rollout(), new ApiError(401, null)])).rejects.toThrow(ApiError);
    await expect(watch([lost])).rejects.toThrow(ConnectionError);
  });

  it('prints the rollout as one JSON line per change with --json', async () => {
    const res = await watch([rollout(), rollout(), done('SUCCEEDED')], { json: true });
    const lines = res.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.status)).toEqual(['PAUSED', 'SUCCEEDED']);
  });

  it("wakes on the server's live updates for this rollout only, instead of polling", async () => {
    const sse = eventStream();
    const never = () => new Promise<void>(() => {});
    const { api, polls } = scripted([rollout(), rollout({ canaryWeight: 60, version: 6 }), done('SUCCEEDED')], sse.stream);
    const out = capture();
    const watching = watchRollout(api, ID, { intervalMs: 1000, json: false, style: plain, out, err: capture(), sleep: never });
    await vi.waitFor(() => expect(polls()).toBe(1));
    const read = sse.nextRead();
    sse.send(`retry: 3000\n\nevent: ready\ndata: {}\n\nevent: rollout\nid: 01m8jb8yrx04r7fj816qgfdg00@3\ndata: {}\n\n`);
    await read; // the watcher has read and handled that chunk: a wake-up would have polled by now
    expect(polls()).toBe(1); // another rollout's change does not wake it
    sse.send(`event: rollout\nid: ${ID}@6\ndata: {}\n\n`);
    await vi.waitFor(() => expect(polls()).toBe(2));
    sse.send(`event: rollout\nid: ${ID}@9\nda`); // split across chunks
    sse.send(`ta: {}\n\n`);
    expect(await watching).toBe(0);
    expect(out.text).toMatch(/60%/);
  });

  it('falls back to polling when the live stream ends', async () => {
    const sse = eventStream();
    sse.end();
    const { api, polls } = scripted([rollout(), rollout(), done('SUCCEEDED')], sse.stream);
    let slept = 0;
    const code = await watchRollout(api, ID, { intervalMs: 1000, json: false, style: plain, out: capture(), err: capture(), sleep: async (ms) => void (slept += ms) });
    expect(code).toBe(0);
    expect(polls()).toBe(3);
    expect(slept).toBeGreaterThanOrEqual(1000);
  });

  it('redraws the bar and the timeline in place on a terminal, with new events above them', async () => {
    const res = await watch([rollout(), done('SUCCEEDED')], { tty: true });
    // 1 progress line + 3 steps erased once, before the SUCCEEDED event is printed.
    expect(res.out.split('\x1b[4F\x1b[J')).toHaveLength(2);
    expect(res.out.indexOf('\x1b[4F')).toBeLessThan(res.out.indexOf('SUCCEEDED '));
  });
});
