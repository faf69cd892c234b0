/**
 * Human output: tables with aligned columns, the weight bar, the step timeline and event lines.
 * Pure functions of the data (and of `now`), so they are tested without a terminal.
 */
import { describeStep } from '../shared/core/steps';
import type { RolloutView, ServiceDescription } from '../shared/http/response-schemas';

type Paint = (text: string) => string;

export interface Style {
  readonly bold: Paint;
  readonly dim: Paint;
  readonly red: Paint;
  readonly green: Paint;
  readonly yellow: Paint;
  readonly cyan: Paint;
}

const sgr = (open: number, close: number): Paint => (text) => `\x1b[${open}m${text}\x1b[${close}m`;
const plainPaint: Paint = (text) => text;

export function makeStyle(color: boolean): Style {
  if (!color) return { bold: plainPaint, dim: plainPaint, red: plainPaint, green: plainPaint, yellow: plainPaint, cyan: plainPaint };
  return { bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39), cyan: sgr(36, 39) };
}
export const plain = makeStyle(false);

/** Colour is for terminals that want it: never when piped, nor when NO_COLOR is set (no-color.org). */
export function wantsColor(isTTY: boolean | undefined, env: Readonly<Record<string, string | undefined>>, noColorFlag: boolean): boolean {
  return Boolean(isTTY) && !noColorFlag && !env.NO_COLOR && env.TERM !== 'dumb';
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
export const stripAnsi = (text: string) => text.replace(ANSI, '');
export const visibleLength = (text: string) => stripAnsi(text).length;

/** Left-aligned columns two spaces apart, widths from the visible text (colour codes do not count). */
export function table(headers: readonly string[], rows: readonly (readonly string[])[], style: Style = plain): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - visibleLength(c))))
      .join('  ')
      .trimEnd();
  return [style.bold(line(headers)), ...rows.map(line)].join('\n');
}

/** `[#####.....] 50%` */
export function weightBar(weight: number, width = 20): string {
  const w = Math.max(0, Math.min(100, Math.round(weight)));
  const filled = Math.round((w / 100) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${w}%`;
}

export function statusColor(status: string, style: Style): Paint {
  if (status === 'SUCCEEDED') return style.green;
  if (status === 'PAUSED' || status === 'PENDING') return style.yellow;
  if (status === 'PROGRESSING' || status === 'PROMOTING') return style.cyan;
  return style.red;
}

export const shortDigest = (digest: string | null | undefined) => (digest ? `${digest.slice(0, 19)}` : '-');

/** `3s ago`, `5m ago`, `2h ago`, `4d ago`. */
export function ago(iso: string, now: Date): string {
  const s = Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

/** Local wall-clock time: what an operator compares with their other windows. */
export function clock(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** What the rollout waits for, in words. */
export function describeWait(wait: RolloutView['wait']): string {
  if (!wait) return '';
  switch (wait.for) {
    case 'signature':
      return wait.until ? `waiting for its signature until ${clock(wait.until)}` : 'waiting for its signature';
    case 'lock':
      return wait.behind ? `queued behind ${wait.behind}` : 'queued for the service lock';
    case 'steady':
      return 'waiting for ECS to be steady';
    case 'bake':
      return `baking until ${clock(wait.until)}`;
    case 'approval':
      return wait.until ? `waiting for approval until ${clock(wait.until)}` : 'waiting for approval';
    case 'hold':
      return `held: ${wait.reason}`;
    case 'manual':
      return `paused by ${wait.by} since ${clock(wait.since)}${wait.reason ? `: ${wait.reason}` : ''}; resume to go on`;
  }
}

const MARK: Record<string, string> = { COMPLETED: '[x]', RUNNING: '[>]', PENDING: '[ ]', SKIPPED: '[-]' };

export function stepTimeline(r: RolloutView, style: Style = plain): string[] {
  const rows = r.steps.map((step, i) => {
    const mark = MARK[step.status] ?? '[?]';
    const paint = step.status === 'RUNNING' ? style.cyan : step.status === 'COMPLETED' ? style.green : style.dim;
    const times = step.startedAt ? `${clock(step.startedAt)}${step.completedAt ? ` - ${clock(step.completedAt)}` : ''}` : '';
    return [paint(mark), `${i + 1}/${r.steps.length}`, describeStep(step), paint(step.status), times];
  });
  return table(['', 'STEP', 'WHAT', 'STATUS', 'TIME'], rows, style).split('\n').slice(1);
}

/** The line under the bar: status, current step and what it waits for. */
export function progressLine(r: RolloutView, style: Style = plain): string {
  const current = r.currentStep === null ? undefined : r.steps[r.currentStep];
  const step = current ? `step ${r.currentStep! + 1}/${r.steps.length} ${describeStep(current)}` : '';
  // Blue-green after the switch: the bake is scaleDownDelay, the old set's time left at full size.
  const wait =
    r.status === 'PROMOTING' && r.wait?.for === 'bake'
      ? `production on the new task set; the old one kept until ${clock(r.wait.until)} (scaleDownDelay): abort switches back`
      : describeWait(r.wait);
  return [weightBar(r.canaryWeight), statusColor(r.status, style)(r.status), step, wait ? style.dim(`(${wait})`) : ''].filter(Boolean).join('  ');
}

const BAD_EVENTS = /FAIL|ALARM|ROLLBACK|ROLLED_BACK|REJECTED|ABORTED|TIMEOUT|ERROR/;

export function eventLine(e: RolloutView['events'][number], style: Style = plain, typeWidth = 18): string {
  const paint = BAD_EVENTS.test(e.type) ? style.red : e.type === 'SUCCEEDED' ? style.green : plainPaint;
  return `${style.dim(clock(e.at))}  ${paint(e.type.padEnd(typeWidth))}  ${e.message}`;
}

export function imageLine(r: RolloutView): string {
  return `${r.image.registry}/${r.image.repository}${r.image.tag ? `:${r.image.tag}` : ''}@${r.image.digest}`;
}

/** `rollout get`: everything about one rollout. */
export function rolloutDetail(r: RolloutView, now: Date, style: Style = plain): string {
  const sig = r.signature ? `${r.signature.type} ${r.signature.key} (key ${r.signature.keyFingerprint.slice(0, 12)})` : 'not verified yet';
  const fields: [string, string][] = [
    ['Rollout', style.bold(r.id)],
    ['Service', r.service],
    ['Status', `${statusColor(r.status, style)(r.status)}${r.wait ? `  (${describeWait(r.wait)})` : ''}`],
    ['Image', imageLine(r)],
    ['Previous', r.previousDigest ?? '-'],
    ['Canary', weightBar(r.canaryWeight)],
    ['Signature', sig],
    ...(r.reason ? ([['Reason', r.reason]] as [string, string][]) : []),
    ['Created', `${r.createdAt} (${ago(r.createdAt, now)})`],
    ['Updated', `${r.updatedAt} (${ago(r.updatedAt, now)})`],
  ];
  const out = fields.map(([k, v]) => `${style.bold(k.padEnd(10))}${v}`);
  out.push('', style.bold('Steps'), ...stepTimeline(r, style).map((l) => `  ${l}`));
  if (r.approvals.length > 0) {
    out.push('', style.bold('Approvals'), ...table(['BY', 'AT', 'STEP', 'COMMENT'], r.approvals.map((a) => [a.by, clock(a.at), String(a.step + 1), a.comment ?? '']), style).split('\n').map((l) => `  ${l}`));
  }
  out.push('', style.bold('Events'), ...r.events.map((e) => `  ${eventLine(e, style)}`));
  return out.join('\n');
}

export function rolloutTable(items: readonly RolloutView[], now: Date, style: Style = plain): string {
  if (items.length === 0) return 'no rollouts';
  const rows = items.map((r) => [
    r.id,
    r.service,
    statusColor(r.status, style)(r.status),
    `${r.canaryWeight}%`,
    r.currentStep === null ? '-' : `${Math.min(r.currentStep + 1, r.steps.length)}/${r.steps.length}`,
    `${r.image.tag ?? '-'} ${style.dim(shortDigest(r.image.digest))}`,
    ago(r.createdAt, now),
  ]);
  return table(['ID', 'SERVICE', 'STATUS', 'WEIGHT', 'STEP', 'IMAGE', 'CREATED'], rows, style);
}

export function servicesTable(items: readonly ServiceDescription[], style: Style = plain): string {
  if (items.length === 0) return 'no services configured';
  const rows = items.map((s) => [
    s.name,
    `${s.cluster}/${s.service}`,
    s.ecsError ? style.red(`unknown (${s.ecsError})`) : shortDigest(s.stable),
    s.activeRollout ?? '-',
    s.steps.map(describeStep).join(', '),
    s.alarms.join(', ') || '-',
  ]);
  return table(['NAME', 'ECS', 'STABLE', 'ACTIVE ROLLOUT', 'STEPS', 'ALARMS'], rows, style);
}
