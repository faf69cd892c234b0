/** What each command does once its arguments are parsed: ask the API, print the answer. */
import { ROLLOUT_STATUSES } from '../shared/core/status';
import type { OperatorCommand, RolloutApi } from './api-client';
import { type CommandSpec, UsageError } from './args';
import { ExitCode } from './exit-codes';
import { type Style, progressLine, rolloutDetail, rolloutTable, servicesTable } from './format';
import { terminalJson, terminalSafe, terminalText } from './terminal';
import { type Output, watchRollout } from './watch';

export interface CommandContext {
  readonly api: RolloutApi;
  readonly json: boolean;
  readonly style: Style;
  readonly out: Output;
  readonly err: Output;
  /** Who acts when --by is not given. */
  readonly user: string | undefined;
  readonly now: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
}

type Values = Readonly<Record<string, string | boolean | undefined>>;

const PAST: Record<OperatorCommand, string> = {
  approve: 'approved',
  reject: 'rejected',
  abort: 'aborted',
  promote: 'promotion requested for',
  pause: 'paused',
  resume: 'resumed',
  retry: 'retried',
};

function str(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A positive number of seconds, as milliseconds. */
function seconds(values: Values, name: string, command: CommandSpec): number | undefined {
  const raw = str(values, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a number of seconds above 0, not "${raw}"`, command);
  return Math.round(n * 1000);
}

export async function runCommand(command: CommandSpec, positionals: readonly string[], values: Values, ctx: CommandContext): Promise<ExitCode> {
  const { api, out } = ctx;
  // Human output is drawn from the value with every string escaped for a terminal; JSON keeps the value.
  const print = <T>(value: T, human: (safe: T) => string) => out.write(`${ctx.json ? terminalJson(value, 2) : human(terminalSafe(value))}\n`);
  const id = positionals[0]!;

  switch (command.name) {
    case 'list': {
      const status = str(values, 'status')?.toUpperCase();
      if (status !== undefined && !(ROLLOUT_STATUSES as readonly string[]).includes(status)) {
        throw new UsageError(`--status must be one of ${ROLLOUT_STATUSES.join(', ')}, not "${str(values, 'status')}"`, command);
      }
      const rawLimit = str(values, 'limit');
      const limit = rawLimit === undefined ? undefined : Number(rawLimit);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 100)) throw new UsageError(`--limit must be a whole number from 1 to 100, not "${rawLimit}"`, command);
      const page = await api.list({ service: str(values, 'service'), status, limit, cursor: str(values, 'cursor') });
      print(page, (p) => rolloutTable(p.items, ctx.now(), ctx.style));
      // On stderr, so that the table alone can be piped on.
      if (!ctx.json && page.nextCursor) ctx.err.write(`more: rollout list --cursor ${terminalText(page.nextCursor)}\n`);
      return ExitCode.Ok;
    }
    case 'get': {
      const r = await api.get(id);
      print(r, (safe) => rolloutDetail(safe, ctx.now(), ctx.style));
      return ExitCode.Ok;
    }
    case 'watch':
      return watchRollout(api, id, {
        intervalMs: seconds(values, 'interval', command) ?? 1000,
        timeoutMs: seconds(values, 'timeout', command),
        json: ctx.json,
        poll: values.poll === true,
        style: ctx.style,
        out,
        err: ctx.err,
        ...(ctx.sleep ? { sleep: ctx.sleep } : {}),
      });
    case 'approve':
    case 'reject':
    case 'abort':
    case 'promote':
    case 'pause':
    case 'resume':
    case 'retry': {
      const by = str(values, 'by') ?? ctx.user;
      if (!by) throw new UsageError('--by is needed: $USER is not set', command);
      const note = command.name === 'abort' || command.name === 'pause' ? 'reason' : 'comment';
      const body: Record<string, string> = { by, ...(str(values, note) !== undefined ? { [note]: str(values, note)! } : {}) };
      const r = await api.command(id, command.name, body);
      print(r, (safe) => `${PAST[command.name as OperatorCommand]} rollout ${command.name === 'retry' ? `${terminalText(id)}: new rollout ${safe.id}` : safe.id} (${safe.service})\n${progressLine(safe, ctx.style)}`);
      return ExitCode.Ok;
    }
    case 'services': {
      const { items } = await api.services();
      print({ items }, (safe) => servicesTable(safe.items, ctx.style));
      return ExitCode.Ok;
    }
    default:
      throw new UsageError(`unknown command "${command.name}"`);
  }
}
