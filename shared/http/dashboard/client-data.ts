/**
 * The dashboard's script, first half: the token, API calls, and live updates. Plain browser JavaScript
 * (no build step), held as a string and served at /dashboard/app.js together with client-view.ts.
 *
 * Live updates are server-sent events read with fetch() rather than EventSource, because EventSource
 * cannot send an Authorization header: the token would have to go in the URL, and URLs end up in proxy
 * and load-balancer logs and in browser history. Reading the stream with fetch keeps one way to
 * authenticate (the bearer header) for every route. When `/events` is not served (AWS: the rollouts move
 * in other Lambdas), the page polls the API every 5 s instead.
 */
export const CLIENT_DATA_JS = String.raw`
var TOKEN_KEY = 'rollout.apiToken';
var BY_KEY = 'rollout.by';
var state = { rollouts: new Map(), services: [], open: new Map(), busy: new Set(), mode: 'offline' };
var stream = null;
var pollTimer = null;
var servicesTimer = null;
var heartbeatMs = 15000;

function $(id) { return document.getElementById(id); }
function token() { return sessionStorage.getItem(TOKEN_KEY); }
function by() { return localStorage.getItem(BY_KEY) || ''; }

function Unauthorized() { this.message = 'the API token was refused'; }

async function api(method, path, body) {
  var headers = { authorization: 'Bearer ' + token(), accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  var res = await fetch(path, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  if (res.status === 401) throw new Unauthorized();
  var data = await res.json().catch(function () { return null; });
  if (!res.ok) throw new Error((data && data.detail) || ('HTTP ' + res.status));
  return data;
}

/** Keeps the newest version of each rollout: stream and snapshot may cross. */
function upsert(rollout) {
  var known = state.rollouts.get(rollout.id);
  if (known && known.version > rollout.version) return;
  state.rollouts.set(rollout.id, rollout);
  if (!known || known.status !== rollout.status) refreshServicesSoon();
  render();
}

async function refresh() {
  var both = await Promise.all([api('GET', '/services'), api('GET', '/rollouts?limit=30')]);
  state.services = both[0].items;
  both[1].items.forEach(upsert);
  // An active rollout older than the newest 30 still belongs on the page.
  var missing = state.services.map(function (s) { return s.activeRollout; })
    .filter(function (id) { return id && !state.rollouts.has(id); });
  (await Promise.all(missing.map(function (id) { return api('GET', '/rollouts/' + id); }))).forEach(upsert);
  render();
}

function refreshServicesSoon() {
  if (state.mode !== 'live') return; // polling refreshes them anyway
  clearTimeout(servicesTimer);
  servicesTimer = setTimeout(function () {
    api('GET', '/services').then(function (page) { state.services = page.items; render(); }, failed);
  }, 250);
}

function setMode(mode) {
  state.mode = mode;
  var conn = $('conn');
  conn.dataset.mode = mode;
  conn.textContent = { live: 'live', polling: 'polling every 5 s', reconnecting: 'reconnecting…', offline: 'offline' }[mode];
}

function parseBlock(block) {
  var event = 'message';
  var data = [];
  block.split('\n').forEach(function (line) {
    if (line === '' || line[0] === ':') return; // comments are heartbeats
    var colon = line.indexOf(':');
    var field = colon < 0 ? line : line.slice(0, colon);
    var value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  });
  if (event === 'rollout') upsert(JSON.parse(data.join('\n')));
  else if (event === 'ready') heartbeatMs = JSON.parse(data.join('\n') || '{}').heartbeatMs || heartbeatMs;
}

/** One stream at a time; on any end it reconnects and reloads the snapshot, so nothing is missed. */
async function connect() {
  if (stream) stream.abort();
  var mine = new AbortController();
  stream = mine;
  var watchdog = null;
  var kick = function () { clearTimeout(watchdog); watchdog = setTimeout(function () { mine.abort(); }, heartbeatMs * 3); };
  try {
    var res = await fetch('/events', { headers: { authorization: 'Bearer ' + token(), accept: 'text/event-stream' }, signal: mine.signal, cache: 'no-store' });
    if (res.status === 401) throw new Unauthorized();
    if (!res.ok || !res.body) { startPolling(); return; }
    stopPolling();
    setMode('live');
    kick();
    await refresh();
    var reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    var buffer = '';
    for (;;) {
      var chunk = await reader.read();
      if (chunk.done) break;
      kick();
      buffer += chunk.value;
      var end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        parseBlock(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
  } catch (e) {
    if (e instanceof Unauthorized) { signOut(e.message); return; }
  } finally {
    clearTimeout(watchdog);
  }
  if (stream !== mine || !token()) return; // replaced, or signed out
  setMode('reconnecting');
  setTimeout(function () { if (stream === mine) connect(); }, 2000);
}

function startPolling() {
  setMode('polling');
  if (pollTimer) return;
  refresh().catch(failed);
  pollTimer = setInterval(function () { refresh().catch(failed); }, 5000);
}
function stopPolling() { clearInterval(pollTimer); pollTimer = null; }

var COMMANDS = {
  approve: { body: { comment: 'approved on the dashboard' }, done: 'Approved: the rollout continues' },
  abort: { body: { reason: 'aborted on the dashboard' }, done: 'Aborted: rolling back to stable' },
  pause: { body: { reason: 'paused on the dashboard' }, done: 'Paused: held at its weight until resumed (alarms still roll it back)' },
  resume: { body: {}, done: 'Resumed: the rollout continues where it was' },
};

async function command(id, action) {
  var body = Object.assign({ by: by() }, COMMANDS[action].body);
  state.busy.add(id);
  render();
  try {
    upsert(await api('POST', '/rollouts/' + encodeURIComponent(id) + '/' + action, body));
    toast(COMMANDS[action].done);
  } catch (e) {
    failed(e);
  } finally {
    state.busy.delete(id);
    render();
  }
}

function failed(e) {
  if (e instanceof Unauthorized) return signOut(e.message);
  toast(e && e.message ? e.message : String(e), true);
}

var toastTimer = null;
function toast(text, bad) {
  var el = $('toast');
  el.textContent = text;
  el.className = bad ? 'toast bad' : 'toast';
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(function () { el.hidden = true; }, bad ? 6000 : 3000);
}

function showSignIn(message) {
  $('app').hidden = true;
  $('who').hidden = true;
  $('signout').hidden = true;
  $('signin').hidden = false;
  $('by').value = by();
  $('signin-error').textContent = message || '';
  $('signin-error').hidden = !message;
  (by() ? $('token') : $('by')).focus();
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  if (stream) stream.abort();
  stream = null;
  stopPolling();
  setMode('offline');
  state.rollouts.clear();
  showSignIn(message);
}

async function start() {
  $('signin').hidden = true;
  $('app').hidden = false;
  $('who').hidden = false;
  $('signout').hidden = false;
  $('who-name').textContent = by();
  connect();
}

$('signin-form').addEventListener('submit', async function (event) {
  event.preventDefault();
  var name = $('by').value.trim();
  if (!name) return;
  sessionStorage.setItem(TOKEN_KEY, $('token').value.trim());
  localStorage.setItem(BY_KEY, name);
  try {
    await api('GET', '/services'); // check the token before showing anything
    $('token').value = '';
    start();
  } catch (e) {
    if (e instanceof Unauthorized) signOut('That token was refused: use the API token, not the webhook token.');
    else showSignIn(e.message);
  }
});
$('signout').addEventListener('click', function () { signOut(); });
`;
