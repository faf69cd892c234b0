/**
 * The functions' SecretSource: Secrets Manager, with the secrets the stack gives this function in
 * `ROLLOUT_SECRETS` (a JSON object, variable → secret name or ARN; docs/environment.md). Local mode
 * reads the same variables from its environment (shared/adapters/environment).
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsManagerSecrets } from '../../shared/adapters/secrets-manager/secrets-manager-secrets';
import type { Logger } from '../../shared/observability/logger';
import { ENV } from './environment';

export function secretIdsFrom(env: NodeJS.ProcessEnv): Readonly<Record<string, string>> {
  const text = env[ENV.secrets];
  if (!text) return {};
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || Object.values(parsed).some((v) => typeof v !== 'string')) {
    throw new Error(`environment variable ${ENV.secrets} must be a JSON object of secret ids; the stack sets it`);
  }
  return parsed as Record<string, string>;
}

export function lambdaSecrets(env: NodeJS.ProcessEnv, logger: Pick<Logger, 'error'>): SecretsManagerSecrets {
  return new SecretsManagerSecrets({ client: new SecretsManagerClient({}), ids: secretIdsFrom(env), logger });
}
