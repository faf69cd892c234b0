/**
 * The config as the Lambda functions read it: one self-contained JSON file written at synth and copied
 * into every bundle. Key files and trusted roots are inlined (a bundle has no `keys/` folder), tag
 * filters are written as their regex source and durations as seconds. The functions read it with
 * `readBundledConfig` (shared/config/bundled-config.ts: `JSON.parse`, no YAML parser, no schemas at
 * init); it stays a valid config file, so `loadConfig` reads the same services back (a test holds the
 * two readers to the same result).
 *
 * No secret enters the file (it lands in the asset bucket and in cdk.out): a registry password, a
 * webhook source's token or key, a notification's credentials and the Slack app's signing secret are named by their variable, which
 * the functions read from Secrets Manager (rollout-secrets.ts).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NotifyTarget } from '../shared/config/notifications-schema';
import { inlineAwsSigner, inlineNotation } from '../shared/config/notation-schema';
import type { AppConfig, RegistryConfig, ServiceConfig, VerifyConfig } from '../shared/config/types';
import type { WebhooksConfig } from '../shared/config/webhooks-schema';
import { publicGoodTrustedRoot } from '../shared/signature/public-good-trusted-root';

/** Where the file sits inside every bundle, and so in Lambda. */
export const BUNDLED_CONFIG_NAME = 'rollout.config.json';
export const BUNDLED_CONFIG_PATH = `/var/task/${BUNDLED_CONFIG_NAME}`;

/** The environment variable that carries the password of the `index`-th registry with credentials. */
export const registryPasswordEnv = (index: number): string => `ROLLOUT_REGISTRY_PASSWORD_${index}`;

/**
 * Registry host → the variable its password is read under, for every registry that has credentials
 * (sorted by host): its `passwordEnv`, or for a password written in the file, `ROLLOUT_REGISTRY_PASSWORD_<n>`.
 */
export function registryPasswordEnvNames(config: AppConfig): Readonly<Record<string, string>> {
  const hosts = Object.keys(config.registries)
    .filter((host) => config.registries[host]?.username !== undefined)
    .sort();
  return Object.fromEntries(hosts.map((host, i) => [host, config.registries[host]!.passwordEnv ?? registryPasswordEnv(i)]));
}

/**
 * Every field of the loaded config, and what the document does with it. A field added to the config
 * types fails to compile here until it is written below, so the bundle never silently drops a setting.
 */
const HANDLED = {
  service: {
    name: 'the key under services', cluster: 'as is', service: 'as is', container: 'as is', image: 'as is',
    registry: 'from image', repository: 'from image', tags: 'regex source', verify: 'see verify', steps: 'as is',
    alarms: 'as is', local: 'as is', aws: 'as is', policies: 'as the file keys onNewImage, steadyTimeout, alarmPolicy, approvals',
    tagPolicy: 'semver as its source', traffic: 'as is', blueGreen: 'as is (scaleDownDelay in seconds), in place of steps', notify: 'as the file writes it: variables, not values; linkTtl in seconds',
  } satisfies Record<keyof ServiceConfig, string>,
  verify: {
    keys: 'PEM', keyless: 'identities without their ids', rekor: 'as is', trustedRoot: 'the document inline, unless built in',
    predicateTypes: 'as is', waitForSeconds: 'as waitFor, in seconds', notation: 'an inline trust policy with inline PEM stores',
    awsSigner: 'profiles, and the root certificates inline', require: 'as is',
  } satisfies Record<keyof VerifyConfig, string>,
  registry: { insecure: 'as is', username: 'as is', password: 'a variable', passwordEnv: 'the variable' } satisfies Record<keyof RegistryConfig, string>,
};
void HANDLED;

/** The JSON document: the config file's shape (docs/configuration.md), with everything resolved. */
export function resolvedConfigDocument(config: AppConfig): Record<string, unknown> {
  const passwordEnv = registryPasswordEnvNames(config);
  const registries = Object.fromEntries(
    Object.entries(config.registries).map(([host, registry]) => [
      host,
      {
        insecure: registry.insecure,
        ...(registry.username === undefined ? {} : { username: registry.username, passwordEnv: passwordEnv[host] }),
      },
    ]),
  );
  const services = Object.fromEntries(
    Object.entries(config.services).map(([name, s]) => [
      name,
      {
        cluster: s.cluster,
        service: s.service,
        ...(s.container === undefined ? {} : { container: s.container }),
        image: s.image,
        ...(s.tags === null ? {} : { tags: s.tags.source }),
        verify: resolvedVerify(s.verify),
        // Steps are already `{setWeight}` or `{pause: {duration?: seconds}}`; a bare number is seconds.
        ...(s.blueGreen === undefined ? { steps: s.steps } : { blueGreen: { ...s.blueGreen } }),
        alarms: s.alarms,
        local: { desiredCount: s.local.desiredCount, ...(s.local.image === null ? {} : { image: s.local.image }) },
        ...(s.aws === undefined ? {} : { aws: { passRoles: s.aws.passRoles } }),
        ...(s.notify?.length ? { notify: s.notify.map(resolvedNotifyTarget) } : {}),
        ...(s.traffic === undefined ? {} : { traffic: { alb: { ...s.traffic.alb, targetGroups: [...s.traffic.alb.targetGroups] } } }),
        ...(s.tagPolicy === undefined
          ? {}
          : { tagPolicy: { ...(s.tagPolicy.semver ? { semver: s.tagPolicy.semver.source } : {}), newerThanStable: s.tagPolicy.newerThanStable } }),
        onNewImage: s.policies.onNewImage,
        // Only when the file sets it, so that a default stays a default (traffic.alb may raise it).
        ...(s.policies.steadyTimeoutConfigured ? { steadyTimeout: s.policies.steadyTimeout } : {}),
        alarmPolicy: { insufficientData: s.policies.insufficientData },
        approvals: {
          required: s.policies.approvals.required,
          onTimeout: s.policies.approvals.onTimeout,
          ...(s.policies.approvals.timeout === null ? {} : { timeout: s.policies.approvals.timeout }),
        },
      },
    ]),
  );
  // `access` holds only token hashes and the OIDC issuer: safe to ship; `webhooks` names variables only.
  const webhooks = config.webhooks ? resolvedWebhooks(config.webhooks) : null;
  // `slack` names the signing secret's variable only; the value is read through the secrets port.
  return {
    registries,
    services,
    ...(config.access ? { access: config.access } : {}),
    ...(webhooks ? { webhooks } : {}),
    ...(config.slack ? { slack: { signingSecretEnv: config.slack.signingSecretEnv } } : {}),
  };
}

/** A notification target as the file writes it: the variable of its secret, never the value. */
function resolvedNotifyTarget(target: NotifyTarget): Record<string, unknown> {
  const common = { name: target.name, on: target.on, linkTtl: target.linkTtlSeconds };
  if (target.kind === 'slack') return { slack: { webhookUrlEnv: target.webhookUrlEnv, ...common } };
  return { webhook: { url: target.url, secretEnv: target.secretEnv, ...common } };
}

/** `webhooks:` as the file writes it, for the sources it configures (the others keep the defaults). */
function resolvedWebhooks(webhooks: WebhooksConfig): Record<string, unknown> | null {
  const entries = Object.entries(webhooks).flatMap(([source, entry]) => {
    if (!entry || (entry.enabled && !entry.auth)) return [];
    const auth = entry.auth;
    const written =
      auth === null
        ? {}
        : auth.kind === 'token'
          ? { tokenEnv: auth.env }
          : { secretEnv: auth.env, signatureHeader: auth.signatureHeader, ...(auth.timestampHeader ? { timestampHeader: auth.timestampHeader } : {}) };
    return [[source, { ...(entry.enabled ? {} : { enabled: false }), ...written }]];
  });
  return entries.length > 0 ? Object.fromEntries(entries) : null;
}

/** `verify:` as the file writes it; a trusted root read from a file travels inline (the bundle has no file). */
function resolvedVerify(verify: VerifyConfig): Record<string, unknown> {
  const root = verify.trustedRoot;
  return {
    keys: verify.keys.map((key) => key.pem),
    ...(verify.keyless?.length
      ? {
          keyless: verify.keyless.map(({ issuer, issuerRegExp, subject, subjectRegExp }) =>
            Object.fromEntries(Object.entries({ issuer, issuerRegExp, subject, subjectRegExp }).filter(([, v]) => v !== null)),
          ),
        }
      : {}),
    ...(verify.rekor === undefined ? {} : { rekor: verify.rekor }),
    ...(root === undefined || root === publicGoodTrustedRoot() ? {} : { trustedRoot: JSON.parse(root.text) as unknown }),
    ...(verify.predicateTypes === undefined ? {} : { predicateTypes: verify.predicateTypes }),
    ...(verify.waitForSeconds === undefined ? {} : { waitFor: verify.waitForSeconds }),
    ...(verify.notation ? { notation: inlineNotation(verify.notation) } : {}),
    ...(verify.awsSigner ? { awsSigner: inlineAwsSigner(verify.awsSigner) } : {}),
    ...(verify.require === undefined ? {} : { require: verify.require }),
  };
}

/**
 * Writes the document to a file named by its content (so repeated synths reuse it and the bundles'
 * output hash changes exactly when the config does) and returns the file's path.
 */
export function writeResolvedConfig(config: AppConfig, dir: string = join(tmpdir(), 'rollout-orchestrator-config')): string {
  const text = `${JSON.stringify(resolvedConfigDocument(config), null, 2)}\n`;
  const folder = join(dir, createHash('sha256').update(text).digest('hex').slice(0, 16));
  mkdirSync(folder, { recursive: true });
  const file = join(folder, BUNDLED_CONFIG_NAME);
  writeFileSync(file, text);
  return file;
}
