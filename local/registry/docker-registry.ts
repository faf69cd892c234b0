/**
 * Runs Debian's `docker-registry` (distribution 2.8) on loopback for tests and the demo: a real registry,
 * with its notifications posting push events to our webhook.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, constants, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

export interface DockerRegistryOptions {
  /** Where the registry POSTs its notification envelopes; none when unset. */
  readonly notifyUrl?: string;
  /** Sent as `Authorization: Bearer <token>` with each notification. */
  readonly notifyToken?: string;
  /** Registry storage; default a temp dir removed by `stop()`. */
  readonly dataDir?: string;
  /** Default `/usr/bin/docker-registry`, or `$DOCKER_REGISTRY_BIN`. */
  readonly binary?: string;
  /** Default a free loopback port. */
  readonly port?: number;
  /** Default `warn`: the registry logs every request at `info`. */
  readonly logLevel?: 'error' | 'warn' | 'info' | 'debug';
  /** Default 10 s. */
  readonly startTimeoutMs?: number;
  /**
   * Requires Basic credentials for every request: the lines of an htpasswd file (`user:<bcrypt hash>`;
   * distribution takes bcrypt only). Unset: anyone may pull and push.
   */
  readonly htpasswd?: string;
}

export interface RunningRegistry {
  /** `127.0.0.1:PORT`: the host to put in a config's `registries:`. */
  readonly host: string;
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly dataDir: string;
  /** The config file the registry was started with. */
  readonly configFile: string;
  /** The registry's recent stdout and stderr, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

export async function startDockerRegistry(options: DockerRegistryOptions = {}): Promise<RunningRegistry> {
  const binary = options.binary ?? process.env['DOCKER_REGISTRY_BIN'] ?? '/usr/bin/docker-registry';
  try {
    await access(binary, constants.X_OK);
  } catch {
    throw new Error(`${binary} not found or not executable: install it with \`apt-get install -y docker-registry\``);
  }
  const workDir = await mkdtemp(join(tmpdir(), 'docker-registry-'));
  const dataDir = options.dataDir ?? join(workDir, 'data');
  // A free port can be taken between our probe and the registry's bind: try a few.
  for (let attempt = 1; ; attempt++) {
    // A fixed port already served by another registry would answer our readiness probe for it.
    const port = options.port ?? (await freePort());
    if (options.port !== undefined && !(await isPortFree(port))) {
      await rm(workDir, { recursive: true, force: true });
      throw new Error(`port ${port} is in use on 127.0.0.1: stop whatever listens there (a previous registry?) or pick another port`);
    }
    const configFile = join(workDir, 'config.yml');
    const htpasswdFile = join(workDir, 'htpasswd');
    if (options.htpasswd !== undefined) await writeFile(htpasswdFile, options.htpasswd);
    await writeFile(configFile, stringify(registryConfig(port, dataDir, options, htpasswdFile)));
    try {
      return await launch(binary, configFile, port, dataDir, workDir, options.startTimeoutMs ?? 10_000, options.htpasswd !== undefined);
    } catch (error) {
      const portTaken = /address already in use/i.test((error as Error).message);
      if (!portTaken || options.port !== undefined || attempt === 3) {
        await rm(workDir, { recursive: true, force: true });
        throw error;
      }
    }
  }
}

/** The distribution configuration; see distribution's docs/configuration.md (2.8). */
export function registryConfig(port: number, dataDir: string, options: DockerRegistryOptions, htpasswdFile?: string): Record<string, unknown> {
  const config: Record<string, unknown> = {
    version: 0.1,
    // The access log ignores the level: keep it for `info` and below only.
    log: {
      level: options.logLevel ?? 'warn',
      formatter: 'text',
      accesslog: { disabled: !['info', 'debug'].includes(options.logLevel ?? 'warn') },
    },
    storage: {
      filesystem: { rootdirectory: dataDir },
      delete: { enabled: true },
      maintenance: { uploadpurging: { enabled: false } },
    },
    // A fixed secret silences the "generated random secret" warning; uploads never span instances here.
    http: { addr: `127.0.0.1:${port}`, secret: randomBytes(16).toString('hex') },
  };
  if (options.htpasswd !== undefined) {
    if (!htpasswdFile) throw new Error('registryConfig: htpasswd needs the path of its file');
    config['auth'] = { htpasswd: { realm: 'docker-registry', path: htpasswdFile } };
  }
  if (options.notifyUrl) {
    config['notifications'] = {
      events: { includereferences: true },
      endpoints: [
        {
          name: 'rollout-orchestrator',
          url: options.notifyUrl,
          headers: options.notifyToken ? { Authorization: [`Bearer ${options.notifyToken}`] } : {},
          timeout: '1s',
          threshold: 3,
          backoff: '1s',
          // Blob pushes are octet-stream: the orchestrator only cares about manifests.
          ignoredmediatypes: ['application/octet-stream'],
        },
      ],
    };
  }
  return config;
}

async function launch(
  binary: string,
  configFile: string,
  port: number,
  dataDir: string,
  workDir: string,
  timeoutMs: number,
  /** With htpasswd, `GET /v2/` answers 401 with a Basic challenge once the registry serves. */
  authenticated = false,
): Promise<RunningRegistry> {
  const child = spawn(binary, ['serve', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-8192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(`exited with ${signal ?? code}`));
    child.once('error', (error) => resolve(`failed to start: ${error.message}`));
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    await terminate(child);
    await rm(workDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer yet';
  while (Date.now() < deadline) {
    const state = await Promise.race([exited, sleep(50).then(() => null)]);
    if (state !== null) throw new Error(`docker-registry ${state}:\n${output}`);
    try {
      const response = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1000) });
      await response.body?.cancel();
      const ready = response.status === 200 || (authenticated && response.status === 401 && /^Basic /i.test(response.headers.get('www-authenticate') ?? ''));
      if (ready) {
        return { host: `127.0.0.1:${port}`, url, dataDir, configFile, output: () => output, stop };
      }
      lastError = `GET /v2/ answered ${response.status}`;
    } catch (error) {
      lastError = (error as Error).message;
    }
  }
  await terminate(child);
  throw new Error(`docker-registry did not answer on ${url} within ${timeoutMs} ms (${lastError}):\n${output}`);
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await gone;
  clearTimeout(timer);
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
