/**
 * The dashboard's rendering. Re-rendering is batched to one per animation frame; event logs opened or
 * closed by hand stay so across re-renders.
 */
import { type Command, command, state } from './data';
import { $, h } from './dom';
import type { RolloutView, ServiceView, StepView } from './types';

const TERMINAL = ['SUCCEEDED', 'ROLLED_BACK', 'REJECTED'];
const isTerminal = (status: string) => TERMINAL.includes(status);
let renderQueued = false;

const shortDigest = (digest: string | null | undefined) => (digest ? digest.replace(/^sha256:/, '').slice(0, 12) : '—');
const time = (iso: string | undefined) => (iso ? new Date(iso).toLocaleTimeString([], { hour12: false }) : '');
const dateTime = (iso: string | undefined) => (iso ? new Date(iso).toLocaleString([], { hour12: false }) : '');

function seconds(s: number): string {
  let out = '';
  if (s >= 3600) {
    out += `${Math.floor(s / 3600)}h`;
    s %= 3600;
  }
  if (s >= 60) {
    out += `${Math.floor(s / 60)}m`;
    s %= 60;
  }
  return out + (s || !out ? `${s}s` : '');
}

function stepLabel(step: StepView, blueGreen: boolean): string {
  // Blue-green's first step: the new task set at full size behind the preview rule.
  if (blueGreen && step.setWeight === 0) return 'preview';
  if (step.setWeight !== undefined) return `${step.setWeight}%`;
  if (step.pause?.duration !== undefined) return `bake ${seconds(step.pause.duration)}`;
  return step.pause?.name ? `approve: ${step.pause.name}` : 'approval';
}

export function render(): void {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    draw();
  });
}

function draw(): void {
  $('services').replaceChildren(...(state.services.length ? state.services.map(serviceCard) : [h('div', { class: 'empty', text: 'No services configured.' })]));
  const all = [...state.rollouts.values()].sort((a, b) => (a.id < b.id ? 1 : -1));
  const active = all.filter((r) => !isTerminal(r.status));
  const recent = all.filter((r) => isTerminal(r.status)).slice(0, 15);
  $('active').replaceChildren(...(active.length ? active.map(rolloutCard) : [h('div', { class: 'empty', text: 'No rollout in progress. Push an image to start one.' })]));
  $('recent').replaceChildren(...(recent.length ? recent.map(rolloutCard) : [h('div', { class: 'empty', text: 'No finished rollouts yet.' })]));
}

function serviceCard(s: ServiceView): HTMLElement {
  const active = s.activeRollout ? state.rollouts.get(s.activeRollout) : undefined;
  return h('div', { class: 'service', data: { service: s.name } }, [
    h('div', { class: 'name', text: s.name }),
    h('div', { class: 'where', text: `${s.cluster} / ${s.service}` }),
    h('dl', { class: 'kv' }, [
      h('dt', { text: 'image' }),
      h('dd', { class: 'mono', title: s.image, text: s.image }),
      h('dt', { text: 'stable' }),
      stableCell(s),
      h('dt', { text: 'rollout' }),
      h('dd', {}, [
        s.activeRollout
          ? h('a', { href: `#r-${s.activeRollout}`, text: active ? `${active.status} · ${active.canaryWeight}%` : s.activeRollout })
          : h('span', { class: 'muted', text: 'idle' }),
      ]),
    ]),
  ]);
}

function stableCell(s: ServiceView): HTMLElement {
  if (s.stable) return h('dd', { class: 'mono', data: { field: 'stable' }, title: s.stable, text: shortDigest(s.stable) });
  if (s.ecsError) return h('dd', { class: 'muted', data: { field: 'stable' }, title: s.ecsError, text: 'ECS error' });
  // Running an image by tag (before the first rollout): show the reference, since there is no digest.
  return h('dd', { class: 'mono muted', data: { field: 'stable' }, title: s.stableImage ?? '', text: s.stableImage ? `${s.stableImage.split('/').pop()} (by tag)` : 'unknown' });
}

function rolloutCard(r: RolloutView): HTMLElement {
  const terminal = isTerminal(r.status);
  const open = state.open.get(r.id) ?? !terminal;
  const busy = state.busy.has(r.id);
  const actions: HTMLElement[] = [];
  // Paused by hand: Resume; at an approval pause: Approve. Pause holds a PROGRESSING rollout not yet being promoted.
  const manual = r.status === 'PAUSED' && r.wait?.for === 'manual';
  // Blue-green after the switch, within scaleDownDelay: an abort switches production back at once.
  const promotingDelay = r.status === 'PROMOTING' && r.wait?.for === 'bake';
  const button = (action: Command, label: string) => h('button', { class: action, type: 'button', disabled: busy, onclick: () => void command(r.id, action) }, [label]);
  if (r.status === 'PAUSED') actions.push(manual ? button('resume', 'Resume') : button('approve', 'Approve'));
  if (r.status === 'PROGRESSING' && !r.promoting) actions.push(button('pause', 'Pause'));
  if (['PENDING', 'PROGRESSING', 'PAUSED', 'FAILED'].includes(r.status) || promotingDelay) {
    const confirmAbort = () => {
      if (confirm(`Abort the ${r.service} rollout of ${r.image.tag || shortDigest(r.image.digest)}? It rolls back to the stable image.`)) void command(r.id, 'abort');
    };
    actions.push(h('button', { class: 'abort', type: 'button', disabled: busy, onclick: confirmAbort }, [r.status === 'FAILED' ? 'Retry rollback' : 'Abort']));
  }
  const events = h('details', { class: 'events', open, ontoggle: (e) => rememberOpen(r.id, (e.target as HTMLDetailsElement).open) }, [
    h('summary', { text: `Event log (${r.events.length})` }),
    h('div', { class: 'log' }, [
      h('table', {}, [
        h(
          'tbody',
          {},
          [...r.events].reverse().map((e) => h('tr', {}, [h('td', { class: 't', title: e.at, text: time(e.at) }), h('td', { class: 'ty', text: e.type }), h('td', { text: e.message })])),
        ),
      ]),
    ]),
  ]);
  const waiting = manual
    ? ` · paused by ${r.wait?.by}${r.wait?.reason ? `: ${r.wait.reason}` : ''}`
    : promotingDelay
      ? ` · production on the new task set; the old one kept until ${time(r.wait?.until)} (scaleDownDelay): abort switches back`
      : r.wait
        ? ` · waiting for ${r.wait.for}`
        : '';
  return h('article', { id: `r-${r.id}`, class: `rollout st-${r.status}${terminal ? ' terminal' : ''}`, data: { rolloutId: r.id, status: r.status, weight: String(r.canaryWeight) } }, [
    h('div', { class: 'head' }, [
      h('span', { class: 'svc', text: r.service }),
      r.image.tag ? h('span', { class: 'tag', text: r.image.tag }) : null,
      h('code', { class: 'digest', title: r.image.digest, text: shortDigest(r.image.digest) }),
      h('span', { class: `badge st-${r.status}`, text: r.status }),
      h('span', { class: 'spacer' }),
      h('div', { class: 'actions' }, actions),
    ]),
    h('div', { class: 'meta' }, [h('code', { text: r.id }), ` · created ${dateTime(r.createdAt)} · updated ${time(r.updatedAt)}`, waiting]),
    terminal ? null : weightBar(r),
    terminal ? null : timeline(r),
    r.reason ? h('p', { class: 'reason', text: r.reason }) : null,
    events,
  ]);
}

/** Only a choice that differs from the default is kept (toggle also fires for the initial render). */
function rememberOpen(id: string, open: boolean): void {
  const now = state.rollouts.get(id);
  const byDefault = !now || !isTerminal(now.status);
  if (open === byDefault) state.open.delete(id);
  else state.open.set(id, open);
}

function weightBar(r: RolloutView): HTMLElement {
  // Blue-green: the bar is production's split between the new and the old task set (both at full size).
  const [first, second] = r.blueGreen ? ['new ', 'old '] : ['canary ', 'stable '];
  const canary = h('div', { class: 'canary' });
  canary.style.width = `${r.canaryWeight}%`; // CSSOM, which the CSP allows (style attributes it does not)
  const rule = r.blueGreen?.previewListenerRule;
  return h('div', { class: 'weight' }, [
    h('div', { class: 'bar', role: 'img', 'aria-label': `${first}${r.canaryWeight}%, ${second}${100 - r.canaryWeight}%` }, [canary, h('div', { class: 'stable' })]),
    h('div', { class: 'legend' }, [
      h('span', {}, [first, h('b', { class: 'canary-weight', text: `${r.canaryWeight}%` })]),
      h('span', {}, [second, h('b', { text: `${100 - r.canaryWeight}%` })]),
      rule ? h('span', { class: 'preview', text: `blue-green, preview rule ${rule.slice(rule.lastIndexOf('/') + 1)}` }) : null,
    ]),
  ]);
}

function timeline(r: RolloutView): HTMLElement {
  return h(
    'ol',
    { class: 'steps' },
    r.steps.map((step, i) =>
      h('li', { class: `step s-${step.status}`, title: `step ${i + 1}: ${step.status.toLowerCase()}${step.completedAt ? ` at ${time(step.completedAt)}` : ''}`, data: { step: String(i), status: step.status } }, [
        h('span', { class: 'dot' }),
        h('span', { class: 'label', text: stepLabel(step, !!r.blueGreen) }),
        h('span', { class: 'state', text: step.status === 'PENDING' ? '' : step.status }),
      ]),
    ),
  );
}
