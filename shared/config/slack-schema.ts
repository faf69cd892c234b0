/**
 * `slack:` (top level): the Slack app whose interactive approval messages this orchestrator answers.
 * Slack signs every request it sends to the app's interactivity URL with the app's signing secret
 * (`POST /webhooks/slack/interactions`, docs/api.md); the secret comes from the environment variable
 * named here, read through the secrets port at each use like every other secret of the config (the environment locally,
 * Secrets Manager in AWS), and prints as `[redacted]`.
 *
 * ```yaml
 * slack:
 *   signingSecretEnv: SLACK_SIGNING_SECRET
 * ```
 *
 * Who may click is said under `access.slack` (access-schema.ts).
 */
import { z } from 'zod';
import type { SecretSource } from '../ports';
import type { Secret } from './secret';
import { secretFromEnv } from './webhooks-schema';

export interface SlackConfig {
  /** The environment variable named in the file (written back by tools that re-emit the config). */
  readonly signingSecretEnv: string;
  /** The app's signing secret, read when a click is verified. */
  readonly signingSecret: Secret;
}

export function slackSchema(secrets: SecretSource) {
  return z
    .strictObject(
      {
        signingSecretEnv: secretFromEnv(secrets, 'SLACK_SIGNING_SECRET'),
        // The value itself is not echoed: it is a secret that someone just put in a file.
        signingSecret: z
          .unknown()
          .superRefine((_value, ctx) => ctx.addIssue({ code: 'custom', message: 'secrets never go in the config file: put it in an environment variable and name that variable in signingSecretEnv', input: '[redacted]' }))
          .optional(),
      },
      { error: (issue) => (issue.code === 'invalid_type' ? 'must be a mapping: { signingSecretEnv: SLACK_SIGNING_SECRET }' : undefined) },
    )
    .transform((raw): SlackConfig => ({ signingSecretEnv: raw.signingSecretEnv.name, signingSecret: raw.signingSecretEnv.secret }));
}
