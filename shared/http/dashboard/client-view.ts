/**
 * The dashboard's script, second half: rendering. Every value from the API goes into the page through
 * textContent or attributes (never innerHTML), so a tag or a reason string cannot inject markup.
 * Re-rendering is batched to one per animation frame; open/closed event logs survive re-renders.
 */
export const CLIENT_VIEW_JS = String.raw`
var TERMINAL = ['SUCCEEDED', 'ROLLED_BACK', 'REJECTED'];
var renderQueued = false;

function h(tag, props, children) {
  var el = document.createElement(tag);
  Object.keys(props || {}).forEach(function (key) {
    var value = props[key];
    if (value === null || value === undefined || value === false) return;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'data') Object.keys(value).forEach(function (k) { el.dataset[k] = value[k]; });
    else if (key.slice(0, 2) === 'on') el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : value);
  });
  (children || []).forEach(function (child) {
    if (child !== null && child !== undefined && child !== false) el.append(child instanceof Node ? child : String(child));
  });
  return el;
}

function shortDigest(digest) { return digest ? digest.replace(/^sha256:/, '').slice(0, 12) : '—'; }
function time(iso) { return iso ? new Date(iso).toLocaleTimeString([], { hour12: false }) : ''; }
function dateTime(iso) { return iso ? new Date(iso).toLocaleString([], { hour12: false }) : ''; }
function seconds(s) {
  var out = '';
  if (s >= 3600) { out += Math.floor(s / 3600) + 'h'; s %= 3600; }
  if (s >= 60) { out += Math.floor(s / 60) + 'm'; s %= 60; }
  return out + (s || !out ? s + 's' : '');
}
function stepLabel(step, blueGreen) {
  // Blue-green's first step: the new task set at full size behind the preview rule.
  if (blueGreen && step.setWeight === 0) return 'preview';
  if (step.setWeight !== undefined) return step.setWeight + '%';
  if (step.pause && step.pause.duration !== undefined) return 'bake ' + seconds(step.pause.duration);
  return step.pause && step.pause.name ? 'approve: ' + step.pause.name : 'approval';
}

function render() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(function () { renderQueued = false; draw(); });
}

function draw() {
  $('services').replaceChildren.apply($('services'), state.services.length ? state.services.map(serviceCard) : [h('div', { class: 'empty', text: 'No services configured.' })]);
  var all = Array.from(state.rollouts.values()).sort(function (a, b) { return a.id < b.id ? 1 : -1; });
  var active = all.filter(function (r) { return TERMINAL.indexOf(r.status) < 0; });
  var recent = all.filter(function (r) { return TERMINAL.indexOf(r.status) >= 0; }).slice(0, 15);
  $('active').replaceChildren.apply($('active'), active.length ? active.map(rolloutCard) : [h('div', { class: 'empty', text: 'No rollout in progress. Push an image to start one.' })]);
  $('recent').replaceChildren.apply($('recent'), recent.length ? recent.map(rolloutCard) : [h('div', { class: 'empty', text: 'No finished rollouts yet.' })]);
}

function serviceCard(s) {
  var active = s.activeRollout ? state.rollouts.get(s.activeRollout) : null;
  return h('div', { class: 'service', data: { service: s.name } }, [
    h('div', { class: 'name', text: s.name }),
    h('div', { class: 'where', text: s.cluster + ' / ' + s.service }),
    h('dl', { class: 'kv' }, [
      h('dt', { text: 'image' }), h('dd', { class: 'mono', title: s.image, text: s.image }),
      h('dt', { text: 'stable' }), stableCell(s),
      h('dt', { text: 'rollout' }),
      h('dd', {}, [s.activeRollout
        ? h('a', { href: '#r-' + s.activeRollout, text: (active ? active.status + ' · ' + active.canaryWeight + '%' : s.activeRollout) })
        : h('span', { class: 'muted', text: 'idle' })]),
    ]),
  ]);
}

function stableCell(s) {
  if (s.stable) return h('dd', { class: 'mono', data: { field: 'stable' }, title: s.stable, text: shortDigest(s.stable) });
  if (s.ecsError) return h('dd', { class: 'muted', data: { field: 'stable' }, title: s.ecsError, text: 'ECS error' });
  // Running an image by tag (before the first rollout): show the reference, since there is no digest.
  return h('dd', { class: 'mono muted', data: { field: 'stable' }, title: s.stableImage || '', text: s.stableImage ? s.stableImage.split('/').pop() + ' (by tag)' : 'unknown' });
}

function rolloutCard(r) {
  var terminal = TERMINAL.indexOf(r.status) >= 0;
  var open = state.open.has(r.id) ? state.open.get(r.id) : !terminal;
  var busy = state.busy.has(r.id);
  var actions = [];
  // Paused by hand: Resume; at an approval pause: Approve. Pause holds a PROGRESSING rollout not yet being promoted.
  var manual = r.status === 'PAUSED' && r.wait && r.wait.for === 'manual';
  // Blue-green after the switch, within scaleDownDelay: an abort switches production back at once.
  var promotingDelay = r.status === 'PROMOTING' && r.wait && r.wait.for === 'bake';
  var button = function (action, label) { return h('button', { class: action, type: 'button', disabled: busy, onclick: function () { command(r.id, action); } }, [label]); };
  if (r.status === 'PAUSED') actions.push(manual ? button('resume', 'Resume') : button('approve', 'Approve'));
  if (r.status === 'PROGRESSING' && !r.promoting) actions.push(button('pause', 'Pause'));
  if (['PENDING', 'PROGRESSING', 'PAUSED', 'FAILED'].indexOf(r.status) >= 0 || promotingDelay) {
    actions.push(h('button', { class: 'abort', type: 'button', disabled: busy, onclick: function () {
      if (confirm('Abort the ' + r.service + ' rollout of ' + (r.image.tag || shortDigest(r.image.digest)) + '? It rolls back to the stable image.')) command(r.id, 'abort');
    } }, [r.status === 'FAILED' ? 'Retry rollback' : 'Abort']));
  }
  var events = h('details', { class: 'events', open: open, ontoggle: function (e) { rememberOpen(r.id, e.target.open); } }, [
    h('summary', { text: 'Event log (' + r.events.length + ')' }),
    h('div', { class: 'log' }, [h('table', {}, [h('tbody', {}, r.events.slice().reverse().map(function (e) {
      return h('tr', {}, [h('td', { class: 't', title: e.at, text: time(e.at) }), h('td', { class: 'ty', text: e.type }), h('td', { text: e.message })]);
    }))])]),
  ]);
  return h('article', { id: 'r-' + r.id, class: 'rollout st-' + r.status + (terminal ? ' terminal' : ''), data: { rolloutId: r.id, status: r.status, weight: String(r.canaryWeight) } }, [
    h('div', { class: 'head' }, [
      h('span', { class: 'svc', text: r.service }),
      r.image.tag ? h('span', { class: 'tag', text: r.image.tag }) : null,
      h('code', { class: 'digest', title: r.image.digest, text: shortDigest(r.image.digest) }),
      h('span', { class: 'badge st-' + r.status, text: r.status }),
      h('span', { class: 'spacer' }),
      h('div', { class: 'actions' }, actions),
    ]),
    h('div', { class: 'meta' }, [
      h('code', { text: r.id }), ' · created ' + dateTime(r.createdAt) + ' · updated ' + time(r.updatedAt),
      manual ? ' · paused by ' + r.wait.by + (r.wait.reason ? ': ' + r.wait.reason : '')
        : promotingDelay ? ' · production on the new task set; the old one kept until ' + time(r.wait.until) + ' (scaleDownDelay): abort switches back'
        : r.wait ? ' · waiting for ' + r.wait.for : '',
    ]),
    terminal ? null : weightBar(r),
    terminal ? null : timeline(r),
    r.reason ? h('p', { class: 'reason', text: r.reason }) : null,
    events,
  ]);
}

/** Only a choice that differs from the default is kept (toggle also fires for the initial render). */
function rememberOpen(id, open) {
  var now = state.rollouts.get(id);
  var byDefault = !now || TERMINAL.indexOf(now.status) < 0;
  if (open === byDefault) state.open.delete(id); else state.open.set(id, open);
}

function weightBar(r) {
  // Blue-green: the bar is production's split between the new and the old task set (both at full size).
  var names = r.blueGreen ? ['new ', 'old '] : ['canary ', 'stable '];
  var canary = h('div', { class: 'canary' });
  canary.style.width = r.canaryWeight + '%'; // CSSOM, which the CSP allows (style attributes it does not)
  return h('div', { class: 'weight' }, [
    h('div', { class: 'bar', role: 'img', 'aria-label': names[0] + r.canaryWeight + '%, ' + names[1] + (100 - r.canaryWeight) + '%' }, [canary, h('div', { class: 'stable' })]),
    h('div', { class: 'legend' }, [
      h('span', {}, [names[0], h('b', { class: 'canary-weight', text: r.canaryWeight + '%' })]),
      h('span', {}, [names[1], h('b', { text: (100 - r.canaryWeight) + '%' })]),
    ].concat(r.blueGreen ? [h('span', { class: 'preview', text: 'blue-green, preview rule ' + r.blueGreen.previewListenerRule.slice(r.blueGreen.previewListenerRule.lastIndexOf('/') + 1) })] : [])),
  ]);
}

function timeline(r) {
  return h('ol', { class: 'steps' }, r.steps.map(function (step, i) {
    return h('li', { class: 'step s-' + step.status, title: 'step ' + (i + 1) + ': ' + step.status.toLowerCase() + (step.completedAt ? ' at ' + time(step.completedAt) : ''), data: { step: String(i), status: step.status } }, [
      h('span', { class: 'dot' }),
      h('span', { class: 'label', text: stepLabel(step, !!r.blueGreen) }),
      h('span', { class: 'state', text: step.status === 'PENDING' ? '' : step.status }),
    ]);
  }));
}

if (token() && by()) start(); else showSignIn();
`;
