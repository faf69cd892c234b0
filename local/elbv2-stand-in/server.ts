/** Serves the ELBv2 stand-in on loopback for the real `ElasticLoadBalancingV2Client` to reach through its `endpoint` option. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ElbV2StandIn, type ElbV2StandInOptions } from './stand-in';
import { handleQuery } from './wire';

export interface StartElbV2StandInOptions extends ElbV2StandInOptions {
  /** Serve this stand-in instead of creating one from the other options. */
  readonly standIn?: ElbV2StandIn;
  /** Default 0: an ephemeral port. */
  readonly port?: number;
  /** Default `127.0.0.1`. */
  readonly host?: string;
}

export interface RunningElbV2StandIn {
  /** e.g. `http://127.0.0.1:43127`. */
  readonly endpoint: string;
  readonly standIn: ElbV2StandIn;
  close(): Promise<void>;
}

const readBody = async (request: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

/** A node:http listener answering ELBv2 calls; mount it on any server. */
export const elbV2RequestListener =
  (standIn: ElbV2StandIn) =>
  (request: IncomingMessage, response: ServerResponse): void => {
    readBody(request)
      .then((body) => {
        const answer = handleQuery(standIn, {
          method: request.method ?? 'GET',
          path: request.url ?? '/',
          contentType: request.headers['content-type'],
          body,
        });
        response.writeHead(answer.status, answer.headers).end(answer.body);
      })
      .catch(() => response.destroy());
  };

export async function startElbV2StandIn(options: StartElbV2StandInOptions = {}): Promise<RunningElbV2StandIn> {
  const standIn = options.standIn ?? new ElbV2StandIn(options);
  const host = options.host ?? '127.0.0.1';
  const server = createServer(elbV2RequestListener(standIn));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${host}:${port}`,
    standIn,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
