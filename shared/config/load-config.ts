/**
 * Reads the config file (docs/configuration.md): YAML, then the schema, then the typed `AppConfig`. Any problem throws
 * one `ConfigError` listing every problem found, in the order they appear in the file, so a person fixes
 * the file in one go instead of one error per restart.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import { EnvironmentSecrets } from '../adapters/environment/environment-secrets';
import { ConfigError } from '../errors';
import type { SecretSource } from '../ports';
import { formatIssue, humanErrorMap, toConfigIssues, type ConfigIssue } from './issues';
import { createConfigSchema, keepFileOrder } from './schema';
import type { Env } from './schema-helpers';
import type { AppConfig } from './types';
import type { ReadTextFile } from './verification-keys';

export const DEFAULT_CONFIG_FILE = 'rollout.config.yaml';

export interface ParseConfigOptions {
  /** The file the text came from: key paths are relative to its directory; made absolute. */
  readonly file: string;
  /** Where `passwordEnv` names are looked up. Default: `process.env`. */
  readonly env?: Env;
  /** Where the secrets the file names are read. Default: the environment (`env`). */
  readonly secrets?: SecretSource;
  /** Reads a key file, given its absolute path. Default: `fs.readFile` as UTF-8. */
  readonly readFile?: ReadTextFile;
}

/** The config file's path from the environment (`ROLLOUT_CONFIG`, docs/environment.md). */
export function configFilePath(env: Env = process.env): string {
  return env.ROLLOUT_CONFIG || DEFAULT_CONFIG_FILE;
}

export async function loadConfig(file: string, env: Env = process.env, secrets?: SecretSource): Promise<AppConfig> {
  const absolute = resolve(file);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : String(error);
    throw new ConfigError(absolute, [`cannot read ${file}: ${code}`], { cause: error });
  }
  return parseConfig(text, { file: absolute, env, ...(secrets ? { secrets } : {}) });
}

export async function parseConfig(text: string, options: ParseConfigOptions): Promise<AppConfig> {
  const file = resolve(options.file);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, merge: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => {
        const { line, col } = lines.linePos(e.pos[0]);
        // The yaml package's own advice here names its API; a user needs to know about `---` instead.
        const message = e.code === 'MULTIPLE_DOCS' ? "holds several YAML documents ('---'): the config is one document" : e.message;
        return `line ${line}, column ${col}: ${message.split('\n')[0]}`;
      }),
    );
  }

  let data: unknown;
  try {
    data = doc.toJS();
  } catch (error) {
    // Alias expansion is capped by the yaml package (a "billion laughs" file); say so rather than crash.
    throw new ConfigError(file, [error instanceof Error ? error.message : String(error)], { cause: error });
  }
  if (data == null) throw new ConfigError(file, ['the file is empty: it must configure services']);

  const schema = createConfigSchema({
    baseDir: dirname(file),
    env: options.env ?? process.env,
    secrets: options.secrets ?? new EnvironmentSecrets(options.env ?? process.env),
    readFile: options.readFile ?? ((path) => readFile(path, 'utf8')),
  });
  const result = await schema.safeParseAsync(data, { error: humanErrorMap });
  if (!result.success) {
    throw new ConfigError(file, inFileOrder(toConfigIssues(result.error.issues), doc).map(formatIssue), { cause: result.error });
  }
  return { file, ...keepFileOrder(result.data, data) };
}

/** Sorts by where each problem sits in the file; stable, so problems at one place keep zod's order. */
function inFileOrder(issues: readonly ConfigIssue[], doc: Document): ConfigIssue[] {
  const offset = (path: readonly PropertyKey[]): number => {
    for (let n = path.length; n > 0; n--) {
      const node = doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) return node.range[0];
    }
    return -1;
  };
  return issues
    .map((issue) => ({ issue, at: offset(issue.at) }))
    .sort((a, b) => a.at - b.at)
    .map(({ issue }) => issue);
}
