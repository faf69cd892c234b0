/**
 * `access:`: who may call the API. Named tokens are stored as sha256 hashes (the file never holds a
 * usable credential); OIDC bearer JWTs are checked against the issuer's keys. ROLLOUT_API_TOKEN stays
 * the admin credential of an integration (a chat bot acting for people), which may state `by`.
 */
import { z } from 'zod';
import { keyedRecord } from './schema-helpers';

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const role = z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` });

const namedToken = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/, 'must be a short name (letters, digits, _ . @ -)'),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be the sha256 of the token in lower-case hex (printf %s "$TOKEN" | sha256sum)'),
  role,
  /** Who the token belongs to, recorded as `by`; default: the token's name. */
  person: z.string().min(1).max(200).optional(),
});

const oidc = z.strictObject({
  issuer: z.url({ protocol: /^https?$/, error: 'must be the issuer URL' }),
  audience: z.string().min(1),
  /** Where the issuer's keys are; default: from `<issuer>/.well-known/openid-configuration`. */
  jwksUri: z.url({ protocol: /^https?$/, error: 'must be a URL' }).optional(),
  /** The claim that names the person. Default email. */
  claim: z.string().min(1).default('email'),
  /** The role every valid token of this issuer gets. Default operator. */
  role: role.default('operator'),
});

/**
 * `access.slack`: who a click in Slack is. A click carries the workspace (`team.id`) and the user
 * (`user.id`), as Slack signed them; `users` maps a user to a person and a role, and `defaultRole`, when
 * given, is the role of every other member of the workspace (recorded as `slack:<team>/<user>`). Clicks
 * from any other workspace are refused.
 */
const slackUser = z.strictObject({
  /** Who the Slack user is, recorded as `by`: the same person through OIDC or a token is one approver. */
  person: z
    .string()
    .min(1, { error: 'must not be empty' })
    .max(200, { error: 'must be at most 200 characters' })
    // eslint-disable-next-line no-control-regex
    .regex(/^[^\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]*$/, { error: 'must not contain control characters, bidi controls or line separators' }),
  role,
});

export const SLACK_TEAM_ID = /^T[A-Z0-9]{2,20}$/;
export const SLACK_USER_ID = /^[UW][A-Z0-9]{2,20}$/;

const slack = z
  .strictObject({
    team: z.string().regex(SLACK_TEAM_ID, { error: 'must be a Slack workspace id, like T0123ABCD (team.id in what Slack sends)' }),
    users: keyedRecord(slackUser, (id) => (SLACK_USER_ID.test(id) ? null : 'must be keyed by a Slack user id, like U024BE7LH (user.id in what Slack sends)')).default({}),
    defaultRole: role.optional(),
  });

export const accessSchema = z
  .strictObject({ tokens: z.array(namedToken).default([]), oidc: oidc.optional(), slack: slack.optional() })
  .superRefine((access, ctx) => {
    const seen = new Map<string, number>();
    access.tokens.forEach((t, i) => {
      if (seen.has(t.name)) ctx.addIssue({ code: 'custom', path: ['tokens', i, 'name'], message: `repeats token name '${t.name}'`, input: t.name });
      seen.set(t.name, i);
    });
  });

export type AccessConfig = z.output<typeof accessSchema>;
