/**
 * Tells `watch` when to look again. With the server's live updates (`GET /events`, server-sent events,
 * local mode) it wakes up as soon as the watched rollout changes; without them, or once the stream
 * ends, it waits the polling interval. Only the event ids (`<rolloutId>@<version>`) are read: the
 * rollout itself is fetched again, so the display always comes from the same `GET /rollouts/{id}`.
 */
import type { RolloutApi } from './api-client';

export interface ChangeSignal {
  /** Resolves when the rollout changed, or after `maxMs` at the latest. */
  next(maxMs: number): Promise<void>;
  /** True while the stream is open; false: waits are plain polling intervals. */
  readonly live: boolean;
  close(): void;
}

/** A plain timer: polling. */
export function pollingSignal(sleep: (ms: number) => Promise<void>): ChangeSignal {
  return { next: (ms) => sleep(ms), live: false, close: () => {} };
}

/** Subscribes to `/events` for one rollout; null when the server has no live updates (it answers 404 in AWS). */
export async function eventStreamSignal(api: RolloutApi, rolloutId: string): Promise<ChangeSignal | null> {
  const abort = new AbortController();
  const stream = await api.events(abort.signal);
  if (!stream) return null;

  let live = true;
  let changed = false;
  let wake: (() => void) | null = null;
  const notify = () => {
    changed = true;
    wake?.();
  };

  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        const messages = buffer.split(/\r?\n\r?\n/);
        buffer = messages.pop() ?? '';
        for (const message of messages) {
          const lines = message.split(/\r?\n/);
          if (lines.includes('event: rollout') && lines.some((l) => l.startsWith(`id: ${rolloutId}@`))) notify();
        }
      }
    } catch {
      /* the stream broke (or was closed): fall back to polling */
    } finally {
      live = false;
      notify(); // look once more now, then poll
    }
  })();

  return {
    get live() {
      return live;
    },
    next(maxMs) {
      if (changed) {
        changed = false;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        const timer = setTimeout(done, maxMs);
        function done() {
          clearTimeout(timer);
          wake = null;
          changed = false;
          resolve();
        }
        wake = done;
      });
    },
    close() {
      abort.abort();
    },
  };
}
