/**
 * A secret the config names (a registry password, a webhook token or HMAC key, a notification
 * credential): its value is read through the `SecretSource` when it is used, so that in AWS a value put
 * into Secrets Manager after deploying is picked up without a restart. It never prints: `String()`,
 * `JSON.stringify` and `console.log` all show `[redacted]`.
 */
import { inspect } from 'node:util';
import type { SecretSource } from '../ports';

export class Secret {
  readonly #read: () => Promise<string>;
  /** The environment variable it is read from; null for a value written in the file itself. */
  readonly variable: string | null;

  /** A fixed value (a password written in the file, a test's secret). */
  constructor(value: string);
  /** The value of `variable`, read from `source` at each use (the source caches). */
  constructor(variable: string, source: SecretSource);
  constructor(valueOrVariable: string, source?: SecretSource) {
    if (source) {
      this.variable = valueOrVariable;
      this.#read = () => source.read(valueOrVariable);
    } else {
      this.variable = null;
      this.#read = () => Promise.resolve(valueOrVariable);
    }
  }

  /** The value; throws SecretUnavailableError when the source cannot give it now. */
  value(): Promise<string> {
    return this.#read();
  }
  toString(): string {
    return '[redacted]';
  }
  toJSON(): string {
    return '[redacted]';
  }
  [inspect.custom](): string {
    return '[redacted]';
  }
}
