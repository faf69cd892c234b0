/**
 * Local mode as a child process, for the kill -9 tests (test/fault/kill-restart*.test.ts): the same
 * `startLocalStack` as `npm start`, on the data directory the parent names, with fast timings, a
 * verifier that verifies every digest and fixed tokens. Prints one JSON line on stdout once listening.
 *
 * Every ECS call that changed something is appended (synchronously, before the answer leaves) to
 * `ecs-ledger.ndjson` in the data directory, as test/helpers/fault-harness.ts's EcsLedger records it:
 * the parent reads it across lives to see that no ECS change was applied twice. A kill can lose the
 * last line (the change applied, the line not written) but never write one twice.
 *
 * Environment: KILL_DATA_DIR, KILL_CONFIG (JSON of the AppConfig), KILL_LIFE (0, 1, ...), and
 * KILL_CLOCK_STEP_MS: the orchestrator's clock runs life × this far ahead of the system clock, as if
 * the process had been down that long before each restart (see test/helpers/kill-restart.ts).
 * KILL_AT (optional): the child kills itself (SIGKILL) at one store write of a rollout's creation, for
 * test/fault/kill-during-creation.test.ts: `record` before the record is written (the delivery's claim
 * is), `created` right after it, `locked` right after the service lock is taken (before the save that
 * records the signature and the start).
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { join } from 'node:path';
import { EcsEmulator } from '../../../local/ecs-emulator';
import { startLocalStack } from '../../../local/local-stack';
import { silentLogger } from '../../../shared/observability/logger';
import type { AppConfig } from '../../../shared/config/types';
import { EcsLedger } from '../../helpers/fault-harness';
import { ScriptedVerifier } from '../../helpers/scripted-verifier';

const dataDir = process.env.KILL_DATA_DIR!;
const config = JSON.parse(process.env.KILL_CONFIG!) as AppConfig;
const life = Number(process.env.KILL_LIFE ?? 0);
const ledgerFile = join(dataDir, 'ecs-ledger.ndjson');
const aheadMs = life * Number(process.env.KILL_CLOCK_STEP_MS ?? 0);

// A line cut by the previous kill ends here, so that this life's lines stay whole.
if (existsSync(ledgerFile)) {
  const text = readFileSync(ledgerFile, 'utf8');
  if (text.length > 0 && !text.endsWith('\n')) appendFileSync(ledgerFile, '\n');
}

// The ledger wraps the emulator's invoke at its first call, so that the calls made while resuming
// (before startLocalStack answers) are recorded too.
const ledger = new EcsLedger();
const protoInvoke = EcsEmulator.prototype.invoke;
EcsEmulator.prototype.invoke = function (this: EcsEmulator, operation: string, input: unknown): unknown {
  Object.defineProperty(this, 'invoke', { value: protoInvoke, writable: true, configurable: true });
  ledger.attach(this);
  const ledgered = this.invoke.bind(this);
  this.invoke = (op: string, body: unknown): unknown => {
    const before = ledger.entries.length;
    try {
      return ledgered(op, body);
    } finally {
      for (const entry of ledger.entries.slice(before)) appendFileSync(ledgerFile, `${JSON.stringify({ ...entry, life })}\n`);
    }
  };
  return this.invoke(operation, input);
};

const killAt = process.env.KILL_AT;
if (killAt) {
  // The key of a put: a rollout's record has sort key RECORD, and its create is conditional on its absence.
  const kindOf = (command: unknown): 'record' | null => {
    if (!(command instanceof PutItemCommand)) return null;
    const item = command.input.Item ?? {};
    return item['sk']?.S === 'RECORD' && command.input.ConditionExpression?.includes('attribute_not_exists') ? 'record' : null;
  };
  const die = (): never => {
    process.kill(process.pid, 'SIGKILL');
    throw new Error('killed');
  };
  const send = DynamoDBClient.prototype.send as (this: DynamoDBClient, ...args: unknown[]) => Promise<unknown>;
  (DynamoDBClient.prototype as unknown as { send: typeof send }).send = function (this: DynamoDBClient, ...args: unknown[]) {
    const kind = kindOf(args[0]);
    if (kind !== null && kind === killAt) return die();
    if (kind === 'record' && killAt === 'created') return send.apply(this, args).then(die);
    const takesLock = args[0] instanceof UpdateItemCommand && args[0].input.Key?.['sk']?.S === 'LOCK' && args[0].input.UpdateExpression?.includes('#holder');
    if (takesLock && killAt === 'locked') return send.apply(this, args).then(die);
    return send.apply(this, args);
  };
}

const stack = await startLocalStack({
  config,
  dataDir,
  port: 0,
  taskStartMs: 20,
  steadyPollMs: 40,
  watchdogIntervalMs: 200,
  // Verifies every digest: no verdict is ever set in the child.
  verifier: new ScriptedVerifier(),
  clock: () => new Date(Date.now() + aheadMs),
  logger: silentLogger,
  webhookToken: 'hook-token',
  apiToken: 'api-token',
  orchestrator: { rollbackBackoffMs: 20, signatureRecheckMs: [5, 10], staleRollbackSeconds: 2 },
});
process.stdout.write(`${JSON.stringify({ url: stack.url, webhookToken: stack.webhookToken, apiToken: stack.apiToken, resumed: stack.resumed, pid: process.pid })}\n`);

process.on('SIGTERM', () => {
  void stack.stop().finally(() => process.exit(0));
});
