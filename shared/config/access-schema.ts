/**
 * `access:`: who may call the API. Named tokens are stored as sha256 hashes (the file never holds a
 * usable credential); OIDC bearer JWTs are checked against the issuer's keys. ROLLOUT_API_TOKEN stays
 * the admin credential of an integration (a chat bot acting for people), which may state `by`.
 */
import { z } from 'zod';

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

export const accessSchema = z
  .strictObject({ tokens: z.array(namedToken).default([]), oidc: oidc.optional() })
  .superRefine((access, ctx) => {
    const seen = new Map<string, number>();
    access.tokens.forEach((t, i) => {
      if (seen.has(t.name)) ctx.addIssue({ code: 'custom', path: ['tokens', i, 'name'], message: `repeats token name '${t.name}'`, input: t.name });
      seen.set(t.name, i);
    });
  });

export type AccessConfig = z.output<typeof accessSchema>;
