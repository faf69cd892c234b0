/**
 * The local SDK clients retry a request once when its connection is reset, and only once: a stand-in
 * that closed an idle keep-alive socket must not fail the next call.
 */
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { createServer, type Server, type Socket, connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynaliteClient, startDynalite, type RunningDynalite } from '../../../local/dynamodb/dynalite-server';

let dynamo: RunningDynalite;
beforeAll(async () => {
  dynamo = await startDynalite({ tableName: 'reset-retry' });
});
afterAll(async () => dynamo?.close());

/** A TCP proxy to dynalite that resets the first `resets` connections as soon as they send anything. */
async function resettingProxy(resets: number): Promise<{ endpoint: string; connections: () => number; close(): Promise<void> }> {
  const target = new URL(dynamo.endpoint);
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    connections += 1;
    if (connections <= resets) {
      socket.once('data', () => socket.resetAndDestroy());
      return;
    }
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(upstream);
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

describe('a reset connection', () => {
  it('is tried once more, and the call succeeds', async () => {
    const proxy = await resettingProxy(1);
    const client = dynaliteClient(proxy.endpoint);
    try {
      const out = await client.send(new ListTablesCommand({}));
      expect(out.TableNames).toContain('reset-retry');
      expect(proxy.connections()).toBe(2);
    } finally {
      client.destroy();
      await proxy.close();
    }
  });

  it('fails the call when the second attempt is reset too: one retry, no more', async () => {
    const proxy = await resettingProxy(10);
    const client = dynaliteClient(proxy.endpoint);
    try {
      await expect(client.send(new ListTablesCommand({}))).rejects.toMatchObject({ code: 'ECONNRESET' });
      expect(proxy.connections()).toBe(2);
    } finally {
      client.destroy();
      await proxy.close();
    }
  });
});
