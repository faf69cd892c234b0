/** Serves the ELBv2 stand-in on loopback for the real `ElasticLoadBalancingV2Client` to reach through its `endpoint` option. */
import type { RequestListener } from 'node:http';
import type { InProcessHandler } from '../sdk/in-process-handler';
import { type LoopbackOptions, type WireAnswerer, serveWire, wireListener } from '../sdk/loopback-server';
import { ElbV2StandIn, type ElbV2StandInOptions } from './stand-in';
import { handleQuery } from './wire';

export interface StartElbV2StandInOptions extends ElbV2StandInOptions, LoopbackOptions {
  /** Serve this stand-in instead of creating one from the other options. */
  readonly standIn?: ElbV2StandIn;
}

export interface RunningElbV2StandIn {
  /** e.g. `http://127.0.0.1:43127`. */
  readonly endpoint: string;
  readonly standIn: ElbV2StandIn;
  /** For a client in this process: the same answers without a socket (local/sdk/in-process-handler.ts). */
  readonly requestHandler: InProcessHandler;
  close(): Promise<void>;
}

/** The stand-in's answer to an ELBv2 request. */
const elbV2Answer =
  (standIn: ElbV2StandIn): WireAnswerer =>
  (request) => {
    const contentType = request.headers['content-type'];
    return handleQuery(standIn, { method: request.method, path: request.path, contentType, body: request.body });
  };

/** A node:http listener answering ELBv2 calls; mount it on any server. */
export const elbV2RequestListener = (standIn: ElbV2StandIn): RequestListener => wireListener(elbV2Answer(standIn));

export async function startElbV2StandIn(options: StartElbV2StandInOptions = {}): Promise<RunningElbV2StandIn> {
  const standIn = options.standIn ?? new ElbV2StandIn(options);
  const server = await serveWire(elbV2Answer(standIn), options);
  return { endpoint: server.endpoint, standIn, requestHandler: server.requestHandler, close: () => server.close() };
}
