/**
 * The secrets in AWS: one Secrets Manager secret per variable (docs/aws.md), read with GetSecretValue
 * when first used and kept for a short while, so that a value put in after deploying (or rotated) is
 * picked up within `cacheSeconds` without a redeploy. A secret that cannot be read is logged with its
 * variable, its id and why, and answered as SecretUnavailableError (the API's 503); it is asked for
 * again on the next use.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretUnavailableError } from '../../errors';
import type { Logger } from '../../observability/logger';
import type { SecretSource } from '../../ports';

/** The value the stack gives a secret it creates for the user to fill in (docs/aws.md, "The secrets"). */
export const UNSET_SECRET_VALUE = 'rollout-orchestrator: put the value of this secret here (docs/aws.md)';

/** How long a value read is used before it is read again: short, so a new value takes effect soon. */
export const DEFAULT_SECRET_CACHE_SECONDS = 300;

export interface SecretsManagerSecretsOptions {
  readonly client: SecretsManagerClient;
  /** Variable → the secret's name or ARN: the secrets this function may read (`ROLLOUT_SECRETS`). */
  readonly ids: Readonly<Record<string, string>>;
  /** Default DEFAULT_SECRET_CACHE_SECONDS. */
  readonly cacheSeconds?: number;
  readonly now?: () => number;
  readonly logger?: Pick<Logger, 'error'>;
}

interface Cached {
  readonly value: string;
  readonly until: number;
}

export class SecretsManagerSecrets implements SecretSource {
  private readonly cache = new Map<string, Cached>();
  private readonly reading = new Map<string, Promise<string>>();
  private readonly now: () => number;

  constructor(private readonly options: SecretsManagerSecretsOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Nothing is known before reading: the value is read when used. Each function is given only the
   * secrets it reads, while every function loads the whole config.
   */
  problem(): string | null {
    return null;
  }

  read(variable: string): Promise<string> {
    const cached = this.cache.get(variable);
    if (cached && cached.until > this.now()) return Promise.resolve(cached.value);
    let pending = this.reading.get(variable);
    if (!pending) {
      pending = this.fetch(variable).finally(() => this.reading.delete(variable));
      this.reading.set(variable, pending);
    }
    return pending;
  }

  private async fetch(variable: string): Promise<string> {
    const secretId = this.options.ids[variable];
    if (!secretId) throw this.unavailable(variable, null, 'this function is not given that secret (ROLLOUT_SECRETS)');
    let value: string | undefined;
    try {
      ({ SecretString: value } = await this.options.client.send(new GetSecretValueCommand({ SecretId: secretId })));
    } catch (error) {
      throw this.unavailable(variable, secretId, reasonOf(error), error);
    }
    if (!value) throw this.unavailable(variable, secretId, 'it holds no SecretString (a binary or empty secret)');
    if (value === UNSET_SECRET_VALUE) {
      throw this.unavailable(variable, secretId, `it has not been given its value yet: aws secretsmanager put-secret-value --secret-id ${secretId} --secret-string <value>`);
    }
    this.cache.set(variable, { value, until: this.now() + (this.options.cacheSeconds ?? DEFAULT_SECRET_CACHE_SECONDS) * 1000 });
    return value;
  }

  private unavailable(variable: string, secretId: string | null, reason: string, cause?: unknown): SecretUnavailableError {
    // `id`, not `secretId`: the logger redacts fields whose name says secret, and an id is no secret.
    this.options.logger?.error('secret unavailable', { variable, id: secretId, reason });
    const where = secretId ? `secret ${secretId}: ` : '';
    return new SecretUnavailableError(variable, `${where}${reason}`, cause === undefined ? undefined : { cause });
  }
}

/** Secrets Manager's error, said for a person: what is wrong and what to do. */
function reasonOf(error: unknown): string {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  switch (name) {
    case 'ResourceNotFoundException':
      return 'it does not exist (create it, or name an existing one with -c secrets)';
    case 'AccessDeniedException':
      return `this function may not read it (${message})`;
    case 'InvalidRequestException':
      return `it cannot be read now, for example because it is scheduled for deletion (${message})`;
    case 'DecryptionFailure':
      return `its KMS key cannot decrypt it for this function (${message})`;
    default:
      return `${name}: ${message}`;
  }
}
