/**
 * An embedded DynamoDB for local mode and tests: dynalite on loopback, reached by the real
 * `@aws-sdk/client-dynamodb`, so the same adapter code runs here and in Lambda.
 */
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { createTableInput } from '../../shared/adapters/dynamodb/table-design';
import { retryResetOnce } from '../sdk/retry-reset-once';

export interface StartDynaliteOptions {
  /** Directory of the LevelDB store, created if missing; data survives restarts. In memory when omitted. */
  readonly path?: string;
  /** Created with the rollout table design when it does not exist. */
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
  const server = dynalite({
    ...(options.path === undefined ? {} : { path: options.path }),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // Port 0: the OS picks a free port, so parallel test files and a running local stack never collide.
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = dynaliteClient(endpoint);
  const close = async () => {
    client.destroy();
    await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  };
  try {
    await ensureTable(client, options.tableName);
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
  return { endpoint, client, tableName: options.tableName, close };
}

/** A client for a dynalite endpoint: any region and credentials do, dynalite checks neither. */
export function dynaliteClient(endpoint: string): DynamoDBClient {
  return retryResetOnce(
    new DynamoDBClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      // Loopback never drops a request; retries would only hide a bug in a test. Only a connection
      // dynalite reset (an idle keep-alive socket it closed) is tried once more: the request never reached it.
      maxAttempts: 1,
    }),
  );
}

/** Creates the table with the rollout design unless it exists, and waits until it and its indexes are ACTIVE. */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName)));
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
  }
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
