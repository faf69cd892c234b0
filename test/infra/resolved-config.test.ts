/** The config shipped in every bundle must mean what the deployer's file means. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registryPasswordEnvNames, resolvedConfigDocument, writeResolvedConfig } from '../../infra/resolved-config';
import { bundledConfigFromText, needsFullLoader, readBundledConfig } from '../../shared/config/bundled-config';
import { EnvironmentSecrets } from '../../shared/adapters/environment/environment-secrets';
import { loadConfig } from '../../shared/config/load-config';
import type { AppConfig } from '../../shared/config/types';
import { ConfigError } from '../../shared/errors';
import { publicGoodTrustedRoot } from '../../shared/signature/public-good-trusted-root';
import { resolvePolicy } from '../../shared/signature/policy';
import { configFrom, PUBLIC_PEM, TEST_CONFIG_YAML } from './infra-fixtures';

/**
 * Everything but what only says where the config came from: the file, the keys' names, and the trusted
 * root's source and text (an inline root is re-serialized, so its text and digest differ; its content not).
 */
function meaning(config: AppConfig) {
  return {
    registries: config.registries,
    services: Object.fromEntries(
      Object.entries(config.services).map(([name, s]) => {
        const { trustedRoot, ...verify } = s.verify;
        const root = trustedRoot && { certificateAuthorities: trustedRoot.certificateAuthorities, tlogs: trustedRoot.tlogs };
        return [name, { ...s, tags: s.tags?.source ?? null, verify: { ...verify, keys: verify.keys.map((k) => k.pem), trustedRoot: root } }];
      }),
    ),
  };
}

/** The test config plus a keyless policy with its own trusted root file, Rekor required and a signature deadline. */
async function keylessConfig(): Promise<AppConfig> {
  const root = join(mkdtempSync(join(tmpdir(), 'root-')), 'trusted_root.json');
  writeFileSync(root, publicGoodTrustedRoot().text);
  const verify = [
    'verify:',
    '      keys: [keys/web.pub]',
    '      keyless:',
    '        - { issuer: https://token.actions.githubusercontent.com, subjectRegExp: "https://github.com/acme/.*" }',
    '      rekor: required',
    `      trustedRoot: ${root}`,
    '      waitFor: 5m',
  ].join('\n');
  return configFrom(TEST_CONFIG_YAML.replace('verify: { keys: [keys/web.pub] }\n    steps:\n      - setWeight: 50', `${verify}\n    steps:\n      - setWeight: 50`));
}

describe('the resolved config', () => {
  it('loads again with loadConfig into the same services, registries, steps, keys and roles', async () => {
    const original = await configFrom();
    const file = writeResolvedConfig(original, mkdtempSync(join(tmpdir(), 'resolved-')));
    const reloaded = await loadConfig(file, {});
    expect(meaning(reloaded)).toEqual(meaning(original));
    expect(reloaded.services.web!.tags!.test('v12')).toBe(true);
    expect(reloaded.services.web!.tags!.test('v12-rc')).toBe(false);
  });

  it('carries keyless identities, the Rekor policy, a trusted root read from a file, and the signature deadline', async () => {
    const original = await keylessConfig();
    expect(original.services.worker!.verify.keyless).toHaveLength(1);
    const file = writeResolvedConfig(original, mkdtempSync(join(tmpdir(), 'resolved-')));
    const document = JSON.parse(readFileSync(file, 'utf8')) as { services: Record<string, any> };
    expect(document.services.worker.verify).toMatchObject({
      keyless: [{ issuer: 'https://token.actions.githubusercontent.com', subjectRegExp: 'https://github.com/acme/.*' }],
      rekor: 'required',
      trustedRoot: JSON.parse(publicGoodTrustedRoot().text),
      waitFor: 300,
    });
    expect(document.services.web.verify).not.toHaveProperty('trustedRoot');
    expect(meaning(await loadConfig(file, {}))).toEqual(meaning(original));
  });

  it('inlines the keys as PEM and writes pauses as seconds and tags as their regex source', async () => {
    const document = resolvedConfigDocument(await configFrom()) as { services: Record<string, any> };
    expect(document.services.web).toMatchObject({
      image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/web',
      tags: '^v[0-9]+$',
      verify: { keys: [PUBLIC_PEM] },
      steps: [{ setWeight: 20 }, { pause: { duration: 90 } }, { setWeight: 100 }],
    });
    expect(document.services.worker.steps).toEqual([{ setWeight: 50 }, { pause: {} }, { setWeight: 100 }]);
    expect(document.services.worker).not.toHaveProperty('tags');
  });

  it('names the keys inline[n] once loaded, as any inline key is named', async () => {
    const file = writeResolvedConfig(await configFrom(), mkdtempSync(join(tmpdir(), 'resolved-')));
    expect((await loadConfig(file, {})).services.web!.verify.keys.map((k) => k.id)).toEqual(['inline[0]']);
  });

  it('never writes a registry password, only the variable the stack fills from Secrets Manager', async () => {
    const yaml = TEST_CONFIG_YAML.replace('127.0.0.1:5000: { insecure: true }', '127.0.0.1:5000: { insecure: true, username: ci, password: hunter2 }');
    const config = await configFrom(yaml);
    const file = writeResolvedConfig(config, mkdtempSync(join(tmpdir(), 'resolved-')));
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('hunter2');
    expect(registryPasswordEnvNames(config)).toEqual({ '127.0.0.1:5000': 'ROLLOUT_REGISTRY_PASSWORD_0' });
    expect(JSON.parse(text).registries['127.0.0.1:5000']).toEqual({ insecure: true, username: 'ci', passwordEnv: 'ROLLOUT_REGISTRY_PASSWORD_0' });
    const reloaded = await loadConfig(file, { ROLLOUT_REGISTRY_PASSWORD_0: 'hunter2' });
    expect(reloaded.registries['127.0.0.1:5000']).toMatchObject({ insecure: true, username: 'ci', passwordEnv: 'ROLLOUT_REGISTRY_PASSWORD_0' });
    expect(await reloaded.registries['127.0.0.1:5000']!.password!.value()).toBe('hunter2');
  });

  it('is written to a file named by its content, so an unchanged config keeps the bundles’ hashes', async () => {
    const config = await configFrom();
    const dir = mkdtempSync(join(tmpdir(), 'resolved-'));
    expect(writeResolvedConfig(config, dir)).toBe(writeResolvedConfig(config, dir));
    const other = await configFrom(TEST_CONFIG_YAML.replace('setWeight: 20', 'setWeight: 25'));
    expect(writeResolvedConfig(other, dir)).not.toBe(writeResolvedConfig(config, dir));
  });
});

/**
 * What `loadConfig` gives, made comparable: compiled patterns as their source, and the policy the
 * verifier applies (`resolvePolicy`: the bundled reader leaves the defaults to it), its root as a digest.
 */
function comparable(config: AppConfig) {
  return {
    ...config,
    services: Object.fromEntries(
      Object.entries(config.services).map(([name, s]) => [
        name,
        {
          ...s,
          tags: s.tags?.source ?? null,
          ...(s.tagPolicy ? { tagPolicy: { ...s.tagPolicy, semver: s.tagPolicy.semver?.source ?? null } } : {}),
          verify: { ...s.verify, ...resolvePolicy(s.verify), trustedRoot: resolvePolicy(s.verify).trustedRoot.digest },
        },
      ]),
    ),
  };
}

describe('the bundled config, as the functions read it (JSON.parse, no YAML parser, no schemas)', () => {
  it('is exactly what loadConfig makes of the same file', async () => {
    const yaml = TEST_CONFIG_YAML.replace('127.0.0.1:5000: { insecure: true }', '127.0.0.1:5000: { insecure: true, username: ci, passwordEnv: HUB }').replace(
      "tags: '^v[0-9]+$'",
      () => "tags: '^v[0-9]+$'\n    tagPolicy: { semver: '>=1.4.0 <2', newerThanStable: true }\n    onNewImage: queue\n    approvals: { required: 2, timeout: 1h }",
    );
    const env = { HUB: 'hunter2', ROLLOUT_REGISTRY_PASSWORD_0: 'hunter2' };
    const file = writeResolvedConfig(await configFrom(yaml, env), mkdtempSync(join(tmpdir(), 'resolved-')));
    const loaded = await loadConfig(file, env);
    const read = await readBundledConfig(file, env, new EnvironmentSecrets(env));
    expect(comparable(read)).toEqual(comparable(loaded));
    expect(read.services.web!.tagPolicy!.semver!.test({ major: 1, minor: 5, patch: 0, prerelease: [], text: '1.5.0' } as never)).toBe(true);
    expect(read.services.web!.tags!.test('v12-rc')).toBe(false);
  });

  it('carries keyless identities, and leaves an inline trusted root to the full loader', async () => {
    const file = writeResolvedConfig(await keylessConfig(), mkdtempSync(join(tmpdir(), 'resolved-')));
    expect(needsFullLoader(readFileSync(file, 'utf8'))).toBe(true);
    const loaded = await loadConfig(file, {});
    const read = await readBundledConfig(file, {}, new EnvironmentSecrets({}));
    expect(comparable(read)).toEqual(comparable(loaded));
    expect(read.services.worker!.verify.trustedRoot!.certificateAuthorities).toEqual(loaded.services.worker!.verify.trustedRoot!.certificateAuthorities);
  });

  it('names the field of a broken deployment: a registry password variable the stack did not fill', async () => {
    const yaml = TEST_CONFIG_YAML.replace('127.0.0.1:5000: { insecure: true }', '127.0.0.1:5000: { insecure: true, username: ci, password: hunter2 }');
    const file = writeResolvedConfig(await configFrom(yaml), mkdtempSync(join(tmpdir(), 'resolved-')));
    const none = new EnvironmentSecrets({});
    await expect(readBundledConfig(file, {}, none)).rejects.toThrow(ConfigError);
    await expect(readBundledConfig(file, {}, none)).rejects.toThrow(/registries\.127\.0\.0\.1:5000\.passwordEnv: environment variable ROLLOUT_REGISTRY_PASSWORD_0 is not set/);
    expect(() => bundledConfigFromText('registries: {}', '/var/task/rollout.config.json', none)).toThrow(/is not the JSON the stack writes/);
    await expect(readBundledConfig('/nowhere/rollout.config.json', {}, none)).rejects.toThrow(/cannot read the bundled config: ENOENT/);
    // A YAML file is not the stack's JSON: it goes to the full loader, as `npm start` reads it.
    expect(needsFullLoader('registries: {}\nservices: {}\n')).toBe(true);
  });

  it('carries traffic.alb as is, and leaves notifications, webhook sources and Slack to the full loader', async () => {
    const rule = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/0123456789abcdef/0123456789abcdef/0123456789abcdef';
    const groups = ['blue', 'green'].map((n) => `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-${n}/0123456789abcdef`);
    const withAlb = TEST_CONFIG_YAML.replace("tags: '^v[0-9]+$'", () => `tags: '^v[0-9]+$'\n    traffic: { alb: { listenerRule: ${rule}, targetGroups: [${groups.join(', ')}] } }`);
    const albFile = writeResolvedConfig(await configFrom(withAlb), mkdtempSync(join(tmpdir(), 'resolved-')));
    expect(needsFullLoader(readFileSync(albFile, 'utf8'))).toBe(false);
    const read = await readBundledConfig(albFile, {}, new EnvironmentSecrets({}));
    expect(comparable(read)).toEqual(comparable(await loadConfig(albFile, {})));
    expect(read.services.web!.traffic).toEqual({ alb: { listenerRule: rule, targetGroups: groups } });

    // blueGreen in place of steps: both readers give the same service, the blue-green steps included.
    const preview = rule.replace(/[0-9a-f]{16}$/, 'fedcba9876543210');
    const withBlueGreen = withAlb
      .replace('    steps:\n      - setWeight: 20\n      - pause: { duration: 1m30s }\n      - setWeight: 100\n', '')
      .replace(`targetGroups: [${groups.join(', ')}] } }`, () => `targetGroups: [${groups.join(', ')}] } }\n    blueGreen: { previewListenerRule: ${preview}, autoPromote: true, scaleDownDelay: 2m }`);
    const bgFile = writeResolvedConfig(await configFrom(withBlueGreen), mkdtempSync(join(tmpdir(), 'resolved-')));
    expect(needsFullLoader(readFileSync(bgFile, 'utf8'))).toBe(false);
    const bg = await readBundledConfig(bgFile, {}, new EnvironmentSecrets({}));
    expect(comparable(bg)).toEqual(comparable(await loadConfig(bgFile, {})));
    expect(bg.services.web).toMatchObject({ blueGreen: { previewListenerRule: preview, autoPromote: true, scaleDownDelay: 120 }, steps: [{ setWeight: 0 }] });

    const env = { SLACK_SIGNING_SECRET: 'the-signing-secret-0123', NOTIFY_SECRET: 'notify-secret-0123456789' };
    const withMore = `${TEST_CONFIG_YAML.replace("tags: '^v[0-9]+$'", () => "tags: '^v[0-9]+$'\n    notify: [{ webhook: { url: 'https://hooks.example.com/r', secretEnv: NOTIFY_SECRET } }]")}\nslack: { signingSecretEnv: SLACK_SIGNING_SECRET }\naccess:\n  slack: { team: T0ACME, users: { U0ANN: { person: ann@example.com, role: operator } } }\n`;
    const file = writeResolvedConfig(await configFrom(withMore, env), mkdtempSync(join(tmpdir(), 'resolved-')));
    expect(needsFullLoader(readFileSync(file, 'utf8'))).toBe(true);
    const full = await readBundledConfig(file, env, new EnvironmentSecrets(env));
    expect(await full.slack?.signingSecret.value()).toBe('the-signing-secret-0123');
    expect(full.services.web!.notify?.[0]).toMatchObject({ kind: 'webhook', url: 'https://hooks.example.com/r', secretEnv: 'NOTIFY_SECRET' });
  });
});
