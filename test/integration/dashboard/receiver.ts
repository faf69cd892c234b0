/** A local HTTP receiver for notifications: records every request with its raw body; answers per path. */
import type { IncomingHttpHeaders } from 'node:http';
import { serveWire } from '../../../local/sdk/loopback-server';

export interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly raw: string;
  readonly json: any;
}

export interface Receiver {
  readonly url: string;
  readonly received: Received[];
  /** Status to answer on a path (default 200). */
  status: Record<string, number>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const status: Record<string, number> = {};
  const server = await serveWire((request) => {
    let json: unknown = null;
    try {
      json = JSON.parse(request.body);
    } catch {
      /* keep raw */
    }
    received.push({ path: request.path, headers: request.headers, raw: request.body, json });
    return { status: status[request.path] ?? 200, headers: { 'content-type': 'text/plain' }, body: 'ok' };
  });
  return { url: server.endpoint, received, status, close: () => server.close() };
}
