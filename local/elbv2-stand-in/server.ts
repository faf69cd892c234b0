/** Serves the ELBv2 stand-in on loopback for the real `ElasticLoadBalancingV2Client` to reach through its `endpoint` option. */
import type { RequestListener } from 'node:http';
import { type LoopbackOptions, serveOnLoopback, wireListener } from '../sdk/loopback-server';
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
  close(): Promise<void>;
}

/** A node:http listener answering ELBv2 calls; mount it on any server. */
export const elbV2RequestListener = (standIn: ElbV2StandIn): RequestListener =>
  wireListener((request) => {
    const contentType = request.headers['content-type'];
    return handleQuery(standIn, { method: request.method, path: request.path, contentType, body: request.body });
  });

export async function startElbV2StandIn(options: StartElbV2StandInOptions = {}): Promise<RunningElbV2StandIn> {
  const standIn = options.standIn ?? new ElbV2StandIn(options);
  const server = await serveOnLoopback(elbV2RequestListener(standIn), options);
  return { endpoint: server.endpoint, standIn, close: () => server.close() };
}
