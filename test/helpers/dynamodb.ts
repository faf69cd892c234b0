/**
 * One in-memory dynalite per test file, a fresh table per test: tests never see each other's items
 * and need no cleanup, and creating a table costs a few milliseconds with `createTableMs: 0`.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import {
  dynaliteClient,
  ensureTable,
  startDynalite,
  type RunningDynalite,
} from '../../local/dynamodb/dynalite-server';
import {
  DynamoRolloutStore,
  type DynamoRolloutStoreOptions,
} from '../../shared/adapters/dynamodb/dynamo-rollout-store';

export interface FreshStore {
  readonly store: DynamoRolloutStore;
  readonly tableName: string;
  /** The server's client, for reading the table directly in assertions. */
  readonly client: DynamoDBClient;
}

export interface DynaliteFixture {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  /** Creates an empty table with the rollout design and returns its name. */
  newTable(): Promise<string>;
  /** A store over a new empty table. */
  newStore(options?: Partial<Omit<DynamoRolloutStoreOptions, 'tableName'>>): Promise<FreshStore>;
  /** Another client of the same server (a second writer, or one with test middleware); destroyed after the file. */
  newClient(): DynamoDBClient;
}

/** Call at the top of a test file: starts dynalite before its tests and stops it after. */
export function useDynalite(): DynaliteFixture {
  let server: RunningDynalite | undefined;
  const extraClients: DynamoDBClient[] = [];
  const running = (): RunningDynalite => {
    if (server === undefined) throw new Error('useDynalite(): use the fixture inside tests or hooks');
    return server;
  };

  beforeAll(async () => {
    server = await startDynalite({ tableName: uniqueTableName() });
  });
  afterAll(async () => {
    for (const client of extraClients) client.destroy();
    await server?.close();
  });

  const fixture: DynaliteFixture = {
    get endpoint() {
      return running().endpoint;
    },
    get client() {
      return running().client;
    },
    async newTable() {
      const tableName = uniqueTableName();
      await ensureTable(running().client, tableName);
      return tableName;
    },
    async newStore(options = {}) {
      const tableName = await fixture.newTable();
      const client = running().client;
      return { store: new DynamoRolloutStore({ client, ...options, tableName }), tableName, client };
    },
    newClient() {
      const client = dynaliteClient(running().endpoint);
      extraClients.push(client);
      return client;
    },
  };
  return fixture;
}

function uniqueTableName(): string {
  return `rollouts-${randomUUID().slice(0, 8)}`;
}
