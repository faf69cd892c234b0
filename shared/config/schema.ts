/**
 * The config file's schema (docs/configuration.md). It validates and loads in one pass (keys are read, `passwordEnv` is
 * looked up) so that one run reports every problem, each at its own path.
 *
 * Conventions: objects are strict, because a typo such as `stepz:` must not be silently ignored; an
 * optional field left empty in YAML (`tags:`, `alarms:`, a registry with nothing after it) counts as
 * absent, because that is what people mean by it.
 */
import { z } from 'zod';
import type { SecretSource } from '../ports';
import { parseImageName, parseImageReference } from './image-name';
import { isImplicitRegistry } from './known-registries';
import { registriesSchema } from './registries-schema';
import { isPlainObject } from '../plain-object';
import { intBetween, keyedRecord, matching, type Env } from './schema-helpers';
import { accessSchema, type AccessConfig } from './access-schema';
import { notifySchema } from './notifications-schema';
import { type SlackConfig, slackSchema } from './slack-schema';
import { alarmPolicySchema, approvalsSchema, onNewImageSchema, toPolicies } from './policy-schema';
import { durationSchema, stepsSchema } from './steps-schema';
import type { AppConfig, RegistryConfig, ServiceConfig } from './types';
import type { ReadTextFile } from './verification-keys';
import { verifySchema } from './verify-schema';
import { blueGreenSteps } from '../core/blue-green';
import { blueGreenSchema } from './blue-green-schema';
import { placeOf, trafficSchema } from './traffic-schema';
import { tagPolicySchema, webhooksSchema, type WebhooksConfig } from './webhooks-schema';

export interface ConfigSchemaContext {
  /** Directory of the config file: key paths are relative to it. */
  readonly baseDir: string;
  /** Where `passwordEnv` names are looked up. */
  readonly env: Env;
  /** Where every secret the file names is read (`passwordEnv`, `tokenEnv`, `secretEnv`, `webhookUrlEnv`). */
  readonly secrets: SecretSource;
  readonly readFile: ReadTextFile;
}

export const SERVICE_NAME = /^[a-z0-9][a-z0-9-_]*$/;
export const DEFAULT_LOCAL_DESIRED_COUNT = 4;

// ECS accepts a name or the full ARN wherever it takes a cluster or a service.
const ecsNameOrArn = (kind: 'cluster' | 'service') =>
  matching(
    new RegExp(`^(?:[A-Za-z0-9_-]{1,255}|arn:aws[a-z-]*:ecs:[a-z0-9-]+:\\d{12}:${kind}/[A-Za-z0-9_/-]+)$`),
    `must be an ECS ${kind} name (up to 255 letters, digits, '-' and '_') or its ARN`,
  );

function serviceNameProblem(name: string): string | null {
  if (name.length > 63) return 'service name must be at most 63 characters';
  return SERVICE_NAME.test(name) ? null : "service name must be lower-case letters, digits, '-' and '_', starting with a letter or digit";
}

const imageSchema = z.string().transform((image, ctx) => {
  const parsed = parseImageName(image);
  if (parsed.ok) return { image, ...parsed.value };
  ctx.addIssue({ code: 'custom', message: parsed.message, input: image });
  return z.NEVER;
});

const tagsSchema = z.string().transform((pattern, ctx) => {
  if (pattern === '') {
    ctx.addIssue({ code: 'custom', message: 'must not be empty: omit tags to deploy every tag', input: pattern });
    return z.NEVER;
  }
  try {
    return new RegExp(pattern);
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '') : '';
    ctx.addIssue({ code: 'custom', message: `is not a valid regular expression: ${reason}`, input: pattern });
    return z.NEVER;
  }
});

const alarmsSchema = z
  .array(
    z
      .string()
      .min(1)
      .max(255)
      // eslint-disable-next-line no-control-regex
      .regex(/^[^\u0000-\u001f\u007f]*$/, { error: 'must not contain control characters' }),
  )
  .superRefine((alarms, ctx) => {
    alarms.forEach((alarm, i) => {
      if (alarms.indexOf(alarm) < i) ctx.addIssue({ code: 'custom', message: `repeats alarm '${alarm}'`, path: [i], input: alarm });
    });
  });

// An IAM role ARN, path included (role/service-role/web-task); partitions aws, aws-cn, aws-us-gov...
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/(?:[\x21-\x7e]+\/)?[\w+=,.@-]{1,64}$/;

const awsSchema = z.strictObject({
  passRoles: z
    .array(matching(ROLE_ARN, 'must be an IAM role ARN, like arn:aws:iam::123456789012:role/web-task'))
    .superRefine((roles, ctx) => {
      roles.forEach((role, i) => {
        if (roles.indexOf(role) < i) ctx.addIssue({ code: 'custom', message: `repeats role ${role}`, path: [i], input: role });
      });
    })
    .nullish(),
});

const localSchema = z.strictObject({
  desiredCount: intBetween(1, 100).nullish(),
  image: z
    .string()
    .transform((reference, ctx) => {
      const parsed = parseImageReference(reference);
      if (parsed.ok) return reference;
      ctx.addIssue({ code: 'custom', message: parsed.message, input: reference });
      return z.NEVER;
    })
    .nullish(),
});

function serviceSchema(context: ConfigSchemaContext) {
  return z.strictObject({
    cluster: ecsNameOrArn('cluster'),
    service: ecsNameOrArn('service'),
    container: matching(/^[A-Za-z0-9_-]{1,255}$/, "must be a container name (up to 255 letters, digits, '-' and '_')").nullish(),
    image: imageSchema,
    tags: tagsSchema.nullish(),
    tagPolicy: tagPolicySchema.nullish(),
    verify: verifySchema(context),
    // Exactly one of steps and blueGreen (checked across the service: checkStrategy).
    steps: stepsSchema.nullish(),
    alarms: alarmsSchema.nullish(),
    local: localSchema.nullish(),
    aws: awsSchema.nullish(),
    notify: notifySchema(context.secrets).nullish(),
    onNewImage: onNewImageSchema.nullish(),
    steadyTimeout: durationSchema.nullish(),
    alarmPolicy: alarmPolicySchema.nullish(),
    approvals: approvalsSchema.nullish(),
    traffic: trafficSchema.nullish(),
    blueGreen: blueGreenSchema.nullish(),
  });
}

type ParsedFile = {
  readonly registries?: Record<string, RegistryConfig> | null;
  readonly webhooks?: WebhooksConfig | null;
  readonly access?: AccessConfig | null;
  readonly slack?: SlackConfig | null;
  readonly services: Record<string, z.output<ReturnType<typeof serviceSchema>>>;
};

/** Checks across sections; runs on partly invalid input too, so it must not trust any shape. */
function checkAcrossSections(file: Record<string, unknown>, ctx: z.RefinementCtx): void {
  checkSlackSections(file, ctx);
  const listed = isPlainObject(file.registries) ? file.registries : file.registries == null ? {} : undefined;
  if (!isPlainObject(file.services)) return;
  const targets = new Map<string, string>();
  for (const [name, service] of Object.entries(file.services)) {
    if (!isPlainObject(service)) continue;
    checkStrategy(name, service, ctx);
    const { image, cluster, service: ecsService } = service;
    if (listed && isPlainObject(image) && typeof image.registry === 'string') {
      if (!Object.hasOwn(listed, image.registry) && !isImplicitRegistry(image.registry)) {
        ctx.addIssue({
          code: 'custom',
          path: ['services', name, 'image'],
          message: `registry ${image.registry} is not listed under registries (list it; add insecure: true if it serves plain HTTP)`,
          input: image.image,
        });
      }
    }
    if (typeof cluster === 'string' && typeof ecsService === 'string') {
      const target = `${cluster}/${ecsService}`;
      const first = targets.get(target);
      if (first === undefined) targets.set(target, name);
      else {
        ctx.addIssue({
          code: 'custom',
          path: ['services', name, 'service'],
          message: `ECS service ${target} is already deployed by services.${first}: one config entry per ECS service`,
          input: ecsService,
        });
      }
    }
  }
}

/**
 * A service rolls out by `steps` (a canary) or by `blueGreen`, never both; blue-green switches a listener
 * rule, so it needs `traffic.alb` (the production rule and the pair), and its preview rule must be
 * another rule of the same load balancer's region and account.
 */
function checkStrategy(name: string, service: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const at = ['services', name];
  const { steps, blueGreen, traffic } = service;
  if (steps != null && blueGreen != null) {
    ctx.addIssue({ code: 'custom', path: [...at, 'blueGreen'], message: 'cannot be combined with steps: a service rolls out either by steps (a canary) or blue-green; remove one', input: blueGreen });
  }
  if (steps == null && blueGreen == null) {
    ctx.addIssue({ code: 'custom', path: [...at, 'steps'], message: 'must list at least one step, like - setWeight: 100 (or configure blueGreen)', input: steps });
  }
  if (blueGreen == null) return;
  const alb = isPlainObject(traffic) && isPlainObject(traffic.alb) ? traffic.alb : null;
  if (alb === null) {
    ctx.addIssue({ code: 'custom', path: [...at, 'blueGreen'], message: 'needs traffic.alb: the production listener rule (or listener) and the pair of target groups the preview and the switch use', input: blueGreen });
    return;
  }
  const preview = isPlainObject(blueGreen) && typeof blueGreen.previewListenerRule === 'string' ? blueGreen.previewListenerRule : null;
  const production = typeof alb.listenerRule === 'string' ? alb.listenerRule : typeof alb.listener === 'string' ? alb.listener : null;
  if (preview === null || production === null) return;
  if (preview === alb.listenerRule) {
    ctx.addIssue({ code: 'custom', path: [...at, 'blueGreen', 'previewListenerRule'], message: 'is the production rule (traffic.alb.listenerRule): the preview needs a rule of its own, on a test listener', input: preview });
  } else if (placeOf(preview) && placeOf(production) && placeOf(preview) !== placeOf(production)) {
    ctx.addIssue({ code: 'custom', path: [...at, 'blueGreen', 'previewListenerRule'], message: `must be in the region and account of traffic.alb (${placeOf(production)})`, input: preview });
  }
}

/** A Slack app answers clicks only for people `access.slack` names, and `access.slack` needs the app's secret. */
function checkSlackSections(file: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const access = isPlainObject(file.access) ? file.access : null;
  const people = access !== null && access.slack != null;
  if (file.slack != null && !people && (file.access == null || access !== null)) {
    ctx.addIssue({ code: 'custom', path: ['slack'], message: 'needs access.slack: the workspace (team) and the people who may approve from Slack', input: file.slack });
  }
  if (people && file.slack == null) {
    ctx.addIssue({ code: 'custom', path: ['access', 'slack'], message: 'needs slack.signingSecretEnv at the top level: clicks are verified with the Slack app\'s signing secret', input: access.slack });
  }
}

/** Applies defaults: every registry a service uses gets an entry (`{ insecure: false }` when unlisted). */
function toAppConfig(file: ParsedFile): Omit<AppConfig, 'file'> {
  const registries: Record<string, RegistryConfig> = { ...file.registries };
  const services: Record<string, ServiceConfig> = {};
  for (const [name, s] of Object.entries(file.services)) {
    registries[s.image.registry] ??= { insecure: false };
    services[name] = {
      name,
      cluster: s.cluster,
      service: s.service,
      ...(s.container == null ? {} : { container: s.container }),
      image: s.image.image,
      registry: s.image.registry,
      repository: s.image.repository,
      tags: s.tags ?? null,
      ...(s.tagPolicy == null ? {} : { tagPolicy: s.tagPolicy }),
      verify: s.verify,
      // Blue-green runs steps of its own (shared/core/blue-green.ts): the preview, then its approval.
      steps: s.blueGreen == null ? s.steps! : blueGreenSteps(s.blueGreen),
      alarms: s.alarms ?? [],
      local: { desiredCount: s.local?.desiredCount ?? DEFAULT_LOCAL_DESIRED_COUNT, image: s.local?.image ?? null },
      ...(s.aws == null ? {} : { aws: { passRoles: s.aws.passRoles ?? [] } }),
      ...(s.notify == null ? {} : { notify: s.notify }),
      ...(s.traffic == null ? {} : { traffic: s.traffic }),
      ...(s.blueGreen == null ? {} : { blueGreen: s.blueGreen }),
      policies: toPolicies(s),
    };
  }
  return {
    registries,
    services,
    ...(file.webhooks == null ? {} : { webhooks: file.webhooks }),
    ...(file.access == null ? {} : { access: file.access }),
    ...(file.slack == null ? {} : { slack: file.slack }),
  };
}

/**
 * The parsed config with every mapping back in the file's order. zod settles a mapping's entries in the
 * order their async parts finish (a service's key files are read from disk), so `services` came out in
 * the order the reads completed. Services follow the file; registries are the listed ones in the file's
 * order, then the ones only the services name, in the order of the services that first use them. Lists
 * keep their order in zod (each item lands at its index), and `webhooks` is built in a fixed order.
 */
export function keepFileOrder(config: Omit<AppConfig, 'file'>, document: unknown): Omit<AppConfig, 'file'> {
  const keysOf = (value: unknown): string[] => (isPlainObject(value) ? Object.keys(value) : []);
  const file = isPlainObject(document) ? document : {};
  const ordered = <T>(map: Readonly<Record<string, T>>, first: readonly string[]): Record<string, T> => {
    const keys = [...new Set([...first.filter((k) => Object.hasOwn(map, k)), ...Object.keys(map)])];
    return Object.fromEntries(keys.map((k) => [k, map[k]!]));
  };
  const services = ordered(config.services, keysOf(file.services));
  const registries = ordered(config.registries, [...keysOf(file.registries), ...Object.values(services).map((s) => s.registry)]);
  return { ...config, registries, services };
}

/** The schema of the whole file; parse it with `safeParseAsync` (keys are read from disk). */
export function createConfigSchema(context: ConfigSchemaContext) {
  return z
    .strictObject(
      {
        registries: registriesSchema(context.secrets).nullish(),
        webhooks: webhooksSchema(context.secrets).nullish(),
        access: accessSchema.nullish(),
        slack: slackSchema(context.secrets).nullish(),
        services: keyedRecord(serviceSchema(context), serviceNameProblem, { ifEmpty: 'must configure at least one service' }),
      },
      { error: (issue) => (issue.code === 'invalid_type' ? 'the file must be a mapping with registries and services' : undefined) },
    )
    .superRefine(checkAcrossSections, { when: (payload) => isPlainObject(payload.value) })
    .transform(toAppConfig);
}
