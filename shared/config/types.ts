import type { StepSpec } from '../core/steps';

/** A cosign public key, loaded: `id` is how the config names it (the path as written, or `inline[n]`). */
export interface VerificationKey {
  readonly id: string;
  readonly pem: string;
}

export interface RegistryConfig {
  /** Plain HTTP is allowed only for registries marked insecure. */
  readonly insecure: boolean;
  /** Basic credentials for the registry's token service, when it needs them. */
  readonly username?: string;
  readonly password?: string;
}

export interface ServiceConfig {
  /** The key under `services:`. */
  readonly name: string;
  readonly cluster: string;
  readonly service: string;
  /** The container whose image changes; when unset the task definition must have exactly one container. */
  readonly container?: string;
  /** `image` as written: registry host + repository. */
  readonly image: string;
  readonly registry: string;
  readonly repository: string;
  /** Which pushed tags deploy; null: every tag (cosign's own tags never do). */
  readonly tags: RegExp | null;
  readonly verify: { readonly keys: readonly VerificationKey[] };
  readonly steps: readonly StepSpec[];
  readonly alarms: readonly string[];
  /** Local mode only: how the emulated service starts. */
  readonly local: { readonly desiredCount: number; readonly image: string | null };
}

export interface AppConfig {
  /** Absolute path of the file it was loaded from. */
  readonly file: string;
  readonly registries: Readonly<Record<string, RegistryConfig>>;
  readonly services: Readonly<Record<string, ServiceConfig>>;
}
