import type { StepSpec } from '../core/steps';
import type { NotifyTarget } from './notifications-schema';
import type { AccessConfig } from './access-schema';
import type { ServicePolicies } from './policy-schema';
import type { SlackConfig } from './slack-schema';
import type { AwsSignerPolicy, NotationPolicy, RequireMode } from '../signature/notation/notation-policy';
import type { PolicyInput } from '../signature/policy';
import type { TrafficConfig } from './traffic-schema';
import type { BlueGreenConfig } from './blue-green-schema';
import type { TagPolicyConfig, WebhooksConfig } from './webhooks-schema';
import type { Secret } from './secret';

/** A cosign public key, loaded: `id` is how the config names it (the path as written, or `inline[n]`). */
export interface VerificationKey {
  readonly id: string;
  readonly pem: string;
}

/**
 * `verify:`, loaded (see verify-schema.ts). The loader always sets every field; the optional ones may be
 * left out by code that builds a config by hand (tests), and then take the defaults `resolvePolicy` gives.
 */
export interface VerifyConfig extends PolicyInput {
  /** How long a rollout waits PENDING for a valid signature, in seconds (`waitFor`, default 10m). */
  readonly waitForSeconds?: number;
  /** Notation signatures (`verify.notation`); absent: none trusted. */
  readonly notation?: NotationPolicy;
  /** AWS Signer signatures (`verify.awsSigner`); absent: none trusted. */
  readonly awsSigner?: AwsSignerPolicy;
  /** How the configured mechanisms combine; default `any`. */
  readonly require?: RequireMode;
}

export interface RegistryConfig {
  /** Plain HTTP is allowed only for registries marked insecure. */
  readonly insecure: boolean;
  /** Basic credentials for the registry's token service, when it needs them. */
  readonly username?: string;
  /** Read when the registry asks for credentials (a Secret: never printed). */
  readonly password?: Secret;
  /** The environment variable the password is read from, when the file names one. */
  readonly passwordEnv?: string;
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
  /** Semver range and newer-than-stable (webhooks-schema.ts); absent: no policy beyond `tags`. */
  readonly tagPolicy?: TagPolicyConfig;
  readonly verify: VerifyConfig;
  readonly steps: readonly StepSpec[];
  readonly alarms: readonly string[];
  /** Local mode only: how the emulated service starts. */
  readonly local: { readonly desiredCount: number; readonly image: string | null };
  /** AWS mode only (the CDK stack); absent when the file has no `aws:` section for the service. */
  readonly aws?: ServiceAwsConfig;
  /** Where state changes are announced (notifications-schema.ts); absent: nowhere. */
  readonly notify?: readonly NotifyTarget[];
  /** Traffic routing (traffic-schema.ts); absent: traffic follows task counts on one shared target group. */
  readonly traffic?: TrafficConfig;
  /**
   * Blue-green with a preview rule (blue-green-schema.ts); absent: a canary by `steps`. When present,
   * `steps` are the blue-green steps (shared/core/blue-green.ts), not configured ones.
   */
  readonly blueGreen?: BlueGreenConfig;
  readonly policies: ServicePolicies;
}

export interface ServiceAwsConfig {
  /**
   * IAM role ARNs the orchestrator may pass to ECS (`iam:PassRole` to ecs-tasks.amazonaws.com): the
   * service's task role and task execution role, which each new task definition revision carries over.
   */
  readonly passRoles: readonly string[];
}

export interface AppConfig {
  /** Absolute path of the file it was loaded from. */
  readonly file: string;
  readonly registries: Readonly<Record<string, RegistryConfig>>;
  readonly services: Readonly<Record<string, ServiceConfig>>;
  /** Per-source webhook authentication (webhooks-schema.ts); absent: the shared webhook token everywhere. */
  readonly webhooks?: WebhooksConfig;
  /** Named API tokens and OIDC; absent: only ROLLOUT_API_TOKEN (admin) calls the API. */
  readonly access?: AccessConfig;
  /** The Slack app whose approval buttons this orchestrator answers (slack-schema.ts); absent: Slack messages carry links. */
  readonly slack?: SlackConfig;
}
