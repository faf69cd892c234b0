/**
 * Server-sent events for the dashboard: every saved rollout change (`orchestrator.subscribe`) goes to
 * every connected client as `event: rollout` with the API's view of the record.
 *
 * One orchestrator subscription serves all clients; it is taken with the first client and dropped with
 * the last. A client is dropped when it disconnects (the stream is cancelled) or when it falls too far
 * behind (its queue is full), so a stalled browser cannot hold memory. Comment lines every
 * `heartbeatMs` keep proxies from closing an idle stream and let the client notice a dead one.
 *
 * This works where one process serves the API and runs the rollouts (local mode). In Lambda the changes
 * happen in other functions, so the route is off there and the dashboard polls instead.
 */
import type { Orchestrator } from '../../orchestration/orchestrator';
import type { Rollout } from '../../core/rollout';
import { presentRollout } from '../deps';

export interface LiveUpdatesOptions {
  /** Default 15 s. */
  readonly heartbeatMs?: number;
  /** Messages a client may have unread before it is dropped. Default 500. */
  readonly maxQueued?: number;
}

interface Client {
  send(chunk: string): void;
  close(): void;
}

const encoder = new TextEncoder();

export class LiveUpdates {
  private readonly clients = new Set<Client>();
  private unsubscribe: (() => void) | null = null;
  private readonly heartbeatMs: number;
  private readonly maxQueued: number;

  constructor(
    private readonly orchestrator: Pick<Orchestrator, 'subscribe'>,
    options: LiveUpdatesOptions = {},
  ) {
    this.heartbeatMs = options.heartbeatMs ?? 15_000;
    this.maxQueued = options.maxQueued ?? 500;
  }

  /** Connected clients (for tests and for the curious). */
  get size(): number {
    return this.clients.size;
  }

  /** A new client's stream; it ends when the client goes away or `close()` is called. */
  open(): ReadableStream<Uint8Array> {
    let client: Client | undefined;
    let heartbeat: ReturnType<typeof setInterval> | undefined;
    const leave = () => {
      if (heartbeat) clearInterval(heartbeat);
      if (client && this.clients.delete(client) && this.clients.size === 0) {
        this.unsubscribe?.();
        this.unsubscribe = null;
      }
    };
    return new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          const self: Client = {
            send: (chunk) => {
              if ((controller.desiredSize ?? 0) <= 0) return self.close(); // too far behind: let it reconnect and reload
              controller.enqueue(encoder.encode(chunk));
            },
            close: () => {
              leave();
              try {
                controller.close();
              } catch {
                /* already closed or cancelled */
              }
            },
          };
          client = self;
          this.clients.add(self);
          this.unsubscribe ??= this.orchestrator.subscribe((rollout) => this.broadcast(rollout));
          // `retry` tells EventSource-style clients how soon to reconnect; `ready` says the stream is live.
          self.send(`retry: 3000\n\nevent: ready\ndata: {"heartbeatMs":${this.heartbeatMs}}\n\n`);
          heartbeat = setInterval(() => self.send(`: heartbeat ${new Date().toISOString()}\n\n`), this.heartbeatMs);
          heartbeat.unref?.();
        },
        cancel: () => leave(),
      },
      { highWaterMark: this.maxQueued },
    );
  }

  /** Ends every stream (local mode's stop). */
  close(): void {
    for (const client of [...this.clients]) client.close();
  }

  private broadcast(rollout: Rollout): void {
    if (this.clients.size === 0) return;
    const message = `event: rollout\nid: ${rollout.id}@${rollout.version}\ndata: ${JSON.stringify(presentRollout(rollout))}\n\n`;
    for (const client of this.clients) client.send(message);
  }
}
