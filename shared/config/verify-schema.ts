/**
 * `verify:` of a service: which signatures deploy it. Everything is loaded here, at start: keys are read
 * and parsed, identity patterns compiled, the trusted root read and checked, so a wrong policy stops the
 * program instead of rejecting every image later.
 *
 *   keys: [keys/web.pub]                 cosign public keys (paths or inline PEM); several for rotation
 *   keyless:                             Fulcio identities; each needs an issuer and a subject
 *     - issuer: https://token.actions.githubusercontent.com        (or issuerRegExp)
 *       subject: https://github.com/acme/web/.github/workflows/release.yml@refs/heads/main  (or subjectRegExp)
 *   rekor: required                      required | optional (default optional)
 *   trustedRoot: trust/trusted_root.json a sigstore trusted_root.json (default: the built-in public-good one)
 *   waitFor: 10m                         how long a rollout waits for its signature (default 10m)
 *   predicateTypes: [...]                in-toto predicate types a bundle may have (default cosign's sign/v1)
 *
 *   notation: / awsSigner:               Notation and AWS Signer signatures (notation-schema.ts)
 *   require: any                         any (default): one satisfied mechanism verifies; all: every one must
 *
 * At least one of keys, keyless, notation and awsSigner is required. Regular expressions must match the
 * whole value.
 */
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { anchored, type KeylessIdentity } from '../signature/keyless-identity';
import { DEFAULT_PREDICATE_TYPES } from '../signature/policy';
import { RolloutPolicy } from '../core/policy';
import { publicGoodTrustedRoot } from '../signature/public-good-trusted-root';
import { parseTrustedRoot, type TrustedRoot } from '../signature/trusted-root';
import { DurationError, formatDuration, parseDuration } from './duration';
import { notationSchemas } from './notation-schema';
import { isPlainObject } from '../plain-object';
import type { VerifyConfig } from './types';
import { keyId, loadVerificationKey, type ReadTextFile } from './verification-keys';

export interface VerifySchemaContext {
  /** Directory of the config file: key and trusted-root paths are relative to it. */
  readonly baseDir: string;
  readonly readFile: ReadTextFile;
}

/** A signature later than a week is a forgotten signature: the delivery itself is forgotten after 7 days. */
export const MAX_WAIT_FOR_SECONDS = 7 * 24 * 3600;

const text = z.string().min(1);

const regExpSchema = z.string().check((ctx) => {
  if (ctx.value === '') {
    ctx.issues.push({ code: 'custom', message: 'must not be empty', input: ctx.value });
    return;
  }
  try {
    anchored(ctx.value);
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '') : '';
    ctx.issues.push({ code: 'custom', message: `is not a valid regular expression: ${reason}`, input: ctx.value });
  }
});

const identitySchema = z
  .strictObject({ issuer: text.nullish(), issuerRegExp: regExpSchema.nullish(), subject: text.nullish(), subjectRegExp: regExpSchema.nullish() })
  .superRefine((entry, ctx) => {
    for (const [exact, pattern] of [['issuer', 'issuerRegExp'], ['subject', 'subjectRegExp']] as const) {
      const given = [entry[exact], entry[pattern]].filter((v) => v != null).length;
      if (given !== 1) {
        ctx.addIssue({ code: 'custom', message: `must give exactly one of ${exact} and ${pattern}`, input: entry });
      }
    }
    // A misspelt key is reported as such; a missing-pair report about the same entry would only add noise.
  }, { when: (payload) => payload.issues.length === 0 });

const waitForSchema = z
  .union([z.string(), z.number()], { error: (issue) => (issue.input == null ? undefined : 'must be a duration like 10m or 1h') })
  .transform((value, ctx) => {
    try {
      const seconds = parseDuration(value);
      if (seconds <= MAX_WAIT_FOR_SECONDS) return seconds;
      ctx.addIssue({ code: 'custom', message: `must be at most ${formatDuration(MAX_WAIT_FOR_SECONDS)}`, input: value });
    } catch (error) {
      if (!(error instanceof DurationError)) throw error;
      ctx.addIssue({ code: 'custom', message: error.message, input: value });
    }
    return z.NEVER;
  });

export function verifySchema(context: VerifySchemaContext) {
  const keyEntry = z
    .string()
    .min(1)
    .transform(async (entry, ctx) => {
      const loaded = await loadVerificationKey(entry, context);
      if (loaded.ok) return { entry, pem: loaded.value };
      ctx.addIssue({ code: 'custom', message: loaded.message, input: entry });
      return z.NEVER;
    });

  // A path to a trusted_root.json, or the document itself inline (how the Lambda bundle carries it).
  const trustedRootSchema = z
    .union([z.string().min(1), z.record(z.string(), z.unknown())], {
      error: (issue) => (issue.input == null ? undefined : 'must be a path to a trusted_root.json, or the document itself'),
    })
    .transform(async (entry, ctx): Promise<TrustedRoot> => {
      const loaded = await loadTrustedRoot(entry, context);
      if (typeof loaded !== 'string') return loaded;
      ctx.addIssue({ code: 'custom', message: loaded, input: entry });
      return z.NEVER;
    });

  const { notation, awsSigner } = notationSchemas(context);

  return z
    .strictObject({
      keys: z.array(keyEntry).nullish(),
      notation: notation.nullish(),
      awsSigner: awsSigner.nullish(),
      require: z.enum(['any', 'all']).nullish(),
      keyless: z.array(identitySchema).nullish(),
      rekor: z.enum(['required', 'optional']).nullish(),
      trustedRoot: trustedRootSchema.nullish(),
      waitFor: waitForSchema.nullish(),
      predicateTypes: z.array(text).min(1).nullish(),
    })
    .superRefine((verify, ctx) => {
      if ((verify.keyless?.length ?? 0) > 0 || verify.notation != null || verify.awsSigner != null) return;
      // Without identities, keys are what the service is verified with: the foundation's messages.
      if (verify.keys == null) ctx.addIssue({ code: 'custom', path: ['keys'], message: 'is required', input: verify.keys });
      else if (verify.keys.length === 0) {
        ctx.addIssue({ code: 'custom', path: ['keys'], message: 'must list at least one cosign public key', input: verify.keys });
      }
    })
    .transform(
      (verify): VerifyConfig => ({
        keys: (verify.keys ?? []).map(({ entry, pem }, i) => ({ id: keyId(entry, i), pem })),
        keyless: (verify.keyless ?? []).map(toIdentity),
        rekor: verify.rekor ?? 'optional',
        trustedRoot: verify.trustedRoot ?? publicGoodTrustedRoot(),
        predicateTypes: verify.predicateTypes ?? DEFAULT_PREDICATE_TYPES,
        waitForSeconds: verify.waitFor ?? RolloutPolicy.signatureWaitSeconds,
        ...(verify.notation ? { notation: verify.notation } : {}),
        ...(verify.awsSigner ? { awsSigner: verify.awsSigner } : {}),
        require: verify.require ?? 'any',
      }),
    );
}

function toIdentity(entry: z.output<typeof identitySchema>, index: number): KeylessIdentity {
  return {
    id: `keyless[${index}]`,
    issuer: entry.issuer ?? null,
    issuerRegExp: entry.issuerRegExp ?? null,
    subject: entry.subject ?? null,
    subjectRegExp: entry.subjectRegExp ?? null,
  };
}

/** The parsed root, or the problem as a message. */
async function loadTrustedRoot(entry: string | Record<string, unknown>, context: VerifySchemaContext): Promise<TrustedRoot | string> {
  if (isPlainObject(entry)) {
    const parsed = parseTrustedRoot(JSON.stringify(entry), 'inline trusted root');
    return parsed.ok ? parsed.value : parsed.reason;
  }
  let content: string;
  try {
    content = await context.readFile(isAbsolute(entry) ? entry : resolve(context.baseDir, entry));
  } catch (error) {
    const code = error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : String(error);
    return `cannot read ${entry}: ${code}`;
  }
  const parsed = parseTrustedRoot(content, entry);
  return parsed.ok ? parsed.value : `${entry} ${parsed.reason}`;
}
