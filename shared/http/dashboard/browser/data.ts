/**
 * The dashboard's data: the token, API calls, live updates and the operators' commands.
 *
 * Live updates are server-sent events read with fetch() rather than EventSource, because EventSource
 * cannot send an Authorization header: the token would have to go in the URL, and URLs end up in proxy
 * and load-balancer logs and in browser history. Reading the stream with fetch keeps one way to
 * authenticate (the bearer header) for every route. When `/events` is not served (AWS: the rollouts move
 * in other Lambdas), the page polls the API every 5 s instead.
 */
import { $ } from './dom';
import type { Page, RolloutView, ServiceView } from './types';
import { render } from './view';

const TOKEN_KEY = 'rollout.apiToken';
const BY_KEY = 'rollout.by';

type Mode = 'live' | 'polling' | 'reconnecting' | 'offline';

export const state = {
  rollouts: new Map<string, RolloutView>(),
  services: [] as ServiceView[],
  /** Event logs opened or closed by hand, by rollout id. */
  open: new Map<string, boolean>(),
  /** Rollouts with a command on its way. */
  busy: new Set<string>(),
  mode: 'offline' as Mode,
};

let stream: AbortController | null = null;
let pollTimer: ReturnType<typeof setInterval> | undefined;
let servicesTimer: ReturnType<typeof setTimeout> | undefined;
let toastTimer: ReturnType<typeof setTimeout> | undefined;
let heartbeatMs = 15000;

const token = () => sessionStorage.getItem(TOKEN_KEY);
export const by = () => localStorage.getItem(BY_KEY) ?? '';

class Unauthorized extends Error {
  constructor() {
    super('the API token was refused');
  }
}

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${token()}`, accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? null : JSON.stringify(body), cache: 'no-store' });
  if (res.status === 401) throw new Unauthorized();
  const data = (await res.json().catch(() => null)) as (T & { detail?: string }) | null;
  if (!res.ok) throw new Error(data?.detail || `HTTP ${res.status}`);
  return data as T;
}

/** Keeps the newest version of each rollout: stream and snapshot may cross. */
function upsert(rollout: RolloutView): void {
  const known = state.rollouts.get(rollout.id);
  if (known && known.version > rollout.version) return;
  state.rollouts.set(rollout.id, rollout);
  if (!known || known.status !== rollout.status) refreshServicesSoon();
  render();
}

async function refresh(): Promise<void> {
  const [services, rollouts] = await Promise.all([api<Page<ServiceView>>('GET', '/services'), api<Page<RolloutView>>('GET', '/rollouts?limit=30')]);
  state.services = services.items;
  rollouts.items.forEach(upsert);
  // An active rollout older than the newest 30 still belongs on the page.
  const missing = state.services.map((s) => s.activeRollout).filter((id): id is string => !!id && !state.rollouts.has(id));
  (await Promise.all(missing.map((id) => api<RolloutView>('GET', `/rollouts/${id}`)))).forEach(upsert);
  render();
}

function refreshServicesSoon(): void {
  if (state.mode !== 'live') return; // polling refreshes them anyway
  clearTimeout(servicesTimer);
  servicesTimer = setTimeout(() => {
    api<Page<ServiceView>>('GET', '/services').then((page) => {
      state.services = page.items;
      render();
    }, failed);
  }, 250);
}

const MODE_TEXT: Record<Mode, string> = { live: 'live', polling: 'polling every 5 s', reconnecting: 'reconnecting…', offline: 'offline' };

function setMode(mode: Mode): void {
  state.mode = mode;
  const conn = $('conn');
  conn.dataset['mode'] = mode;
  conn.textContent = MODE_TEXT[mode];
}

function parseBlock(block: string): void {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line[0] === ':') continue; // comments are heartbeats
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  if (event === 'rollout') upsert(JSON.parse(data.join('\n')) as RolloutView);
  else if (event === 'ready') heartbeatMs = (JSON.parse(data.join('\n') || '{}') as { heartbeatMs?: number }).heartbeatMs || heartbeatMs;
}

/** One stream at a time; on any end it reconnects and reloads the snapshot, so nothing is missed. */
async function connect(): Promise<void> {
  stream?.abort();
  const mine = new AbortController();
  stream = mine;
  let watchdog: ReturnType<typeof setTimeout> | undefined;
  const kick = () => {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => mine.abort(), heartbeatMs * 3);
  };
  try {
    const res = await fetch('/events', { headers: { authorization: `Bearer ${token()}`, accept: 'text/event-stream' }, signal: mine.signal, cache: 'no-store' });
    if (res.status === 401) throw new Unauthorized();
    if (!res.ok || !res.body) {
      startPolling();
      return;
    }
    stopPolling();
    setMode('live');
    kick();
    await refresh();
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) break;
      kick();
      buffer += chunk.value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        parseBlock(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
  } catch (e) {
    if (e instanceof Unauthorized) {
      signOut(e.message);
      return;
    }
  } finally {
    clearTimeout(watchdog);
  }
  if (stream !== mine || !token()) return; // replaced, or signed out
  setMode('reconnecting');
  setTimeout(() => {
    if (stream === mine) void connect();
  }, 2000);
}

function startPolling(): void {
  setMode('polling');
  if (pollTimer) return;
  refresh().catch(failed);
  pollTimer = setInterval(() => refresh().catch(failed), 5000);
}

function stopPolling(): void {
  clearInterval(pollTimer);
  pollTimer = undefined;
}

export type Command = 'approve' | 'abort' | 'pause' | 'resume';

const COMMANDS: Record<Command, { body: Record<string, string>; done: string }> = {
  approve: { body: { comment: 'approved on the dashboard' }, done: 'Approved: the rollout continues' },
  abort: { body: { reason: 'aborted on the dashboard' }, done: 'Aborted: rolling back to stable' },
  pause: { body: { reason: 'paused on the dashboard' }, done: 'Paused: held at its weight until resumed (alarms still roll it back)' },
  resume: { body: {}, done: 'Resumed: the rollout continues where it was' },
};

export async function command(id: string, action: Command): Promise<void> {
  const body = { by: by(), ...COMMANDS[action].body };
  state.busy.add(id);
  render();
  try {
    upsert(await api<RolloutView>('POST', `/rollouts/${encodeURIComponent(id)}/${action}`, body));
    toast(COMMANDS[action].done);
  } catch (e) {
    failed(e);
  } finally {
    state.busy.delete(id);
    render();
  }
}

function failed(e: unknown): void {
  if (e instanceof Unauthorized) return signOut(e.message);
  toast(e instanceof Error && e.message ? e.message : String(e), true);
}

function toast(text: string, bad = false): void {
  const el = $('toast');
  el.textContent = text;
  el.className = bad ? 'toast bad' : 'toast';
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (el.hidden = true), bad ? 6000 : 3000);
}

function showSignIn(message?: string): void {
  $('app').hidden = true;
  $('who').hidden = true;
  $('signout').hidden = true;
  $('signin').hidden = false;
  $<HTMLInputElement>('by').value = by();
  $('signin-error').textContent = message ?? '';
  $('signin-error').hidden = !message;
  (by() ? $('token') : $('by')).focus();
}

function signOut(message?: string): void {
  sessionStorage.removeItem(TOKEN_KEY);
  stream?.abort();
  stream = null;
  stopPolling();
  setMode('offline');
  state.rollouts.clear();
  showSignIn(message);
}

function start(): void {
  $('signin').hidden = true;
  $('app').hidden = false;
  $('who').hidden = false;
  $('signout').hidden = false;
  $('who-name').textContent = by();
  void connect();
}

/** Wires the sign-in form and the sign-out button, then opens the dashboard or asks for the token. */
export function startDashboard(): void {
  $('signin-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const name = $<HTMLInputElement>('by').value.trim();
    if (!name) return;
    sessionStorage.setItem(TOKEN_KEY, $<HTMLInputElement>('token').value.trim());
    localStorage.setItem(BY_KEY, name);
    try {
      await api('GET', '/services'); // check the token before showing anything
      $<HTMLInputElement>('token').value = '';
      start();
    } catch (e) {
      if (e instanceof Unauthorized) signOut('That token was refused: use the API token, not the webhook token.');
      else showSignIn(e instanceof Error ? e.message : String(e));
    }
  });
  $('signout').addEventListener('click', () => signOut());
  if (token() && by()) start();
  else showSignIn();
}
