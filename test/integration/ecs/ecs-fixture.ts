/**
 * One ECS emulator on loopback per test file, a fresh one per test when asked: the real `ECSClient`
 * talks to it over HTTP, and the clock only moves when a test moves it.
 */
import { ECSClient } from '@aws-sdk/client-ecs';
import { afterEach } from 'vitest';
import { startEcsEmulator, type EcsEmulator, type EcsEmulatorOptions } from '../../../local/ecs-emulator';

export const T0 = Date.UTC(2026, 0, 15, 9, 0, 0);

export interface EcsFixture {
  readonly endpoint: string;
  readonly emulator: EcsEmulator;
  /** No SDK retries: a test sees each injected fault exactly once. */
  readonly client: ECSClient;
  /** Moves the emulator's clock forward. */
  advance(ms: number): void;
  now(): number;
}

export const clientFor = (endpoint: string, extra: Partial<ConstructorParameters<typeof ECSClient>[0]> = {}): ECSClient =>
  new ECSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    maxAttempts: 1,
    ...extra,
  });

/** Call at the top of a test file; `start()` in a test gives a new emulator, closed after the test. */
export function useEcsEmulator(): { start(options?: EcsEmulatorOptions): Promise<EcsFixture> } {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
  });
  return {
    async start(options = {}) {
      let time = T0;
      const running = await startEcsEmulator({ taskStartMs: 1000, now: () => time, ...options });
      const client = clientFor(running.endpoint);
      cleanups.push(async () => {
        client.destroy();
        await running.close();
      });
      return {
        endpoint: running.endpoint,
        emulator: running.emulator,
        client,
        advance: (ms) => {
          time += ms;
        },
        now: () => time,
      };
    },
  };
}
