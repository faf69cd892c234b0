/** Serves an emulator on loopback for the real `ECSClient` to reach through its `endpoint` option. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EcsEmulator, type EcsEmulatorOptions } from './emulator';
import { handleWire } from './wire';

export interface StartEcsEmulatorOptions extends EcsEmulatorOptions {
  /** Serve this emulator instead of creating one from the other options. */
  readonly emulator?: EcsEmulator;
  /** Default 0: an ephemeral port. */
  readonly port?: number;
  /** Default `127.0.0.1`. */
  readonly host?: string;
}

export interface RunningEcsEmulator {
  /** e.g. `http://127.0.0.1:43127`, for `new ECSClient({ endpoint })`. */
  readonly endpoint: string;
  readonly emulator: EcsEmulator;
  close(): Promise<void>;
}

const readBody = async (request: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

/** A node:http listener answering ECS calls; mount it on any server. */
export const ecsRequestListener =
  (emulator: EcsEmulator) =>
  (request: IncomingMessage, response: ServerResponse): void => {
    readBody(request)
      .then((body) => {
        const target = request.headers['x-amz-target'];
        const answer = handleWire(emulator, {
          method: request.method ?? 'GET',
          path: request.url ?? '/',
          target: Array.isArray(target) ? target[0] : target,
          body,
        });
        response.writeHead(answer.status, answer.headers).end(answer.body);
      })
      .catch(() => response.destroy());
  };

export const startEcsEmulator = async (options: StartEcsEmulatorOptions = {}): Promise<RunningEcsEmulator> => {
  const emulator = options.emulator ?? new EcsEmulator(options);
  const host = options.host ?? '127.0.0.1';
  const server = createServer(ecsRequestListener(emulator));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${host}:${port}`,
    emulator,
    close: () =>
      new Promise<void>((resolve, reject) => {
        // The SDK keeps connections alive; without this, close() waits for them to time out.
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
};
