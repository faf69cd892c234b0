/**
 * An embedded DynamoDB for local mode and tests: dynalite, reached by the real
 * `@aws-sdk/client-dynamodb`, so the same adapter code runs here and in Lambda. The servers run in one
 * worker thread of their own per process (`dynalite-host.mjs`), so that their work does not share the
 * event loop that answers the API and drives the workflows. Each listens on loopback for clients of
 * other processes; the client `startDynalite` returns hands its requests to the server's thread by
 * message instead (`messageHandler`).
 */
import { mkdir } from 'node:fs/promises';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { Worker } from 'node:worker_threads';
import { InProcessHandler, refused } from '../sdk/in-process-handler';
import type { WireAnswer, WireRequest } from '../sdk/loopback-server';
import { createTableInput } from '../../shared/adapters/dynamodb/table-design';
import { retryResetOnce } from '../sdk/retry-reset-once';
import { finishRebuild, missingIndexes, rebuildTable } from './table-rebuild';
import { sdkClient } from '../../shared/adapters/sdk-client-defaults';

export interface StartDynaliteOptions {
  /** Directory of the LevelDB store, created if missing; data survives restarts. In memory when omitted. */
  readonly path?: string;
  /**
   * Created with the rollout table design when it does not exist; rebuilt with it when it lacks one of
   * its indexes (a store an earlier version wrote: table-rebuild.ts).
   */
  readonly tableName: string;
}

export interface RunningDynalite {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Stops the server and closes the store (flushing it to disk when persisted). */
  close(): Promise<void>;
}

/** How long a new table may stay CREATING; with `createTableMs: 0` it is ACTIVE almost at once. */
const TABLE_ACTIVE_TIMEOUT_MS = 10_000;

export async function startDynalite(options: StartDynaliteOptions): Promise<RunningDynalite> {
  if (options.path !== undefined) await mkdir(options.path, { recursive: true });
  const host = dynaliteHost();
  const id = host.nextId++;
  const { port } = await host.ask<{ port: number }>({ op: 'start', id, ...(options.path === undefined ? {} : { path: options.path }) });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = dynaliteClient(endpoint, messageHandler(host, id));
  const close = async () => {
    client.destroy();
    // A server whose thread is gone is closed already.
    await host.ask({ op: 'close', id }).catch((err: unknown) => {
      if ((err as { code?: unknown }).code !== 'ECONNREFUSED') throw err;
    });
  };
  try {
    await ensureTable(client, options.tableName, options.path === undefined ? undefined : `${options.path}.rebuild.json`);
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
  return { endpoint, client, tableName: options.tableName, close };
}

/** The worker thread that runs this process's dynalite servers, and the answers it still owes. */
interface DynaliteHost {
  nextId: number;
  ask<T extends object = object>(message: { op: 'start' | 'close'; id: number; path?: string } | CallMessage): Promise<T>;
}

/** An HTTP request for one of the host's servers, handed over by message (`messageHandler`). */
interface CallMessage {
  readonly op: 'call';
  readonly id: number;
  readonly server: number;
  readonly method: string;
  readonly url: string;
  readonly headers: WireRequest['headers'];
  readonly body: string;
}

/**
 * The SDK client's transport to a dynalite server of this process (local/sdk/in-process-handler.ts):
 * the request the client built and signed goes to the server's own request listener on its thread by
 * message, and its answer comes back the same way, so that neither thread spends a socket write, a read
 * and an HTTP parse on each call. The server still listens on `endpoint` for clients elsewhere.
 */
function messageHandler(host: DynaliteHost, server: number): InProcessHandler {
  return new InProcessHandler(
    (request) => host.ask<WireAnswer & object>({ op: 'call', id: host.nextId++, server, method: request.method, url: request.path, headers: request.headers, body: request.body }),
    true,
  );
}

let host: DynaliteHost | undefined;

/** Starts the worker on first use; it does not keep the process alive (the servers' clients and the HTTP server do). */
function dynaliteHost(): DynaliteHost {
  if (host) return host;
  const worker = new Worker(new URL('./dynalite-host.mjs', import.meta.url));
  worker.unref();
  const pending = new Map<number, { resolve(value: object): void; reject(err: Error): void }>();
  worker.on('message', (answer: { id: number; error?: string; code?: string }) => {
    const waiter = pending.get(answer.id);
    pending.delete(answer.id);
    // Nothing owed any more: the thread no longer keeps the process alive.
    if (pending.size === 0) worker.unref();
    if (answer.error === undefined) waiter?.resolve(answer);
    else waiter?.reject(Object.assign(new Error(`dynalite: ${answer.error}`), answer.code === undefined ? {} : { code: answer.code }));
  });
  /** Set once the thread is gone: what every later request to it fails with, at once. */
  let dead: Error | null = null;
  const lost = (err: Error) => {
    // A dead host takes its servers with it: the next start begins a new one. Its servers' clients are
    // refused from now on, as a closed port refuses a connection (a 503 from the API, not a hang).
    host = undefined;
    dead ??= refused(`dynalite's thread (${err.message})`);
    for (const waiter of pending.values()) waiter.reject(dead);
    pending.clear();
  };
  worker.on('error', lost);
  worker.on('exit', (code) => lost(new Error(`exited with code ${code}`)));
  const started: DynaliteHost = {
    nextId: 1,
    ask: <T extends object>(message: { op: 'start' | 'close'; id: number; path?: string } | CallMessage) =>
      new Promise<T>((resolve, reject) => {
        if (dead) return reject(dead);
        // A request in flight keeps the process alive until it is answered.
        if (pending.size === 0) worker.ref();
        pending.set(message.id, { resolve: (value) => resolve(value as T), reject });
        worker.postMessage(message);
      }),
  };
  host = started;
  return started;
}

/**
 * A client for a dynalite endpoint: any region and credentials do, dynalite checks neither. Over loopback
 * unless given the handler of a server of this process (`startDynalite`'s client, by message).
 */
export function dynaliteClient(endpoint: string, requestHandler?: InProcessHandler): DynamoDBClient {
  return retryResetOnce(
    sdkClient(DynamoDBClient, {
      endpoint,
      ...(requestHandler ? { requestHandler } : {}),
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      // Loopback never drops a request; retries would only hide a bug in a test. Only a connection
      // dynalite reset (an idle keep-alive socket it closed) is tried once more: the request never reached it
      // (a client that reaches it by message has no connection to reset).
      maxAttempts: 1,
    }),
  );
}

/**
 * Creates the table with the rollout design unless it exists, and waits until it and its indexes are
 * ACTIVE. A table that lacks an index of the design is rebuilt with it, its items kept (through
 * `rebuildFile` when given, so that a rebuild cut short is finished at the next start).
 */
export async function ensureTable(client: DynamoDBClient, tableName: string, rebuildFile?: string): Promise<void> {
  const waitActive = () => waitUntilActive(client, tableName);
  if (rebuildFile !== undefined && (await finishRebuild(client, tableName, rebuildFile, waitActive))) return;
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName)));
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
  }
  await waitActive();
  if ((await missingIndexes(client, tableName)).length > 0) await rebuildTable(client, tableName, rebuildFile, waitActive);
}

async function waitUntilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  const deadline = Date.now() + TABLE_ACTIVE_TIMEOUT_MS;
  for (;;) {
    if (await isActive(client, tableName)) return;
    if (Date.now() > deadline) throw new Error(`table ${tableName} did not become ACTIVE`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function isActive(client: DynamoDBClient, tableName: string): Promise<boolean> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexes = Table?.GlobalSecondaryIndexes ?? [];
    return Table?.TableStatus === 'ACTIVE' && indexes.every((i) => i.IndexStatus === 'ACTIVE');
  } catch (err) {
    if (err instanceof ResourceNotFoundException) return false;
    throw err;
  }
}
