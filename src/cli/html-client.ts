/**
 * The flame graph page's script, as plain browser JavaScript (the project's tsconfig
 * has no DOM types). It reads the JSON embedded in the page and draws on a canvas, so
 * the DOM stays small whatever the number of samples.
 */
export const CLIENT_JS = String.raw`
(function () {
  'use strict';
  var DATA = JSON.parse(document.getElementById('ferroprof-data').textContent);
  var ROW = 18;
  var canvas = document.getElementById('fg');
  var ctx = canvas.getContext('2d');
  var tip = document.getElementById('tip');
  var statusEl = document.getElementById('status');
  var searchEl = document.getElementById('search');
  var state = { thread: 0, mode: 'flame', zoom: null, range: null, query: '', hover: null };
  var drawn = [];
  var cache = {};

  function fmtMs(ns) {
    var ms = ns / 1e6;
    return ms >= 1000 ? (ms / 1000).toFixed(2) + ' s' : ms.toFixed(1) + ' ms';
  }
  function fname(fi) { return DATA.frames[fi][0]; }
  function floc(fi) { return DATA.frames[fi][1]; }
  function inApp(fi) { return DATA.frames[fi][2] === 1; }

  // Per-thread aggregation, built once: the call tree (left-heavy) and per-function totals.
  function prepare(ti) {
    if (cache[ti]) return cache[ti];
    var th = DATA.threads[ti];
    var w = th.periodNs;
    var counts = new Array(th.stacks.length).fill(0);
    var idle = 0;
    for (var i = 0; i < th.ids.length; i++) {
      if (th.ids[i] < 0) idle++; else counts[th.ids[i]]++;
    }
    var root = { f: -1, total: 0, self: 0, children: [], byFrame: new Map(), depth: 0, parent: null };
    var fnSelf = new Map(), fnTotal = new Map();
    var maxDepth = 0;
    for (var s = 0; s < th.stacks.length; s++) {
      var c = counts[s];
      if (!c) continue;
      var stack = th.stacks[s];
      var node = root;
      var weight = c * w;
      root.total += weight;
      var seen = new Set();
      for (var d = 0; d < stack.length; d++) {
        var fi = stack[d];
        var child = node.byFrame.get(fi);
        if (!child) {
          child = { f: fi, total: 0, self: 0, children: [], byFrame: new Map(), depth: d + 1, parent: node };
          node.byFrame.set(fi, child);
          node.children.push(child);
        }
        child.total += weight;
        node = child;
        var name = fname(fi) + '\u0000' + floc(fi);
        if (!seen.has(name)) { seen.add(name); fnTotal.set(name, (fnTotal.get(name) || 0) + weight); }
      }
      node.self += weight;
      var leaf = fname(stack[stack.length - 1]) + '\u0000' + floc(stack[stack.length - 1]);
      fnSelf.set(leaf, (fnSelf.get(leaf) || 0) + weight);
      if (stack.length > maxDepth) maxDepth = stack.length;
    }
    (function sortTree(n) {
      n.children.sort(function (a, b) { return b.total - a.total; });
      for (var k = 0; k < n.children.length; k++) sortTree(n.children[k]);
    })(root);
    var fns = [];
    fnTotal.forEach(function (total, key) {
      var parts = key.split('\u0000');
      fns.push({ name: parts[0], location: parts[1], selfNs: fnSelf.get(key) || 0, totalNs: total });
    });
    fns.sort(function (a, b) { return b.selfNs - a.selfNs || b.totalNs - a.totalNs; });
    var last = th.times.length ? th.times[th.times.length - 1] : 0;
    cache[ti] = { root: root, maxDepth: maxDepth, fns: fns, fnSelf: fnSelf, fnTotal: fnTotal, idle: idle * w,
      t0: th.times.length ? th.times[0] : 0, t1: last + w / 1000 };
    return cache[ti];
  }

  function hue(name) {
    var h = 0;
    for (var i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) | 0;
    return Math.abs(h);
  }
  function color(fi, matched) {
    if (state.query) return matched ? '#c13df2' : '#d8d8d8';
    var h = hue(fname(fi));
    if (!inApp(fi)) return 'hsl(' + (200 + (h % 30)) + ',45%,' + (70 + (h % 10)) + '%)';
    return 'hsl(' + (h % 50) + ',' + (75 + (h % 20)) + '%,' + (58 + (h % 12)) + '%)';
  }
  function matches(fi) {
    return state.query !== '' && fname(fi).toLowerCase().indexOf(state.query) >= 0;
  }

  function resize(rows) {
    var cssW = canvas.parentElement.clientWidth;
    var cssH = Math.max(rows, 1) * ROW + 4;
    var dpr = window.devicePixelRatio || 1;
    canvas.style.width = cssW + 'px';
    canvas.style.height = cssH + 'px';
    canvas.width = Math.round(cssW * dpr);
    canvas.height = Math.round(cssH * dpr);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, cssW, cssH);
    ctx.font = '12px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    return cssW;
  }

  function bar(x, y, w, fi, info) {
    var m = matches(fi);
    ctx.fillStyle = info.dim ? '#eeeeee' : color(fi, m);
    ctx.fillRect(x, y, Math.max(w - 1, 0.5), ROW - 1);
    if (w > 30) {
      ctx.fillStyle = info.dim ? '#999' : '#111';
      var label = fname(fi);
      var max = Math.floor((w - 6) / 6.5);
      if (label.length > max) label = label.slice(0, Math.max(max - 1, 1)) + '\u2026';
      ctx.fillText(label, x + 3, y + ROW / 2);
    }
    info.x = x; info.y = y; info.w = w; info.h = ROW; info.f = fi; info.matched = m;
    drawn.push(info);
  }

  function drawFlame() {
    var p = prepare(state.thread);
    var W = resize(p.maxDepth);
    drawn = [];
    var focus = state.zoom || p.root;
    // Ancestors of the zoomed node span the full width, dimmed.
    var chain = [];
    for (var a = focus; a && a !== p.root; a = a.parent) chain.unshift(a);
    for (var i = 0; i < chain.length - 1; i++) bar(0, i * ROW, W, chain[i].f, { node: chain[i], dim: true });
    if (focus.total <= 0) return;
    var scale = W / focus.total;
    function walk(node, x, depth) {
      var w = node.total * scale;
      if (w < 0.4) return;
      if (node !== p.root) bar(x, (depth - 1) * ROW, w, node.f, { node: node });
      var cx = x;
      for (var k = 0; k < node.children.length; k++) {
        var ch = node.children[k];
        if (ch.total * scale < 0.4) break; // sorted: the rest are narrower still
        walk(ch, cx, depth + 1);
        cx += ch.total * scale;
      }
    }
    walk(focus, 0, focus === p.root ? 0 : focus.depth);
  }

  // Time order: one stack per pixel column, equal prefixes of neighbours merged into bars.
  function drawTime() {
    var p = prepare(state.thread);
    var th = DATA.threads[state.thread];
    var W = resize(p.maxDepth);
    drawn = [];
    var r = state.range || [p.t0, p.t1];
    var span = Math.max(r[1] - r[0], 1e-3);
    var gap = 2.5 * th.periodNs / 1000;
    var cols = [];
    for (var c = 0; c < W; c++) {
      var t = r[0] + (c + 0.5) * span / W;
      var lo = 0, hi = th.times.length - 1, at = -1;
      while (lo <= hi) { var mid = (lo + hi) >> 1; if (th.times[mid] <= t) { at = mid; lo = mid + 1; } else hi = mid - 1; }
      var sid = at >= 0 && t - th.times[at] <= gap ? th.ids[at] : -1;
      cols.push(sid >= 0 ? th.stacks[sid] : null);
    }
    var depthMax = p.maxDepth;
    for (var d = 0; d < depthMax; d++) {
      var start = -1, cur = -1;
      for (var c2 = 0; c2 <= W; c2++) {
        var st = c2 < W ? cols[c2] : null;
        var f = st && st.length > d ? st[d] : -1;
        var same = f >= 0 && f === cur && c2 > 0 && prefixEqual(cols[c2 - 1], st, d);
        if (!same) {
          if (cur >= 0) {
            var t0 = r[0] + start * span / W, t1 = r[0] + c2 * span / W;
            bar(start, d * ROW, c2 - start, cur, { range: [t0, t1] });
          }
          start = c2; cur = f;
        }
      }
    }
  }
  function prefixEqual(a, b, d) {
    if (!a || !b || a.length <= d || b.length <= d) return false;
    if (a === b) return true;
    for (var i = 0; i <= d; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  function renderSide() {
    var p = prepare(state.thread);
    var list = document.getElementById('selflist');
    list.textContent = '';
    var top = p.fns.slice(0, 25);
    var max = top.length ? top[0].selfNs : 1;
    var busy = p.root.total || 1;
    top.forEach(function (fn) {
      if (fn.selfNs <= 0) return;
      var row = document.createElement('div');
      row.className = 'self-row';
      row.setAttribute('data-function', fn.name);
      row.setAttribute('data-self-ns', String(Math.round(fn.selfNs)));
      row.title = fn.name + ' (' + fn.location + ')';
      var barEl = document.createElement('div');
      barEl.className = 'bar';
      barEl.style.width = (100 * fn.selfNs / max).toFixed(2) + '%';
      var label = document.createElement('span');
      label.textContent = fn.name + '  ' + fmtMs(fn.selfNs) + ' (' + (100 * fn.selfNs / busy).toFixed(1) + '%)';
      row.appendChild(barEl);
      row.appendChild(label);
      row.addEventListener('click', function () { setSearch(fn.name); });
      list.appendChild(row);
    });
  }

  function render() {
    if (state.mode === 'flame') drawFlame(); else drawTime();
    var p = prepare(state.thread);
    var th = DATA.threads[state.thread];
    var msg = th.ids.length + ' samples, busy ' + fmtMs(p.root.total) + ', idle ' + fmtMs(p.idle);
    if (state.zoom) msg += ' \u2014 zoomed to ' + fname(state.zoom.f);
    if (state.range) msg += ' \u2014 ' + fmtMs((state.range[1] - state.range[0]) * 1000) + ' window';
    if (state.query) {
      var hit = 0;
      p.fnTotal.forEach(function (v, k) { if (k.split('\u0000')[0].toLowerCase().indexOf(state.query) >= 0) hit = Math.max(hit, v); });
      msg += ' \u2014 "' + state.query + '": ' + drawn.filter(function (b) { return b.matched; }).length + ' bars, ' + (100 * hit / (p.root.total || 1)).toFixed(1) + '% of busy time';
    }
    statusEl.textContent = msg;
    document.querySelectorAll('.tab').forEach(function (el, i) { el.classList.toggle('on', i === state.thread); });
    document.getElementById('mode-flame').classList.toggle('on', state.mode === 'flame');
    document.getElementById('mode-time').classList.toggle('on', state.mode === 'time');
  }

  function hit(x, y) {
    for (var i = drawn.length - 1; i >= 0; i--) {
      var b = drawn[i];
      if (x >= b.x && x < b.x + b.w && y >= b.y && y < b.y + b.h) return b;
    }
    return null;
  }
  function pos(ev) {
    var r = canvas.getBoundingClientRect();
    return [ev.clientX - r.left, ev.clientY - r.top];
  }
  canvas.addEventListener('mousemove', function (ev) {
    var xy = pos(ev);
    var b = hit(xy[0], xy[1]);
    if (!b) { tip.style.display = 'none'; return; }
    var p = prepare(state.thread);
    var key = fname(b.f) + '\u0000' + floc(b.f);
    var busy = p.root.total || 1;
    var lines = [fname(b.f), floc(b.f)];
    if (b.node) lines.push('here: total ' + fmtMs(b.node.total) + ', self ' + fmtMs(b.node.self));
    lines.push('function: self ' + fmtMs(p.fnSelf.get(key) || 0) + ' (' + (100 * (p.fnSelf.get(key) || 0) / busy).toFixed(1) +
      '%), total ' + fmtMs(p.fnTotal.get(key) || 0) + ' (' + (100 * (p.fnTotal.get(key) || 0) / busy).toFixed(1) + '%)');
    tip.textContent = lines.join('\n');
    tip.style.display = 'block';
    tip.style.left = Math.min(ev.clientX + 12, window.innerWidth - 360) + 'px';
    tip.style.top = (ev.clientY + 14) + 'px';
  });
  canvas.addEventListener('mouseleave', function () { tip.style.display = 'none'; });
  canvas.addEventListener('click', function (ev) {
    var xy = pos(ev);
    var b = hit(xy[0], xy[1]);
    if (!b) return;
    // The source panel (html-source.ts) shows the selected function's lines.
    document.dispatchEvent(new CustomEvent('ferroprof:select', { detail: { name: fname(b.f), location: floc(b.f) } }));
    if (b.node) state.zoom = b.node; else if (b.range) state.range = b.range;
    render();
  });

  function setSearch(q) {
    searchEl.value = q;
    state.query = q.trim().toLowerCase();
    render();
  }
  searchEl.addEventListener('input', function () { setSearch(searchEl.value); });
  document.getElementById('reset').addEventListener('click', function () {
    state.zoom = null; state.range = null; searchEl.value = ''; state.query = ''; render();
  });
  document.getElementById('mode-flame').addEventListener('click', function () { state.mode = 'flame'; render(); });
  document.getElementById('mode-time').addEventListener('click', function () { state.mode = 'time'; render(); });
  var tabs = document.getElementById('tabs');
  DATA.threads.forEach(function (th, i) {
    var b = document.createElement('button');
    b.className = 'tab';
    b.textContent = th.name + ' (' + th.ids.length + ')';
    b.addEventListener('click', function () { selectThread(i); });
    tabs.appendChild(b);
  });
  function selectThread(i) {
    state.thread = i; state.zoom = null; state.range = null;
    renderSide(); render();
  }
  window.addEventListener('resize', render);

  // A stable surface for tests and scripting: what is drawn, and the controls.
  window.__ferroprof = {
    threads: function () { return DATA.threads.map(function (t) { return t.name; }); },
    selectThread: selectThread,
    setMode: function (m) { state.mode = m; render(); },
    search: setSearch,
    reset: function () { document.getElementById('reset').click(); },
    topSelf: function () { return prepare(state.thread).fns.slice(0, 25); },
    bars: function () {
      return drawn.map(function (b) {
        return { name: fname(b.f), location: floc(b.f), x: b.x, y: b.y, w: b.w, h: b.h, matched: b.matched,
          totalNs: b.node ? b.node.total : null, selfNs: b.node ? b.node.self : null };
      });
    },
    state: function () {
      return { thread: state.thread, mode: state.mode, query: state.query,
        zoom: state.zoom ? fname(state.zoom.f) : null, range: state.range };
    },
  };
  if (DATA.threads.length) selectThread(0); else statusEl.textContent = 'no samples';
})();
`;
