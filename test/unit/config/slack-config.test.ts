import { describe, expect, it } from 'vitest';
import { configWith, load, problems } from './config-fixtures';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const env = { SLACK_SIGNING_SECRET: SECRET };
const people = { team: 'T0001', users: { U024BE7LH: { person: 'ann@example.com', role: 'operator' } } };

describe('slack and access.slack', () => {
  it('read the signing secret from the environment, and the workspace with its people and default role', async () => {
    const config = await load(configWith({}, { slack: { signingSecretEnv: 'SLACK_SIGNING_SECRET' }, access: { slack: { ...people, defaultRole: 'viewer' } } }), { env });
    expect(config.slack?.signingSecretEnv).toBe('SLACK_SIGNING_SECRET');
    expect(await config.slack?.signingSecret.value()).toBe(SECRET);
    expect(config.access?.slack).toEqual({ ...people, defaultRole: 'viewer' });
    // The secret never prints.
    expect(JSON.stringify(config)).not.toContain(SECRET);
    expect(String(config.slack?.signingSecret)).toBe('[redacted]');
  });

  it('name the field of every problem: the variable, the workspace, a user id, a person, a role', async () => {
    expect(
      await problems(
        configWith({}, {
          slack: { signingSecretEnv: 'SLACK_SIGNING_SECRET', signingSecret: 'x' },
          access: { slack: { team: 'acme', users: { ann: { person: '', role: 'root' } }, defaultRole: 'owner' } },
        }),
        { env },
      ),
    ).toEqual([
      'slack.signingSecret: secrets never go in the config file: put it in an environment variable and name that variable in signingSecretEnv',
      'access.slack.team: must be a Slack workspace id, like T0123ABCD (team.id in what Slack sends)',
      'access.slack.users.ann: must be keyed by a Slack user id, like U024BE7LH (user.id in what Slack sends)',
      'access.slack.users.ann.person: must not be empty',
      'access.slack.users.ann.role: must be one of viewer, operator, admin',
      'access.slack.defaultRole: must be one of viewer, operator, admin',
    ]);
    expect(await problems(configWith({}, { slack: { signingSecretEnv: 'SLACK_SIGNING_SECRET' }, access: { slack: people } }), { env: {} })).toEqual([
      'slack.signingSecretEnv: environment variable SLACK_SIGNING_SECRET is not set',
    ]);
    expect(await problems(configWith({}, { slack: { signingSecretEnv: 'SLACK_SIGNING_SECRET' }, access: { slack: people } }), { env: { SLACK_SIGNING_SECRET: 'short' } })).toEqual([
      'slack.signingSecretEnv: environment variable SLACK_SIGNING_SECRET holds fewer than 16 characters: use a random value (openssl rand -hex 32)',
    ]);
    expect(await problems(configWith({}, { slack: 'SLACK_SIGNING_SECRET', access: { slack: people } }), { env })).toEqual([
      'slack: must be a mapping: { signingSecretEnv: SLACK_SIGNING_SECRET }',
    ]);
  });

  it('need each other: the secret without people, or people without the secret, is refused', async () => {
    expect(await problems(configWith({}, { slack: { signingSecretEnv: 'SLACK_SIGNING_SECRET' } }), { env })).toEqual([
      'slack: needs access.slack: the workspace (team) and the people who may approve from Slack',
    ]);
    expect(await problems(configWith({}, { access: { slack: people } }), { env })).toEqual([
      "access.slack: needs slack.signingSecretEnv at the top level: clicks are verified with the Slack app's signing secret",
    ]);
  });
});
