/**
 * The command line: which commands exist, their options and help, parsed with node:util's parseArgs
 * (no dependency). Global options may come before or after the command.
 */
import { parseArgs } from 'node:util';
import { ROLLOUT_STATUSES } from '../shared/core/status';
import { EXIT_CODE_HELP } from './exit-codes';

type OptionSpec = { readonly type: 'string' | 'boolean'; readonly short?: string };
type DocumentedOption = OptionSpec & { readonly help: string; /** The value's name in help: `--limit <n>`. Default `value`. */ readonly arg?: string };

export const GLOBAL_OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  'no-color': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Record<string, OptionSpec>;

export interface CommandSpec {
  readonly name: string;
  /** Positional arguments, by name: `<id>`. */
  readonly args: readonly string[];
  readonly summary: string;
  readonly options: Readonly<Record<string, DocumentedOption>>;
  readonly details?: string;
}

const BY = { type: 'string', arg: 'name', help: 'who is acting (default: $USER)' } as const;
const WHY = { type: 'string', arg: 'text', help: 'why, for the record' } as const;

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'list',
    args: [],
    summary: 'list rollouts, newest first',
    options: {
      service: { type: 'string', arg: 'name', help: 'only this service' },
      status: { type: 'string', arg: 'status', help: `only this status: ${ROLLOUT_STATUSES.join(', ')}` },
      limit: { type: 'string', arg: 'n', help: 'at most this many, 1-100 (default 20)' },
      cursor: { type: 'string', arg: 'cursor', help: 'the next page, as printed after the previous one' },
    },
  },
  { name: 'get', args: ['id'], summary: 'show one rollout: weight, steps, approvals, events', options: {} },
  {
    name: 'watch',
    args: ['id'],
    summary: 'follow a rollout until it ends; exits 0 only if it SUCCEEDED',
    options: {
      interval: { type: 'string', arg: 'seconds', help: 'seconds between looks (default 1)' },
      timeout: { type: 'string', arg: 'seconds', help: 'give up after this long (exit 9); default: never' },
      poll: { type: 'boolean', help: 'poll every --interval even where the server has live updates' },
    },
    details:
      "Shows the weight bar and the step timeline, and prints each new event as it happens. Follows the server's live updates (GET /events, local mode) where it has them, else polls. With --json, prints the rollout as one JSON line each time it changes.",
  },
  { name: 'approve', args: ['id'], summary: 'approve a PAUSED rollout', options: { comment: WHY, by: BY } },
  { name: 'reject', args: ['id'], summary: 'reject a rollout: it rolls back', options: { comment: WHY, by: BY } },
  { name: 'abort', args: ['id'], summary: 'abort a rollout: it rolls back (or retries a FAILED rollback)', options: { reason: WHY, by: BY } },
  { name: 'promote', args: ['id'], summary: 'skip the remaining steps and go to 100%', options: { by: BY } },
  {
    name: 'pause',
    args: ['id'],
    summary: 'hold a PROGRESSING rollout at its current weight until resumed',
    options: { reason: WHY, by: BY },
    details: 'The rollout becomes PAUSED (paused by hand): nothing moves it on until rollout resume <id>. Alarms still roll it back; abort, reject and promote still work. A bake keeps the time it had left.',
  },
  { name: 'resume', args: ['id'], summary: 'let a rollout paused by hand go on where it was (approval pauses take approve)', options: { by: BY } },
  { name: 'retry', args: ['id'], summary: "start a ROLLED_BACK rollout's image again, as a new rollout", options: { by: BY } },
  { name: 'services', args: [], summary: 'configured services, the digest they run and their active rollout', options: {} },
  {
    name: 'doctor',
    args: [],
    summary: 'check every configured service against ECS before a rollout needs it; exits 0 only if all pass',
    options: {
      config: { type: 'string', arg: 'file', help: 'the configuration file (default: $ROLLOUT_CONFIG or rollout.config.yaml)' },
      local: { type: 'boolean', help: "check against local mode's ECS (GET /local/endpoints on --url) instead of AWS" },
      region: { type: 'string', arg: 'region', help: 'the region the orchestrator runs in (default: $AWS_REGION)' },
      account: { type: 'string', arg: 'id', help: 'the account the orchestrator runs in (default: $ROLLOUT_ACCOUNT_ID; unchecked when unset)' },
    },
    details:
      'For each service: the cluster and service are in the orchestrator\'s region and account, the cluster exists, the service exists and uses the EXTERNAL deployment controller, it has a PRIMARY task set, and its task definition is registered with the container to deploy. Says what is wrong and how to fix it. AWS credentials come from the usual AWS SDK sources. Load balancer checks are not made yet.',
  },
];

export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: CommandSpec,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export type Parsed =
  | { readonly kind: 'help'; readonly command?: CommandSpec }
  | {
      readonly kind: 'run';
      readonly command: CommandSpec;
      readonly positionals: readonly string[];
      readonly values: Readonly<Record<string, string | boolean | undefined>>;
    };

const ALL_OPTIONS: Record<string, OptionSpec> = Object.assign({}, GLOBAL_OPTIONS, ...COMMANDS.map((c) => c.options));

function strip(options: Record<string, OptionSpec>): Record<string, OptionSpec> {
  return Object.fromEntries(Object.entries(options).map(([k, o]) => [k, o.short ? { type: o.type, short: o.short } : { type: o.type }]));
}

export function parseCommandLine(argv: readonly string[]): Parsed {
  // First find the command, knowing every option so that an option's value is not taken for it.
  const loose = parseArgs({ args: [...argv], options: strip(ALL_OPTIONS), allowPositionals: true, strict: false });
  const [name, ...rest] = loose.positionals;
  if (name === undefined || name === 'help') {
    const about = rest[0] === undefined ? undefined : findCommand(rest[0]);
    return about ? { kind: 'help', command: about } : { kind: 'help' };
  }
  const command = findCommand(name);
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: strip({ ...GLOBAL_OPTIONS, ...command.options }), allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/s, ''), command);
  }
  if (parsed.values.help) return { kind: 'help', command };
  const positionals = parsed.positionals.slice(1);
  if (positionals.length !== command.args.length) {
    const expected = command.args.length === 0 ? 'no arguments' : command.args.map((a) => `<${a}>`).join(' ');
    throw new UsageError(`${command.name} takes ${expected}${positionals.length ? `, not ${positionals.map((p) => `"${p}"`).join(' ')}` : ''}`, command);
  }
  return { kind: 'run', command, positionals, values: parsed.values };
}

function findCommand(name: string): CommandSpec {
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) throw new UsageError(`unknown command "${name}"; commands: ${COMMANDS.map((c) => c.name).join(', ')}`);
  return command;
}

const GLOBAL_HELP = `Global options:
  --url <url>        the API (env ROLLOUT_URL; default http://127.0.0.1:3000)
  --token <token>    the API token (env ROLLOUT_API_TOKEN; prefer the environment: flags show in ps)
  --json             print the API's JSON, for scripts
  --no-color         no colours (also when NO_COLOR is set or the output is not a terminal)
  -h, --help         this help; rollout <command> --help for one command`;

const column = (rows: readonly [string, string][]) => {
  const width = Math.max(...rows.map(([a]) => a.length));
  return rows.map(([a, b]) => `  ${a.padEnd(width)}  ${b}`).join('\n');
};

export function helpText(command?: CommandSpec): string {
  if (!command) {
    return `rollout: see and steer progressive ECS deploys

Usage: rollout <command> [options]

Commands:
${column(COMMANDS.map((c) => [[c.name, ...c.args.map((a) => `<${a}>`)].join(' '), c.summary]))}

${GLOBAL_HELP}

${EXIT_CODE_HELP}
`;
  }
  const options = Object.entries(command.options).map(([name, o]): [string, string] => [`--${name}${o.type === 'string' ? ` <${o.arg ?? 'value'}>` : ''}`, o.help]);
  return `Usage: rollout ${[command.name, ...command.args.map((a) => `<${a}>`)].join(' ')}${options.length ? ' [options]' : ''}

${command.summary[0]!.toUpperCase()}${command.summary.slice(1)}.${command.details ? `\n${command.details}` : ''}
${options.length ? `\nOptions:\n${column(options)}\n` : ''}
${GLOBAL_HELP}

${EXIT_CODE_HELP}
`;
}
