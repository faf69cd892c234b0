/**
 * `registries:`: the registries the orchestrator may talk to, keyed by `host[:port]` as image names spell
 * them. Credentials are optional; the password is better given as `passwordEnv`, the name of an environment
 * variable read at start, so that no secret sits in the file.
 */
import { z } from 'zod';
import type { SecretSource } from '../ports';
import { registryHostProblem } from './image-name';
import { keyedRecord, matching } from './schema-helpers';
import { Secret } from './secret';
import type { RegistryConfig } from './types';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function registriesSchema(secrets: SecretSource) {
  // Looked up at field level, so a missing variable is reported even when the entry has other problems.
  const passwordEnv = matching(ENV_NAME, 'must be an environment variable name, like REGISTRY_PASSWORD').transform((name, ctx) => {
    const problem = secrets.problem(name);
    if (!problem) return { name, value: new Secret(name, secrets) };
    ctx.addIssue({ code: 'custom', message: problem, input: name });
    return z.NEVER;
  });
  const entry = z
    .strictObject({
      insecure: z.boolean().nullish(),
      username: z.string().min(1).nullish(),
      password: z.string().min(1).nullish(),
      passwordEnv: passwordEnv.nullish(),
    })
    .nullish()
    .transform((raw, ctx): RegistryConfig => {
      const username = raw?.username ?? undefined;
      const fromEnv = raw?.passwordEnv ?? undefined;
      if (raw?.password != null && fromEnv) {
        const message = 'give either password or passwordEnv, not both';
        ctx.addIssue({ code: 'custom', message, path: ['passwordEnv'], input: fromEnv.name });
      }
      const password = raw?.password != null ? new Secret(raw.password) : fromEnv?.value;
      if (username !== undefined && password === undefined) {
        ctx.addIssue({ code: 'custom', message: 'password or passwordEnv is required with username', input: raw });
      }
      if (username === undefined && password !== undefined) {
        ctx.addIssue({ code: 'custom', message: 'is required with a password', path: ['username'], input: username });
      }
      return {
        insecure: raw?.insecure ?? false,
        ...(username === undefined ? {} : { username }),
        ...(password === undefined ? {} : { password }),
        ...(fromEnv ? { passwordEnv: fromEnv.name } : {}),
      };
    });
  return keyedRecord(entry, (host) => {
    const problem = registryHostProblem(host);
    return problem && `registry host ${problem}`;
  });
}
