/**
 * `rollout watch <id>`: polls the rollout until it ends. New events are printed as they come; on a
 * terminal the weight bar and step timeline sit below them and are redrawn in place, elsewhere (a CI
 * log) a progress line is printed whenever the status, weight or step changes.
 */
import { isTerminal } from '../shared/core/status';
import type { RolloutView } from '../shared/http/response-schemas';
import { ConnectionError, type RolloutApi } from './api-client';
import { type ChangeSignal, eventStreamSignal, pollingSignal } from './change-stream';
import { ExitCode, exitCodeForOutcome } from './exit-codes';
import { terminalJson, terminalSafe, terminalText } from './terminal';
import { type Style, eventLine, imageLine, progressLine, statusColor, stepTimeline, stripAnsi, visibleLength } from './format';

export interface Output {
  write(text: string): void;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface WatchOptions {
  readonly intervalMs: number;
  /** Give up after this long (exit 9); undefined: never. */
  readonly timeoutMs?: number;
  readonly json: boolean;
  /** Poll even when the server has live updates. Default false. */
  readonly poll?: boolean;
  readonly style: Style;
  readonly out: Output;
  readonly err: Output;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

/** Consecutive failed polls tolerated (a restarting local process, a network blip) before giving up. */
const MAX_CONNECTION_FAILURES = 5;
/** With live updates, look anyway this often: a missed event must not stall the watch. */
const LIVE_RECHECK_MS = 15_000;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What changes the progress display (events are tracked apart, by seq). */
const progressKey = (r: RolloutView) => JSON.stringify([r.status, r.canaryWeight, r.currentStep, r.wait, r.steps.map((s) => s.status)]);

export async function watchRollout(api: RolloutApi, id: string, options: WatchOptions): Promise<ExitCode> {
  // Subscribed before the first look, so that no change can fall between the two.
  const stream = options.poll ? null : await eventStreamSignal(api, id);
  try {
    return await watchLoop(api, id, options, stream);
  } finally {
    stream?.close();
  }
}

async function watchLoop(api: RolloutApi, id: string, options: WatchOptions, stream: ChangeSignal | null): Promise<ExitCode> {
  const { out, style } = options;
  const sleep = options.sleep ?? defaultSleep;
  const polling = pollingSignal(sleep);
  const signal = () => (stream?.live ? stream : polling);
  const now = options.now ?? Date.now;
  const deadline = options.timeoutMs === undefined ? Infinity : now() + options.timeoutMs;
  // On a terminal the bar and the timeline are redrawn in place; elsewhere output only ever appends.
  const redraw = Boolean(out.isTTY) && !options.json;
  let last: RolloutView | null = null;
  let nextSeq = 0;
  let blockLines = 0;
  let failures = 0;

  // A line wider than the terminal would wrap and throw off the count of lines to erase: cut it (and its colours).
  const fit = (line: string) => (out.columns && visibleLength(line) > out.columns ? stripAnsi(line).slice(0, out.columns) : line);
  const block = (r: RolloutView) => [progressLine(r, style), ...stepTimeline(r, style).map((l) => `  ${l}`)].map(fit);

  for (;;) {
    let r: RolloutView;
    let raw: RolloutView;
    try {
      // Every string escaped for the terminal (the JSON lines keep the value, escaped as JSON).
      raw = await api.get(id);
      r = options.json ? raw : terminalSafe(raw);
      failures = 0;
    } catch (e) {
      // Only a lost connection is retried: a 401 or 404 will not get better by asking again.
      if (!(e instanceof ConnectionError) || ++failures >= MAX_CONNECTION_FAILURES || last === null) throw e;
      // The warning goes where the live block is: take the block away first, it is drawn again on the next answer.
      if (blockLines > 0) out.write(`\x1b[${blockLines}F\x1b[J`);
      blockLines = 0;
      options.err.write(`warning: ${terminalText(e.message)}; trying again\n`);
      await polling.next(options.intervalMs);
      continue;
    }

    if (options.json) {
      if (last === null || r.version !== last.version) out.write(`${terminalJson(raw)}\n`);
    } else {
      if (last === null) out.write(`${style.bold(`Rollout ${r.id}`)}  ${r.service}  ${imageLine(r)}\n`);
      const events = r.events.filter((e) => e.seq >= nextSeq);
      const changed = last === null || progressKey(last) !== progressKey(r);
      if (redraw && (events.length > 0 || changed || blockLines === 0)) {
        // Erase the previous bar and timeline, print the new events where they were, and draw them again below.
        if (blockLines > 0) out.write(`\x1b[${blockLines}F\x1b[J`);
        for (const e of events) out.write(`${eventLine(e, style)}\n`);
        const lines = block(r);
        out.write(`${lines.join('\n')}\n`);
        blockLines = lines.length;
      } else if (!redraw) {
        for (const e of events) out.write(`${eventLine(e, style)}\n`);
        if (changed) out.write(`${progressLine(r, style)}\n`);
      }
      if (events.length > 0) nextSeq = events[events.length - 1]!.seq + 1;
    }
    last = r;

    if (isTerminal(r.status)) {
      if (!options.json) {
        if (!redraw) out.write(`${stepTimeline(r, style).map((l) => `  ${l}`).join('\n')}\n`);
        out.write(`rollout ${r.id} ${statusColor(r.status, style)(r.status)}${r.reason ? `: ${r.reason}` : ''}\n`);
      }
      return exitCodeForOutcome(r.status);
    }
    if (now() >= deadline) {
      options.err.write(`error: rollout ${r.id} is still ${r.status} after the --timeout\n`);
      return ExitCode.Timeout;
    }
    const wait = signal();
    await wait.next(Math.min(wait.live ? LIVE_RECHECK_MS : options.intervalMs, Math.max(0, deadline - now())));
  }
}
