/** `webhooks:` and `tagPolicy:` in the config file (shared/config/webhooks-schema.ts). */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { configWith, load, problems } from '../config/config-fixtures';

const env = { GITHUB_WEBHOOK_SECRET: 'g'.repeat(32), HUB_TOKEN: 'h'.repeat(32), CI_SECRET: 'c'.repeat(32), SHORT: 'short' };

describe('webhooks:', () => {
  it('loads per-source tokens and secrets from the environment, with defaults for the rest', async () => {
    const config = await load(
      configWith({}, {
        webhooks: {
          github: { secretEnv: 'GITHUB_WEBHOOK_SECRET' },
          dockerhub: { tokenEnv: 'HUB_TOKEN' },
          generic: { secretEnv: 'CI_SECRET', timestampHeader: 'X-Rollout-Timestamp' },
          quay: { enabled: false },
          harbor: null,
        },
      }),
      { env },
    );
    const { github, dockerhub, generic, quay, harbor, ecr } = config.webhooks ?? {};
    expect(github).toMatchObject({ enabled: true, auth: { kind: 'hmac', env: 'GITHUB_WEBHOOK_SECRET', signatureHeader: 'X-Hub-Signature-256', timestampHeader: null } });
    expect(github?.auth?.kind === 'hmac' && (await github.auth.secret.value())).toBe(env.GITHUB_WEBHOOK_SECRET);
    expect(dockerhub).toMatchObject({ enabled: true, auth: { kind: 'token', env: 'HUB_TOKEN' } });
    expect(generic).toMatchObject({ auth: { kind: 'hmac', signatureHeader: 'X-Signature-256', timestampHeader: 'X-Rollout-Timestamp' } });
    expect(quay).toEqual({ enabled: false, auth: null });
    expect(harbor).toEqual({ enabled: true, auth: null });
    expect(ecr).toEqual({ enabled: true, auth: null });
    // Printing or logging the config shows no secret.
    for (const shown of [JSON.stringify(config), inspect(config, { depth: 20 })]) {
      for (const value of Object.values(env)) if (value.length > 8) expect(shown).not.toContain(value);
    }
  });

  it('is optional: without it every source takes the shared webhook token', async () => {
    expect((await load(configWith())).webhooks).toBeUndefined();
    expect((await load(configWith({}, { webhooks: null }))).webhooks).toBeUndefined();
  });

  it('refuses secrets in the file, without echoing them', async () => {
    const found = await problems(configWith({}, { webhooks: { github: { secret: 'hunter2-in-the-file' }, dockerhub: { token: 'also-in-the-file' } } }), { env });
    expect(found).toEqual([
      expect.stringMatching(/webhooks\.github\.secret.*secrets never go in the config file: put it in an environment variable and name that variable in secretEnv/),
      expect.stringMatching(/webhooks\.dockerhub\.token.*name that variable in tokenEnv/),
    ]);
    expect(found.join('\n')).not.toMatch(/hunter2|also-in-the-file/);
  });

  it.each([
    [{ github: { secretEnv: 'MISSING' } }, /webhooks\.github\.secretEnv.*environment variable MISSING is not set/],
    [{ github: { secretEnv: 'SHORT' } }, /environment variable SHORT holds fewer than 16 characters/],
    [{ github: { tokenEnv: 'HUB_TOKEN' } }, /webhooks\.github\.tokenEnv.*GitHub cannot send a token: use secretEnv/],
    [{ dockerhub: { secretEnv: 'CI_SECRET' } }, /webhooks\.dockerhub\.secretEnv.*Docker Hub cannot sign its deliveries: use tokenEnv, and put \?token=<token> in the webhook URL/],
    [{ quay: { secretEnv: 'CI_SECRET' } }, /Quay cannot sign/],
    [{ generic: { tokenEnv: 'HUB_TOKEN', secretEnv: 'CI_SECRET' } }, /give tokenEnv or secretEnv, not both/],
    [{ ecr: { tokenEnv: 'HUB_TOKEN', timestampHeader: 'X-Time' } }, /webhooks\.ecr\.timestampHeader.*applies to signed deliveries only/],
    [{ generic: { secretEnv: 'CI_SECRET', signatureHeader: 'X Sig' } }, /signatureHeader.*must be an HTTP header name/],
    [{ dockerHub: { tokenEnv: 'HUB_TOKEN' } }, /dockerHub/],
    [{ github: { secretEnv: 'lower-case not allowed' } }, /must be an environment variable name/],
  ])('refuses %j', async (webhooks, message) => {
    expect((await problems(configWith({}, { webhooks }), { env })).join('\n')).toMatch(message);
  });
});

describe('tagPolicy:', () => {
  it('loads a semver range and newerThanStable', async () => {
    const config = await load(configWith({ tagPolicy: { semver: '>=1.4.0 <2', newerThanStable: true } }));
    const policy = config.services.web?.tagPolicy;
    expect(policy).toMatchObject({ newerThanStable: true, semver: { source: '>=1.4.0 <2' } });
    expect((await load(configWith({ tagPolicy: {} }))).services.web?.tagPolicy).toEqual({ semver: null, newerThanStable: false });
    expect((await load(configWith())).services.web?.tagPolicy).toBeUndefined();
  });

  it.each([
    [{ semver: '>=banana' }, /services\.web\.tagPolicy\.semver.*is not a semver range: ">=banana" is not a version or comparator/],
    [{ semver: '' }, /must not be empty: omit semver to deploy every version/],
    [{ newerThanStable: 'yes' }, /newerThanStable/],
    [{ semverr: '^1' }, /semverr/],
  ])('refuses %j', async (tagPolicy, message) => {
    expect((await problems(configWith({ tagPolicy }))).join('\n')).toMatch(message);
  });
});
