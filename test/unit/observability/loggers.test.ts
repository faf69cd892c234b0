import { describe, expect, it } from 'vitest';
import { jsonLogger } from '../../../shared/observability/logger';
import { scrubbing, withFields } from '../../../shared/observability/loggers';
import { rolloutEventLogger } from '../../../shared/observability/rollout-log';
import { rolloutStates } from './rollout-states';

function capture() {
  const lines: string[] = [];
  return { lines, logger: jsonLogger((l) => lines.push(l), 'info'), parsed: () => lines.map((l) => JSON.parse(l)) };
}

describe('loggers', () => {
  it('bind fields such as the rollout id to every line of a child logger', () => {
    const { logger, parsed } = capture();
    const child = withFields(logger, { rolloutId: 'r1', service: 'web' });
    child.info('one');
    child.warn('two', { attempt: 2, service: 'worker' });
    expect(parsed()).toMatchObject([
      { level: 'info', message: 'one', rolloutId: 'r1', service: 'web' },
      { level: 'warn', message: 'two', rolloutId: 'r1', service: 'worker', attempt: 2 },
    ]);
  });

  it('never write tokens, HMAC secrets or Slack URLs: by field name, and by value wherever they appear', () => {
    const { logger, lines } = capture();
    const slackUrl = 'https://hooks.slack.com/services/T0001/B0001/abcdefghijklmnop';
    const log = scrubbing(logger, () => [slackUrl, 'hmac-secret-value']);
    log.info('sending', { apiToken: 'api-token-value', webhookSecret: 'x', authorization: 'Bearer abc', keySignature: 'sig' });
    log.warn(`failed to reach ${slackUrl}`, {
      error: new Error(`Failed to parse URL from ${slackUrl}`, { cause: new Error(`connect to ${slackUrl}`) }),
      nested: { list: ['key hmac-secret-value', 3] },
    });
    const text = lines.join('\n');
    for (const secret of ['api-token-value', 'Bearer abc', slackUrl, 'hmac-secret-value', 'hooks.slack.com/services/T0001']) expect(text).not.toContain(secret);
    expect(JSON.parse(lines[0]!)).toMatchObject({ apiToken: '[redacted]', webhookSecret: '[redacted]', authorization: '[redacted]', keySignature: '[redacted]' });
    expect(JSON.parse(lines[1]!)).toMatchObject({
      message: 'failed to reach [redacted]',
      error: { name: 'Error', message: 'Failed to parse URL from [redacted]', cause: { message: 'connect to [redacted]' } },
      nested: { list: ['key [redacted]', 3] },
    });
  });

  it('log each new event of a rollout with its id, service and status', async () => {
    const { logger, parsed } = capture();
    const s = rolloutStates();
    const listener = rolloutEventLogger(logger);
    await listener(s.pending, s.pending); // a creation: its CREATED event
    await listener(s.started, s.pending);
    const lines = parsed();
    expect(lines.map((l) => l.event)).toEqual(['CREATED', 'SIGNATURE_VERIFIED', 'STARTED']);
    for (const line of lines) expect(line).toMatchObject({ message: 'rollout event', rolloutId: 'r1', service: 'web', detail: expect.any(String) });
    expect(lines[2]).toMatchObject({ status: 'PROGRESSING', seq: 2 });
  });
});
