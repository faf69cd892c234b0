import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UNSET_SECRET_VALUE } from '../../shared/adapters/secrets-manager/secrets-manager-secrets';
import { ENV } from '../../functions/wiring/environment';
import { secretVariables } from '../../infra/rollout-secrets';
import { ACCOUNT, configFrom, ECR_HOST, logicalId, nagViolations, REGION, statementsOf, synth } from './infra-fixtures';

/** Every kind of secret the config can name: a registry password, a webhook source's key, a Slack URL and a signing key. */
const YAML = `
registries:
  registry.example.com: { username: ci, passwordEnv: REGISTRY_PASSWORD }
webhooks:
  github: { secretEnv: GITHUB_WEBHOOK_SECRET }
  dockerhub: { tokenEnv: DOCKERHUB_TOKEN }
services:
  web:
    cluster: prod
    service: web
    image: registry.example.com/team/web
    verify: { keys: [keys/web.pub] }
    steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 100 }]
    notify:
      - slack: { webhookUrlEnv: SLACK_WEBHOOK_URL }
      - webhook: { url: https://hooks.example.com/rollouts, secretEnv: NOTIFY_SECRET }
  api:
    cluster: prod
    service: api
    image: ${ECR_HOST}/team/api
    verify: { keys: [keys/web.pub] }
    steps: [{ setWeight: 100 }]
`;
/** What local mode would read from the environment: values that must never reach the template. */
const VALUES = {
  REGISTRY_PASSWORD: 'registry-password-value-1',
  GITHUB_WEBHOOK_SECRET: 'github-webhook-secret-value-2',
  DOCKERHUB_TOKEN: 'dockerhub-token-value-3456789',
  SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T1/B1/slack-url-value-4',
  NOTIFY_SECRET: 'notify-hmac-secret-value-5',
};
const VARIABLES = Object.keys(VALUES);

type Resource = { Properties: Record<string, any>; DeletionPolicy?: string };
const HANDLER = { api: 'index.handler', advance: 'index.advance', recover: 'index.recover', ecrPush: 'index.ecrPush', watchdog: 'index.watchdog' } as const;

async function synthesized(props: Parameters<typeof synth>[1] = {}) {
  const s = synth(await configFrom(YAML, VALUES), props);
  const fn = (handler: string) =>
    (Object.values(s.template.findResources('AWS::Lambda::Function', { Properties: { Handler: handler } }))[0] as Resource).Properties.Environment.Variables as Record<string, unknown>;
  /** ROLLOUT_SECRETS of a function, its tokens resolved to logical ids (`{"VAR":"<id>"}`). */
  const secretsOf = (handler: string): Record<string, string> => {
    const value = fn(handler)[ENV.secrets];
    if (value === undefined) return {};
    const joined = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : `<${(part as { Ref: string }).Ref}>`)).join('');
    return JSON.parse(joined) as Record<string, string>;
  };
  const secretResources = s.template.findResources('AWS::SecretsManager::Secret') as Record<string, Resource>;
  const idOfName = (name: string) => Object.entries(secretResources).find(([, r]) => r.Properties.Name === name)?.[0];
  return { ...s, fn, secretsOf, secretResources, idOfName };
}

describe('the secrets of the stack', () => {
  it('creates one secret per variable the config names, named <stack name>/<VARIABLE>, holding only a placeholder', async () => {
    const { secretResources, idOfName } = await synthesized();
    for (const variable of VARIABLES) {
      const id = idOfName(`Rollout/${variable}`);
      expect(id, variable).toBeDefined();
      expect(secretResources[id!]!.Properties.SecretString).toBe(UNSET_SECRET_VALUE);
      expect(secretResources[id!]!.DeletionPolicy).toBe('Retain');
    }
    // The two tokens and the approval-link key are generated.
    const generated = Object.values(secretResources).filter((r) => r.Properties.GenerateSecretString);
    expect(generated).toHaveLength(3);
  });

  it('gives each function the ids of exactly the secrets it reads, and lets it read exactly those', async () => {
    const s = await synthesized();
    const tokens = [s.stack.orchestrator.tokens.webhookToken, s.stack.orchestrator.tokens.apiToken].map(logicalId);
    const link = logicalId(s.stack.orchestrator.secrets.linkSecret!);
    const own = (variable: string) => `<${s.idOfName(`Rollout/${variable}`)!}>`;
    const notifications = { SLACK_WEBHOOK_URL: own('SLACK_WEBHOOK_URL'), NOTIFY_SECRET: own('NOTIFY_SECRET') };
    // The link key: only where links are signed (Advance, reaching an approval wait) and redeemed (the API).
    const notify = { ...notifications, ROLLOUT_LINK_SECRET: `<${link}>` };
    const registry = { REGISTRY_PASSWORD: own('REGISTRY_PASSWORD') };
    expect(s.secretsOf(HANDLER.api)).toEqual({
      ROLLOUT_WEBHOOK_TOKEN: `<${tokens[0]}>`,
      ROLLOUT_API_TOKEN: `<${tokens[1]}>`,
      ...registry,
      GITHUB_WEBHOOK_SECRET: own('GITHUB_WEBHOOK_SECRET'),
      DOCKERHUB_TOKEN: own('DOCKERHUB_TOKEN'),
      ...notify,
    });
    expect(s.secretsOf(HANDLER.advance)).toEqual({ ...registry, ...notify });
    expect(s.secretsOf(HANDLER.ecrPush)).toEqual({ ...registry, ...notifications });
    expect(s.secretsOf(HANDLER.recover)).toEqual(notifications);
    expect(s.secretsOf(HANDLER.watchdog)).toEqual(notifications);
    for (const handler of Object.values(HANDLER)) {
      const reads = statementsOf(s.template, handler).filter((st) => JSON.stringify(st.Action).includes('secretsmanager'));
      const expected = Object.values(s.secretsOf(handler)).map((id) => id.slice(1, -1)).sort();
      expect(reads.map((st) => [st.Sid, st.Action]), handler).toEqual([['ReadSecrets', 'secretsmanager:GetSecretValue']]);
      expect((reads[0]!.Resource as { Ref: string }[]).map((r) => r.Ref).sort(), handler).toEqual(expected);
    }
  });

  it('holds no secret value in any Lambda environment variable, the template or the bundled config: only secret ids', async () => {
    const s = await synthesized();
    const allowed = new Set([ENV.table, ENV.stateMachine, ENV.config, ENV.secrets, ENV.intakeFunction, 'ROLLOUT_PUBLIC_URL', 'NODE_OPTIONS']);
    for (const handler of ['index.handler', 'index.advance', 'index.awaitApproval', 'index.recover', 'index.alarmStateChange', 'index.ecrPush', 'index.ecsEvent', 'index.watchdog']) {
      expect(Object.keys(s.fn(handler)).filter((name) => !allowed.has(name as never)), handler).toEqual([]);
    }
    const texts = [JSON.stringify(s.template.toJSON()), readFileSync(s.stack.orchestrator.bundledConfigFile, 'utf8')];
    for (const value of Object.values(VALUES)) for (const text of texts) expect(text).not.toContain(value);
    // The bundled config names the variables, which the functions read through Secrets Manager.
    const bundled = JSON.parse(texts[1]!) as Record<string, any>;
    expect(bundled.registries['registry.example.com']).toEqual({ insecure: false, username: 'ci', passwordEnv: 'REGISTRY_PASSWORD' });
    expect(bundled.webhooks).toEqual({ github: { secretEnv: 'GITHUB_WEBHOOK_SECRET', signatureHeader: 'X-Hub-Signature-256' }, dockerhub: { tokenEnv: 'DOCKERHUB_TOKEN' } });
    expect(bundled.services.web.notify.map((t: object) => Object.keys(t)[0])).toEqual(['slack', 'webhook']);
  });

  it('uses an existing secret named by secrets instead of creating one, by name or ARN, and secrets wins over registryPasswordSecrets', async () => {
    const arn = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:team/slack-AbC123`;
    const s = await synthesized({
      secrets: { SLACK_WEBHOOK_URL: arn, REGISTRY_PASSWORD: 'team/registry' },
      registryPasswordSecrets: { 'registry.example.com': 'legacy/registry' },
    });
    expect(s.idOfName('Rollout/SLACK_WEBHOOK_URL')).toBeUndefined();
    expect(s.idOfName('Rollout/REGISTRY_PASSWORD')).toBeUndefined();
    expect(s.secretsOf(HANDLER.advance)).toMatchObject({ SLACK_WEBHOOK_URL: arn, REGISTRY_PASSWORD: 'team/registry' });
    const resources = JSON.stringify(statementsOf(s.template, HANDLER.advance).find((st) => st.Sid === 'ReadSecrets')!.Resource);
    expect(resources).toContain(arn);
    expect(resources).toContain(':secret:team/registry-??????');
    expect(JSON.stringify(s.template.toJSON())).not.toContain('legacy/registry');
  });

  it('keeps -c registryPasswordSecrets working for a registry password', async () => {
    const s = await synthesized({ registryPasswordSecrets: { 'registry.example.com': 'legacy/registry' } });
    expect(s.secretsOf(HANDLER.ecrPush)).toMatchObject({ REGISTRY_PASSWORD: 'legacy/registry' });
  });

  it('names a password written in the file by position, read where signatures are verified; nothing else without notify', async () => {
    const yaml = YAML.replace('{ username: ci, passwordEnv: REGISTRY_PASSWORD }', '{ username: ci, password: in-the-file }').replace(/ {4}notify:\n( {6}- .*\n)+/, '');
    const { variables, notifies } = secretVariables(await configFrom(yaml, VALUES));
    expect(Object.fromEntries(variables)).toEqual({
      ROLLOUT_REGISTRY_PASSWORD_0: ['api', 'advance', 'ecrPush'],
      GITHUB_WEBHOOK_SECRET: ['api'],
      DOCKERHUB_TOKEN: ['api'],
    });
    expect(notifies).toBe(false);
  });

  it('refuses a secret for a variable the config does not name', async () => {
    await expect(synthesized({ secrets: { TYPO_PASSWORD: 'x' } })).rejects.toThrow(/secrets names TYPO_PASSWORD, which the config does not name \(it names REGISTRY_PASSWORD, /);
  });

  it('points approval links at the API, and passes cdk-nag', async () => {
    const s = await synthesized();
    expect(s.fn(HANDLER.watchdog).ROLLOUT_PUBLIC_URL).toMatchObject({ 'Fn::Join': expect.anything() });
    expect(nagViolations(s.stack)).toEqual([]);
  });
});
