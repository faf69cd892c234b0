/**
 * The functions' SecretSource: Secrets Manager, with the secrets the stack gives this function in
 * `ROLLOUT_SECRETS` (a JSON object, variable → secret name or ARN; docs/environment.md). Local mode
 * reads the same variables from its environment (shared/adapters/environment).
 */
import type { Logger } from '../../shared/observability/logger';
import type { SecretSource } from '../../shared/ports';
import { loadOnce } from '../../shared/load-once';
import { ENV } from './environment';
import { sdkClient } from '../../shared/adapters/sdk-client-defaults';

export function secretIdsFrom(env: NodeJS.ProcessEnv): Readonly<Record<string, string>> {
  const text = env[ENV.secrets];
  if (!text) return {};
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || Object.values(parsed).some((v) => typeof v !== 'string')) {
    throw new Error(`environment variable ${ENV.secrets} must be a JSON object of secret ids; the stack sets it`);
  }
  return parsed as Record<string, string>;
}

/**
 * Nothing is known before reading (problem() is always null: each function is given only the secrets
 * it reads, while every function loads the whole config); the Secrets Manager adapter and its client
 * are loaded by the first read, so a function that reads no secret never loads them.
 */
export function lambdaSecrets(env: NodeJS.ProcessEnv, logger: Pick<Logger, 'error'>): SecretSource {
  const ids = secretIdsFrom(env);
  // A failed load is not kept: the next read tries again.
  const adapter = loadOnce<SecretSource>(async () => {
    const [{ SecretsManagerSecrets }, { SecretsManagerClient }] = await Promise.all([
      import('../../shared/adapters/secrets-manager/secrets-manager-secrets'),
      import('@aws-sdk/client-secrets-manager'),
    ]);
    return new SecretsManagerSecrets({ client: sdkClient(SecretsManagerClient), ids, logger });
  });
  return {
    problem: () => null,
    read: async (variable) => (await adapter()).read(variable),
  };
}
