/** Serves an emulator on loopback for the real `ECSClient` to reach through its `endpoint` option. */
import type { RequestListener } from 'node:http';
import { type LoopbackOptions, serveOnLoopback, wireListener } from '../sdk/loopback-server';
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
  close(): Promise<void>;
}

/** A node:http listener answering ECS calls; mount it on any server. */
export const ecsRequestListener = (emulator: EcsEmulator): RequestListener =>
  wireListener((request) => {
    const target = request.headers['x-amz-target'];
    return handleWire(emulator, { method: request.method, path: request.path, target: Array.isArray(target) ? target[0] : target, body: request.body });
  });

export const startEcsEmulator = async (options: StartEcsEmulatorOptions = {}): Promise<RunningEcsEmulator> => {
  const emulator = options.emulator ?? new EcsEmulator(options);
  const server = await serveOnLoopback(ecsRequestListener(emulator), options);
  return { endpoint: server.endpoint, emulator, close: () => server.close() };
};
