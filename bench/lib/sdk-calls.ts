/**
 * Counts the AWS SDK calls the orchestrator makes (DynamoDB, ECS), by wrapping the clients' `send` on
 * their prototypes for as long as counting is on; a counter only, so it costs nothing measurable.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';

type Sender = { name: string; prototype: { send: (...args: unknown[]) => unknown } };

export interface SdkCallCounter {
  readonly counts: Record<string, number>;
  total(prefix?: string): number;
  reset(): void;
  restore(): void;
}

/**
 * `named`: a key of its own for the calls it names (the command object as sent), to tell a benchmark's
 * own calls from the orchestrator's; the others are counted under `<service> <operation>`.
 */
export function countSdkCalls(named: (service: string, command: object) => string | undefined = () => undefined): SdkCallCounter {
  const counts: Record<string, number> = {};
  const restores: (() => void)[] = [];
  for (const client of [DynamoDBClient, ECSClient] as unknown as Sender[]) {
    const original = client.prototype.send;
    const service = client.name.replace(/Client$/, '');
    client.prototype.send = function (this: unknown, ...args: unknown[]) {
      const command = args[0] as object;
      const key = named(service, command) ?? `${service} ${command.constructor.name.replace(/Command$/, '')}`;
      counts[key] = (counts[key] ?? 0) + 1;
      return original.apply(this, args);
    };
    restores.push(() => {
      client.prototype.send = original;
    });
  }
  return {
    counts,
    total: (prefix = '') => Object.entries(counts).reduce((n, [k, v]) => n + (k.startsWith(prefix) ? v : 0), 0),
    reset: () => {
      for (const k of Object.keys(counts)) delete counts[k];
    },
    restore: () => restores.forEach((r) => r()),
  };
}
