/** `npm start`'s banner: generated tokens are printed (they are needed), tokens from the environment never are. */
import { describe, expect, it } from 'vitest';
import { startupBanner } from '../../../local/startup-banner';

const base = {
  url: 'http://127.0.0.1:3000',
  configFile: '/x/rollout.config.yaml',
  services: ['web'],
  dataDir: '/x/.data',
  resumed: [],
  webhookToken: 'webhook-token-from-env-0123456789',
  apiToken: 'api-token-from-env-0123456789',
};

describe('the startup banner', () => {
  it('never prints a token given in the environment', () => {
    const text = startupBanner({ ...base, generatedTokens: { webhook: false, api: false } });
    expect(text).not.toContain(base.webhookToken);
    expect(text).not.toContain(base.apiToken);
    expect(text).toContain('$ROLLOUT_WEBHOOK_TOKEN');
    expect(text).toContain('$ROLLOUT_API_TOKEN');
  });

  it('prints a generated token, and only that one', () => {
    const text = startupBanner({ ...base, generatedTokens: { webhook: true, api: false } });
    expect(text).toContain(`Bearer ${base.webhookToken}`);
    expect(text).toContain('generated; set ROLLOUT_WEBHOOK_TOKEN to choose');
    expect(text).not.toContain(base.apiToken);
  });
});
