/**
 * The secrets of local mode: environment variables. Missing or short values are reported when the
 * config loads (local mode refuses to start with them), and a read names the variable.
 */
import { SecretUnavailableError } from '../../errors';
import type { SecretSource } from '../../ports';

export class EnvironmentSecrets implements SecretSource {
  constructor(private readonly env: Readonly<Record<string, string | undefined>> = process.env) {}

  problem(variable: string, minLength = 1): string | null {
    const value = this.env[variable];
    if (!value) return `environment variable ${variable} is ${value === undefined ? 'not set' : 'empty'}`;
    if (value.length < minLength) return `environment variable ${variable} holds fewer than ${minLength} characters: use a random value (openssl rand -hex 32)`;
    return null;
  }

  read(variable: string): Promise<string> {
    const value = this.env[variable];
    if (!value) return Promise.reject(new SecretUnavailableError(variable, `environment variable ${variable} is ${value === undefined ? 'not set' : 'empty'}`));
    return Promise.resolve(value);
  }
}
