import { describe, expect, it } from 'vitest';
import { configWith, load, problems } from '../config/config-fixtures';
import { Secret } from '../../../shared/config/secret';

const env = { SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0/B0/secret', NOTIFY_SECRET: 'a-shared-hmac-secret', SHORT: 'short' };

describe('services.<name>.notify', () => {
  it('loads Slack and signed webhook targets with their defaults, reading secrets from the environment', async () => {
    const config = await load(
      configWith({
        notify: [
          { slack: { webhookUrlEnv: 'SLACK_WEBHOOK_URL' } },
          { webhook: { url: 'https://hooks.example.com/rollouts', secretEnv: 'NOTIFY_SECRET', on: ['PAUSED', 'FAILED'], name: 'ops', linkTtl: '30m' } },
        ],
      }),
      { env },
    );
    expect(config.services.web!.notify).toEqual([
      { kind: 'slack', name: 'slack:SLACK_WEBHOOK_URL', on: ['PAUSED', 'SUCCEEDED', 'ROLLED_BACK', 'REJECTED', 'FAILED'], linkTtlSeconds: 3600, webhookUrlEnv: 'SLACK_WEBHOOK_URL', webhookUrl: expect.any(Secret) },
      { kind: 'webhook', name: 'ops', on: ['PAUSED', 'FAILED'], linkTtlSeconds: 1800, url: 'https://hooks.example.com/rollouts', secretEnv: 'NOTIFY_SECRET', secret: expect.any(Secret) },
    ]);
    const [slack, webhook] = config.services.web!.notify!;
    expect(slack?.kind === 'slack' && (await slack.webhookUrl.value())).toBe(env.SLACK_WEBHOOK_URL);
    expect(webhook?.kind === 'webhook' && (await webhook.secret.value())).toBe(env.NOTIFY_SECRET);
  });

  it('is optional, and empty means none', async () => {
    expect((await load(configWith(), { env })).services.web).not.toHaveProperty('notify');
    expect((await load(configWith({ notify: null }), { env })).services.web).not.toHaveProperty('notify');
  });

  it('names a webhook target after its host by default, and allows plain http to this machine only', async () => {
    const config = await load(configWith({ notify: [{ webhook: { url: 'http://127.0.0.1:8080/hook', secretEnv: 'NOTIFY_SECRET' } }] }), { env });
    expect(config.services.web!.notify![0]).toMatchObject({ name: 'webhook:127.0.0.1:8080' });
  });

  it('reports every problem by path', async () => {
    const found = await problems(
      configWith({
        notify: [
          {},
          { slack: { webhookUrlEnv: 'MISSING_VAR' }, webhook: { url: 'https://a.example', secretEnv: 'NOTIFY_SECRET' } },
          { slack: { webhookUrl: 'https://hooks.slack.com/services/x' } },
          { webhook: { url: 'http://hooks.example.com/x', secretEnv: 'SHORT' } },
          { webhook: { url: 'https://user:pw@hooks.example.com/x', secretEnv: 'NOTIFY_SECRET', on: ['PAUSED', 'STARTED'], linkTtl: '10s' } },
          { teams: {} },
        ],
      }),
      { env },
    );
    expect(found).toEqual([
      'services.web.notify[0]: must be one of slack or webhook',
      'services.web.notify[1]: must be exactly one of slack or webhook, not both',
      'services.web.notify[1].slack.webhookUrlEnv: environment variable MISSING_VAR is not set',
      'services.web.notify[2].slack.webhookUrlEnv: is required',
      "services.web.notify[2].slack: unknown key 'webhookUrl'",
      'services.web.notify[3].webhook.url: must be an https URL (plain http only to 127.0.0.1 or localhost)',
      'services.web.notify[3].webhook.secretEnv: environment variable SHORT holds fewer than 16 characters: use a random value (openssl rand -hex 32)',
      'services.web.notify[4].webhook.url: must not carry credentials: sign with secretEnv instead',
      'services.web.notify[4].webhook.on[1]: must be one of PAUSED, SUCCEEDED, ROLLED_BACK, REJECTED, FAILED',
      'services.web.notify[4].webhook.linkTtl: must be between 1m and 168h',
      'services.web.notify[5]: must be one of slack or webhook',
      "services.web.notify[5]: unknown key 'teams'",
    ]);
  });

  it('refuses two targets of one service with the same name', async () => {
    const slack = { slack: { webhookUrlEnv: 'SLACK_WEBHOOK_URL' } };
    expect(await problems(configWith({ notify: [slack, slack] }), { env })).toEqual(['services.web.notify[1]: repeats the target name slack:SLACK_WEBHOOK_URL: give one of them a name']);
  });
});
