/**
 * The config as the Lambda functions read it: the JSON document the stack resolved and validated at
 * synth (infra/resolved-config.ts writes it into every bundle), turned into the same `AppConfig` that
 * `loadConfig` gives with `JSON.parse` and a few conversions: tag filters and semver ranges compiled,
 * registry passwords taken from the variables the stack fills. Where the file leaves the trusted root
 * and the predicate types to their defaults, so does the config: the signature verifier applies them
 * (`resolvePolicy`), so that the signature code and the built-in root load with the verifier, not at
 * a function's start. No YAML parser
 * and no config schemas run at a function's start (docs/architecture.md, "Lambda bundles"); the file
 * was checked by those when the stack was synthesized, so a problem here is a broken deployment and
 * is reported as such, naming the field.
 *
 * Sections whose conversion needs what the schemas do (notification targets, webhook sources, Slack,
 * Notation and AWS Signer trust stores, a trusted root of its own) are not converted by hand here: a document that has any of them
 * is read by the full loader, loaded on first use, so only such deployments pay for it at start; so is
 * a file that is not JSON at all (a YAML config named by `ROLLOUT_CONFIG`).
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors';
import { blueGreenSteps } from '../core/blue-green';
import type { StepSpec } from '../core/steps';
import type { BlueGreenConfig } from './blue-green-schema';
import type { RekorPolicy } from '../signature/policy';
import { RolloutPolicy } from '../core/policy';
import { DEFAULT_STEADY_TIMEOUT_SECONDS } from '../core/steady-timeout';
import type { AccessConfig } from './access-schema';
import { parseImageName } from './image-name';
import type { InsufficientDataPolicy, OnApprovalTimeout, OnNewImage } from './policy-schema';
import { parseRange } from './semver';
import type { AppConfig, RegistryConfig, ServiceConfig, VerifyConfig } from './types';
import type { TagPolicyConfig } from './webhooks-schema';
import type { TrafficConfig } from './traffic-schema';
import type { SecretSource } from '../ports';
import { Secret } from './secret';
import { loadFullConfig } from './full-config-loader';

/** The document's shape (infra/resolved-config.ts `resolvedConfigDocument`): the config file's, fully resolved. */
export interface BundledConfigDocument {
  readonly registries: Readonly<Record<string, { readonly insecure: boolean; readonly username?: string; readonly passwordEnv?: string }>>;
  readonly services: Readonly<Record<string, BundledService>>;
  readonly access?: AccessConfig;
  /** Read by the full loader (see the top of the file). */
  readonly webhooks?: unknown;
  readonly slack?: unknown;
}

interface BundledService {
  readonly cluster: string;
  readonly service: string;
  readonly container?: string;
  readonly image: string;
  readonly tags?: string;
  readonly verify: {
    readonly keys: readonly string[];
    readonly keyless?: readonly { issuer?: string; issuerRegExp?: string; subject?: string; subjectRegExp?: string }[];
    readonly rekor?: RekorPolicy;
    readonly trustedRoot?: unknown;
    readonly predicateTypes?: readonly string[];
    readonly waitFor?: number;
    readonly notation?: unknown;
    readonly awsSigner?: unknown;
    readonly require?: 'any' | 'all';
  };
  /** Absent with blueGreen (the file writes one or the other). */
  readonly steps?: readonly StepSpec[];
  readonly alarms: readonly string[];
  readonly local: { readonly desiredCount: number; readonly image?: string };
  readonly aws?: { readonly passRoles: readonly string[] };
  readonly traffic?: TrafficConfig;
  readonly blueGreen?: BlueGreenConfig;
  readonly notify?: unknown;
  readonly tagPolicy?: { readonly semver?: string; readonly newerThanStable: boolean };
  readonly onNewImage: OnNewImage;
  /** Written only when the file sets it: absent, the default (which `traffic.alb` may raise). */
  readonly steadyTimeout?: number;
  readonly alarmPolicy: { readonly insufficientData: InsufficientDataPolicy };
  readonly approvals: { readonly required: number; readonly onTimeout: OnApprovalTimeout; readonly timeout?: number };
}

/** Reads the bundled file (`ROLLOUT_CONFIG` in Lambda); secrets (registry passwords) are read through `secrets` when used. */
export async function readBundledConfig(file: string, env: NodeJS.ProcessEnv, secrets: SecretSource): Promise<AppConfig> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : String(error);
    throw new ConfigError(file, [`cannot read the bundled config: ${code}`], { cause: error });
  }
  if (needsFullLoader(text)) {
    return loadFullConfig(file, env, secrets);
  }
  return bundledConfigFromText(text, file, secrets);
}

/** Whether the document has a section only the full loader converts (see the top of the file). */
export function needsFullLoader(text: string): boolean {
  let document: BundledConfigDocument;
  try {
    document = JSON.parse(text) as BundledConfigDocument;
  } catch {
    // Not the JSON the stack writes: a config file in YAML (the tests, a hand-made deployment) is read as `npm start` reads it.
    return true;
  }
  if (typeof document !== 'object' || document === null) return false;
  if (document.webhooks !== undefined || document.slack !== undefined) return true;
  return Object.values(typeof document.services === 'object' && document.services ? document.services : {}).some(
    (s) => s?.notify !== undefined || s?.verify?.notation !== undefined || s?.verify?.awsSigner !== undefined || s?.verify?.trustedRoot !== undefined,
  );
}

export function bundledConfigFromText(text: string, file: string, secrets: SecretSource): AppConfig {
  const problems: string[] = [];
  const problem = (at: string, message: string): never => {
    problems.push(`${at}: ${message}`);
    throw new ConfigError(file, problems);
  };
  let document: BundledConfigDocument;
  try {
    document = JSON.parse(text) as BundledConfigDocument;
  } catch (error) {
    throw new ConfigError(file, [`is not the JSON the stack writes: ${error instanceof Error ? error.message : String(error)}`], { cause: error });
  }
  if (typeof document !== 'object' || document === null || typeof document.services !== 'object' || typeof document.registries !== 'object') {
    return problem('(document)', 'must hold registries and services, as the stack writes them');
  }

  const registries: Record<string, RegistryConfig> = {};
  for (const [host, r] of Object.entries(document.registries)) {
    if (r.passwordEnv !== undefined) {
      const why = secrets.problem(r.passwordEnv);
      if (why) problem(`registries.${host}.passwordEnv`, why);
    }
    registries[host] = {
      insecure: r.insecure,
      ...(r.username === undefined ? {} : { username: r.username }),
      ...(r.passwordEnv === undefined ? {} : { password: new Secret(r.passwordEnv, secrets), passwordEnv: r.passwordEnv }),
    };
  }

  const services: Record<string, ServiceConfig> = {};
  for (const [name, s] of Object.entries(document.services)) {
    const at = `services.${name}`;
    const image = parseImageName(s.image);
    if (!image.ok) return problem(`${at}.image`, image.message);
    let tagPolicy: TagPolicyConfig | undefined;
    if (s.tagPolicy) {
      let semver: TagPolicyConfig['semver'] = null;
      if (s.tagPolicy.semver !== undefined) {
        const range = parseRange(s.tagPolicy.semver);
        if (!range.ok) return problem(`${at}.tagPolicy.semver`, `is not a semver range: ${range.message}`);
        semver = range.range;
      }
      tagPolicy = { semver, newerThanStable: s.tagPolicy.newerThanStable };
    }
    services[name] = {
      name,
      cluster: s.cluster,
      service: s.service,
      ...(s.container === undefined ? {} : { container: s.container }),
      image: s.image,
      registry: image.value.registry,
      repository: image.value.repository,
      tags: s.tags === undefined ? null : compile(s.tags, `${at}.tags`, problem),
      ...(tagPolicy === undefined ? {} : { tagPolicy }),
      verify: verifyOf(s.verify),
      steps: s.blueGreen === undefined ? (s.steps ?? []) : blueGreenSteps(s.blueGreen),
      alarms: s.alarms,
      local: { desiredCount: s.local.desiredCount, image: s.local.image ?? null },
      ...(s.aws === undefined ? {} : { aws: { passRoles: s.aws.passRoles } }),
      ...(s.traffic === undefined ? {} : { traffic: { alb: { ...s.traffic.alb, targetGroups: [...s.traffic.alb.targetGroups] } as TrafficConfig['alb'] } }),
      ...(s.blueGreen === undefined ? {} : { blueGreen: { ...s.blueGreen } }),
      policies: {
        onNewImage: s.onNewImage,
        steadyTimeout: s.steadyTimeout ?? DEFAULT_STEADY_TIMEOUT_SECONDS,
        steadyTimeoutConfigured: s.steadyTimeout !== undefined,
        insufficientData: s.alarmPolicy.insufficientData,
        approvals: { required: s.approvals.required, timeout: s.approvals.timeout ?? null, onTimeout: s.approvals.onTimeout },
      },
    };
  }
  return { file, registries, services, ...(document.access ? { access: document.access } : {}) };
}

type Problem = (at: string, message: string) => never;

function compile(pattern: string, at: string, problem: Problem): RegExp {
  try {
    return new RegExp(pattern);
  } catch (error) {
    return problem(at, `is not a valid regular expression: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function verifyOf(v: BundledService['verify']): VerifyConfig {
  return {
    // Inline keys are named by their place in the list, as the loader names any inline key.
    keys: v.keys.map((pem, i) => ({ id: `inline[${i}]`, pem })),
    keyless: (v.keyless ?? []).map((k, i) => ({
      id: `keyless[${i}]`,
      issuer: k.issuer ?? null,
      issuerRegExp: k.issuerRegExp ?? null,
      subject: k.subject ?? null,
      subjectRegExp: k.subjectRegExp ?? null,
    })),
    rekor: v.rekor ?? 'optional',
    // The trusted root is the built-in one (a root of its own goes to the full loader, see the top).
    ...(v.predicateTypes === undefined ? {} : { predicateTypes: v.predicateTypes }),
    waitForSeconds: v.waitFor ?? RolloutPolicy.signatureWaitSeconds,
    ...(v.require === undefined ? {} : { require: v.require }),
  };
}
