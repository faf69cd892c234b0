/** Serves an emulator on loopback for the real `ECSClient` to reach through its `endpoint` option. */
import type { RequestListener } from 'node:http';
import type { InProcessHandler } from '../sdk/in-process-handler';
import { type LoopbackOptions, type WireAnswerer, serveWire, wireListener } from '../sdk/loopback-server';
import { EcsEmulator, type EcsEmulatorOptions } from './emulator';
import { handleWire } from './wire';

export interface StartEcsEmulatorOptions extends EcsEmulatorOptions, LoopbackOptions {
  /** Serve this emulator instead of creating one from the other options. */
  readonly emulator?: EcsEmulator;
}

export interface RunningEcsEmulator {
  /** e.g. `http://127.0.0.1:43127`, for `new ECSClient({ endpoint })`. */
  readonly endpoint: string;
  readonly emulator: EcsEmulator;
  /** For an `ECSClient` in this process: the same answers without a socket (local/sdk/in-process-handler.ts). */
  readonly requestHandler: InProcessHandler;
  close(): Promise<void>;
}

/** The emulator's answer to an ECS request. */
const ecsAnswer =
  (emulator: EcsEmulator): WireAnswerer =>
  (request) => {
    const target = request.headers['x-amz-target'];
    return handleWire(emulator, { method: request.method, path: request.path, target: Array.isArray(target) ? target[0] : target, body: request.body });
  };

/** A node:http listener answering ECS calls; mount it on any server. */
export const ecsRequestListener = (emulator: EcsEmulator): RequestListener => wireListener(ecsAnswer(emulator));

export const startEcsEmulator = async (options: StartEcsEmulatorOptions = {}): Promise<RunningEcsEmulator> => {
  const emulator = options.emulator ?? new EcsEmulator(options);
  const server = await serveWire(ecsAnswer(emulator), options);
  return { endpoint: server.endpoint, emulator, requestHandler: server.requestHandler, close: () => server.close() };
};
