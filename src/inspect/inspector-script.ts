/**
 * The inspector page's script (plain browser JavaScript, inlined in the page). It opens
 * `api/events`, renders a card per instance (chart with the active states highlighted, calls the
 * engine would take now, the last session's outcome and stop source, the timeline) and applies each
 * update as it arrives. Every value is set with `textContent`: data never becomes markup.
 * `document.body.dataset.updatedAt` holds the time the last update was applied.
 */
export const inspectorScript = String.raw`
(function () {
  'use strict';
  var main = document.getElementById('instances');
  var empty = document.getElementById('empty');
  var connection = document.getElementById('connection');
  var template = document.getElementById('chart-template');
  var allowStop = document.body.dataset.allowStop === 'true';
  var cards = new Map();
  var maxEntries = 400;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function fact(dl, name, key) {
    dl.append(el('dt', '', name));
    var dd = el('dd', '', '—');
    dd.dataset.field = key;
    dl.append(dd);
    return dd;
  }
  function time(at) {
    var d = new Date(at);
    var p = function (n, w) { return String(n).padStart(w, '0'); };
    return p(d.getHours(), 2) + ':' + p(d.getMinutes(), 2) + ':' + p(d.getSeconds(), 2) + '.' + p(d.getMilliseconds(), 3);
  }

  function card(instance) {
    var c = cards.get(instance);
    if (c) return c;
    if (empty) { empty.remove(); empty = null; }
    var root = el('section', 'instance');
    root.dataset.instance = instance;
    var head = el('header');
    head.append(el('h2', '', 'Instance ' + instance));
    var state = el('span', 'state', '');
    state.dataset.field = 'state';
    head.append(state);
    if (allowStop) {
      var button = el('button', 'stop', 'STOP backup');
      button.type = 'button';
      button.dataset.action = 'stop';
      button.addEventListener('click', function () {
        button.disabled = true;
        fetch('api/instances/' + encodeURIComponent(instance) + '/stop', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
          .then(function (r) { return r.json(); })
          .then(function (v) { button.title = v.delivery === 'noSession' ? 'no backup session was running: nothing to stop' : 'stop: ' + v.delivery; })
          .catch(function () {})
          .finally(function () { button.disabled = false; });
      });
      head.append(button);
    }
    var grid = el('div', 'grid');
    var chart = el('div', 'chart');
    chart.append(template.content.cloneNode(true));
    var nodes = [];
    chart.querySelectorAll('g[id^="state:"]').forEach(function (g) {
      var path = g.id.slice('state:'.length);
      g.removeAttribute('id');
      if (path) { g.dataset.state = path; nodes.push(g); }
    });
    var side = el('div', 'side');
    side.append(el('h3', '', 'Session'));
    var dl = el('dl', 'facts');
    var refs = {
      root: root, state: state, nodes: nodes, seq: 0,
      outcome: fact(dl, 'last outcome', 'outcome'),
      stop: fact(dl, 'stopped by', 'stop-source'),
      session: fact(dl, 'session', 'session'),
      file: fact(dl, 'open file', 'file'),
      stops: fact(dl, 'JetStopBackupInstance', 'stops'),
    };
    side.append(dl);
    side.append(el('h3', '', 'Calls now'));
    var table = el('table', 'calls');
    refs.calls = el('tbody');
    table.append(refs.calls);
    side.append(table);
    side.append(el('h3', '', 'Timeline (newest first)'));
    refs.timeline = el('ol', 'timeline');
    side.append(refs.timeline);
    grid.append(chart, side);
    root.append(head, grid);
    main.append(root);
    cards.set(instance, refs);
    return refs;
  }

  function render(view) {
    var c = card(view.instance);
    var active = new Set(view.active);
    c.root.dataset.active = view.active.join(' ');
    c.state.textContent = view.state;
    c.nodes.forEach(function (g) { g.classList.toggle('active', active.has(g.dataset.state)); });
    c.outcome.textContent = view.outcome ? view.outcome.text : 'no session ended yet';
    c.stop.textContent = view.session && view.session.stop ? view.session.stop.label : '—';
    c.session.textContent = view.session ? (view.session.open ? 'open' : 'ended') + (view.session.incremental ? ', incremental' : ', full') + ', ' + view.session.copied + ' file(s) copied' : 'none yet';
    c.file.textContent = view.session && view.session.file ? view.session.file : '—';
    c.stops.textContent = String(view.stops) + (view.latch ? ' · latched by ' + view.latch : '');
    var rows = view.calls.map(function (call) {
      var tr = el('tr', call.kind);
      tr.dataset.event = call.event;
      tr.dataset.kind = call.kind;
      tr.append(el('td', 'call', call.label));
      var verdict = call.kind === 'allowed' ? '✓ allowed' : call.kind === 'depends' ? '? data decides' : '✗ ' + call.code + ' (' + call.err + ')';
      tr.append(el('td', 'verdict', verdict));
      tr.append(el('td', 'rule', call.rule || ''));
      return tr;
    });
    c.calls.replaceChildren.apply(c.calls, rows);
    document.body.dataset.updatedAt = String(Date.now());
  }

  function add(entry) {
    var c = card(entry.instance);
    if (entry.seq <= c.seq) return;
    c.seq = entry.seq;
    var li = el('li', 'kind-' + entry.kind);
    li.dataset.kind = entry.kind;
    li.dataset.seq = String(entry.seq);
    if (entry.code) li.dataset.code = entry.code;
    if (entry.source) li.dataset.source = entry.source;
    li.append(el('time', '', time(entry.at)), el('span', 'badge', entry.kind), el('span', 'text', entry.text));
    c.timeline.prepend(li);
    while (c.timeline.childElementCount > maxEntries) c.timeline.lastElementChild.remove();
    document.body.dataset.updatedAt = String(Date.now());
  }

  var events = new EventSource('api/events');
  events.addEventListener('state', function (m) {
    var data = JSON.parse(m.data);
    data.instances.forEach(function (view) {
      var c = card(view.instance);
      c.timeline.replaceChildren();
      c.seq = 0;
      render(view);
      view.timeline.forEach(add);
    });
  });
  events.addEventListener('instance', function (m) { render(JSON.parse(m.data)); });
  events.addEventListener('entry', function (m) { add(JSON.parse(m.data)); });
  events.addEventListener('open', function () { connection.textContent = 'live'; connection.className = 'connection live'; });
  events.addEventListener('error', function () { connection.textContent = 'reconnecting…'; connection.className = 'connection'; });
})();
`;
