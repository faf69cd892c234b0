/**
 * `rollout …`: the operator CLI over the HTTP API. `main` takes its environment as arguments and
 * returns the exit code, so that tests run it in process; bin/rollout.mjs wires it to the real one.
 */
import { userInfo } from 'node:os';
import { ApiError, RolloutApi } from './api-client';
import { UsageError, helpText, parseCommandLine } from './args';
import { runCommand } from './commands';
import { ExitCode, exitCodeForStatus } from './exit-codes';
import { makeStyle, wantsColor } from './format';
import { terminalText } from './terminal';
import type { Output } from './watch';

export const DEFAULT_URL = 'http://127.0.0.1:3000';

export interface CliEnvironment {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: Output;
  readonly stderr: Output;
  readonly fetch?: typeof fetch;
  readonly now?: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
}

function currentUser(env: CliEnvironment['env']): string | undefined {
  const fromEnv = env.USER || env.LOGNAME || env.USERNAME;
  if (fromEnv) return fromEnv;
  try {
    return userInfo().username || undefined;
  } catch {
    return undefined;
  }
}

export async function main(argv: readonly string[], io: CliEnvironment): Promise<ExitCode> {
  const { env, stdout, stderr } = io;
  try {
    const parsed = parseCommandLine(argv);
    if (parsed.kind === 'help') {
      stdout.write(helpText(parsed.command));
      return ExitCode.Ok;
    }
    const { values } = parsed;
    const url = (typeof values.url === 'string' ? values.url : undefined) ?? env.ROLLOUT_URL ?? DEFAULT_URL;
    if (!/^https?:\/\/[^/]/.test(url)) throw new UsageError(`the API URL must be http(s)://host[:port][/prefix], not "${url}"`);
    const token = (typeof values.token === 'string' ? values.token : undefined) ?? env.ROLLOUT_API_TOKEN;
    const json = values.json === true;
    if (parsed.command.name === 'doctor') {
      // Only doctor needs the config loader and the ECS and ELBv2 clients: loaded for it alone.
      const { doctor } = await import('./doctor-command');
      return await doctor(values, io, new RolloutApi({ url, token, ...(io.fetch ? { fetch: io.fetch } : {}) }), json);
    }
    return await runCommand(parsed.command, parsed.positionals, values, {
      api: new RolloutApi({ url, token, ...(io.fetch ? { fetch: io.fetch } : {}) }),
      json,
      style: makeStyle(!json && wantsColor(stdout.isTTY, env, values['no-color'] === true)),
      out: stdout,
      err: stderr,
      user: currentUser(env),
      now: io.now ?? (() => new Date()),
      ...(io.sleep ? { sleep: io.sleep } : {}),
    });
  } catch (e) {
    return report(e, io);
  }
}

/** Every failure ends here: one `error:` line (plus the fields at fault), and its exit code. */
function report(e: unknown, { env, stderr }: CliEnvironment): ExitCode {
  // Messages quote the server's problem details and what was typed: escaped like everything printed.
  const message = (err: unknown) => terminalText(err instanceof Error ? err.message : String(err));
  if (e instanceof UsageError) {
    stderr.write(`error: ${message(e)}\n${e.command ? `run: rollout ${e.command.name} --help` : 'run: rollout --help'}\n`);
    return ExitCode.Usage;
  }
  if (e instanceof ApiError) {
    const fields = e.problem?.errors ?? [];
    const hint = e.status === 401 && !env.ROLLOUT_API_TOKEN ? ' (set ROLLOUT_API_TOKEN or pass --token)' : '';
    stderr.write(`error: ${message(e)}${hint}\n${fields.map((f) => `  - ${terminalText(String(f))}\n`).join('')}`);
    return exitCodeForStatus(e.status);
  }
  stderr.write(`error: ${message(e)}\n`);
  return ExitCode.Error;
}
