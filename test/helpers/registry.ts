/**
 * A real docker-registry per test file: started in `beforeAll`, stopped in `afterAll`. Read its fields
 * inside tests or hooks only; they throw before the registry has started.
 */
import { afterAll, beforeAll } from 'vitest';
import { startDockerRegistry, type DockerRegistryOptions, type RunningRegistry } from '../../local/registry/docker-registry';

export interface RegistryFixture {
  /** `127.0.0.1:PORT`. */
  readonly host: string;
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly running: RunningRegistry;
}

export function useDockerRegistry(options: DockerRegistryOptions | (() => DockerRegistryOptions) = {}): RegistryFixture {
  let running: RunningRegistry | undefined;
  beforeAll(async () => {
    // A function lets options depend on something another beforeAll started (a webhook receiver's port).
    running = await startDockerRegistry(typeof options === 'function' ? options() : options);
  });
  afterAll(async () => {
    await running?.stop();
  });
  const current = (): RunningRegistry => {
    if (!running) throw new Error('the registry is not running: use it inside a test or a hook');
    return running;
  };
  return {
    get host() {
      return current().host;
    },
    get url() {
      return current().url;
    },
    get running() {
      return current();
    },
  };
}
