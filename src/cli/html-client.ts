import { FLAME_VIEW_JS } from './html-view-flame.js';
import { SANDWICH_VIEW_JS } from './html-view-sandwich.js';
import { TIME_VIEW_JS } from './html-view-time.js';

/**
 * The page's shared core, as plain browser JavaScript (the project's tsconfig has no DOM
 * types): the data, per-thread aggregation, colours, the viewport (wheel/keyboard zoom
 * and pan) and drawing of bars on one canvas. Each view is its own module that
 * registers `VIEWS[name] = { draw, click }`; a new view (a source view, say) adds a
 * module and a button, nothing here.
 */
const CORE_JS = String.raw`
  var DATA = JSON.parse(document.getElementById('ferroprof-data').textContent);
  var ROW = 18;
  var canvas = document.getElementById('fg');
  var ctx = canvas.getContext('2d');
  var tip = document.getElementById('tip');
  var statusEl = document.getElementById('status');
  var searchEl = document.getElementById('search');
  // view: the visible part of the x axis, as fractions [lo, hi] of the whole.
  var state = { thread: 0, mode: 'flame', zoom: null, query: '', fn: null, view: [0, 1] };
  var drawn = [];
  var cache = {};
  var VIEWS = {};
  var W = 0;

  function fmtMs(ns) {
    var ms = ns / 1e6;
    return ms >= 1000 ? (ms / 1000).toFixed(2) + ' s' : ms.toFixed(1) + ' ms';
  }
  function pct(x, of) { return (100 * x / (of || 1)).toFixed(1) + '%'; }
  function fname(fi) { return DATA.frames[fi][0]; }
  function floc(fi) { return DATA.frames[fi][1]; }
  function fpkg(fi) { return DATA.frames[fi][3]; }
  function isOwn(fi) { return DATA.frames[fi][4] === 1; }
  function fkey(fi) { return fname(fi) + '\u0000' + floc(fi); }

  function newNode(f, depth, parent) {
    return { f: f, total: 0, self: 0, children: [], byFrame: new Map(), depth: depth, parent: parent };
  }
  /** Adds a path (frame indices, first = the tree's root level) of weight w to a tree. */
  function addPath(root, path, w) {
    var node = root;
    root.total += w;
    for (var d = 0; d < path.length; d++) {
      var child = node.byFrame.get(path[d]);
      if (!child) {
        child = newNode(path[d], d + 1, node);
        node.byFrame.set(path[d], child);
        node.children.push(child);
      }
      child.total += w;
      node = child;
    }
    node.self += w;
    return path.length;
  }
  function sortTree(n) {
    n.children.sort(function (a, b) { return b.total - a.total; });
    for (var k = 0; k < n.children.length; k++) sortTree(n.children[k]);
  }

  // Per thread, once: the time each sample stands for (until the next, at most a
  // period), the call tree, per-function totals, and where the time went.
  function prepare(ti) {
    if (cache[ti]) return cache[ti];
    var th = DATA.threads[ti];
    var P = th.periodNs;
    var n = th.ids.length;
    var weights = new Array(th.stacks.length).fill(0);
    var idle = 0, busy = 0;
    for (var i = 0; i < n; i++) {
      var w = i + 1 < n ? Math.min(P, (th.times[i + 1] - th.times[i]) * 1000) : P;
      if (th.ids[i] < 0) idle += w; else { weights[th.ids[i]] += w; busy += w; }
    }
    var root = newNode(-1, 0, null);
    var fnSelf = new Map(), fnTotal = new Map(), pkgSelf = new Map();
    var maxDepth = 0;
    for (var s = 0; s < th.stacks.length; s++) {
      var weight = weights[s];
      if (!weight) continue;
      var stack = th.stacks[s];
      maxDepth = Math.max(maxDepth, addPath(root, stack, weight));
      var seen = new Set();
      for (var d = 0; d < stack.length; d++) {
        var key = fkey(stack[d]);
        if (!seen.has(key)) { seen.add(key); fnTotal.set(key, (fnTotal.get(key) || 0) + weight); }
      }
      var leaf = stack[stack.length - 1];
      fnSelf.set(fkey(leaf), (fnSelf.get(fkey(leaf)) || 0) + weight);
      pkgSelf.set(fpkg(leaf), (pkgSelf.get(fpkg(leaf)) || 0) + weight);
    }
    sortTree(root);
    var fns = [];
    var firstFrame = new Map();
    DATA.frames.forEach(function (f, fi) { if (!firstFrame.has(fkey(fi))) firstFrame.set(fkey(fi), fi); });
    fnTotal.forEach(function (total, key) {
      var fi = firstFrame.get(key);
      if (isOwn(fi)) return;
      fns.push({ key: key, f: fi, name: fname(fi), location: floc(fi), pkg: fpkg(fi), selfNs: fnSelf.get(key) || 0, totalNs: total });
    });
    fns.sort(function (a, b) { return b.selfNs - a.selfNs || b.totalNs - a.totalNs; });
    var t0 = n ? th.times[0] : 0;
    var duration = n ? (th.times[n - 1] - t0) * 1000 + P : 0;
    cache[ti] = { root: root, maxDepth: maxDepth, fns: fns, fnSelf: fnSelf, fnTotal: fnTotal, pkgSelf: pkgSelf,
      busy: busy, idle: idle, notSampled: Math.max(0, duration - busy - idle), duration: duration,
      weights: weights, t0: t0, t1: t0 + duration / 1000 };
    return cache[ti];
  }

  // Colour by package: the app warm, each node_modules package its own cool hue,
  // node: internals green-grey, native and V8 grey, ferroprof itself pale.
  function hash(s) {
    var h = 0;
    for (var i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
    return Math.abs(h);
  }
  function pkgColor(pkg, shade) {
    var v = shade % 10;
    if (pkg === 'app') return 'hsl(' + (18 + (shade % 28)) + ',85%,' + (60 + v) + '%)';
    if (pkg === 'node:') return 'hsl(95,22%,' + (64 + v) + '%)';
    if (pkg === 'native' || pkg === 'v8') return 'hsl(0,0%,' + (72 + v) + '%)';
    if (pkg === 'ferroprof') return 'hsl(280,20%,' + (82 + v / 2) + '%)';
    return 'hsl(' + (170 + hash(pkg) % 120) + ',55%,' + (62 + v) + '%)';
  }
  function color(fi, matched) {
    if (state.query) return matched ? '#c13df2' : '#d8d8d8';
    return pkgColor(fpkg(fi), hash(fname(fi)));
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
    W = cssW;
    drawn = [];
    return cssW;
  }
  /** A fraction of the whole x axis, in pixels of the current viewport. */
  function vx(frac) { return (frac - state.view[0]) / (state.view[1] - state.view[0]) * W; }

  function fitLabel(label, w) {
    if (ctx.measureText(label).width <= w) return label;
    var lo = 0, hi = label.length;
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1;
      if (ctx.measureText(label.slice(0, mid) + '\u2026').width <= w) lo = mid; else hi = mid - 1;
    }
    return lo > 0 ? label.slice(0, lo) + '\u2026' : '';
  }
  function bar(x, y, w, fi, info) {
    // Clipped to the canvas: a bar zoomed beyond the edges keeps its label visible.
    var x0 = Math.max(x, 0), x1 = Math.min(x + w, W);
    if (x1 - x0 < 0.4) return;
    var m = matches(fi);
    ctx.fillStyle = info.dim ? '#eeeeee' : color(fi, m);
    ctx.fillRect(x0, y, Math.max(x1 - x0 - 1, 0.5), ROW - 1);
    if (x1 - x0 > 24) {
      ctx.fillStyle = info.dim ? '#999' : '#111';
      ctx.fillText(fitLabel(fname(fi), x1 - x0 - 6), x0 + 3, y + ROW / 2);
    }
    info.x = x0; info.y = y; info.w = x1 - x0; info.h = ROW; info.f = fi; info.matched = m;
    drawn.push(info);
  }
  function text(s, x, y, style) {
    ctx.fillStyle = style || '#333';
    ctx.fillText(s, x, y);
  }

  /** Draws a tree top-down from row y0, the root's children spanning [x0, x1) as fractions. */
  function drawTree(root, y0, x0, x1, info) {
    if (root.total <= 0) return;
    var scale = (x1 - x0) / root.total;
    function walk(node, x, row) {
      var cx = x;
      for (var k = 0; k < node.children.length; k++) {
        var ch = node.children[k];
        var fw = ch.total * scale;
        var px = vx(cx), pw = vx(cx + fw) - px;
        if (pw < 0.4) break; // sorted: the rest are narrower still
        if (px + pw >= 0 && px <= W) {
          bar(px, y0 + row * ROW, pw, ch.f, info(ch));
          walk(ch, cx, row + 1);
        }
        cx += fw;
      }
    }
    walk(root, x0, 0);
  }
  function treeDepth(n) {
    var d = 0;
    for (var k = 0; k < n.children.length; k++) d = Math.max(d, 1 + treeDepth(n.children[k]));
    return d;
  }

  // The viewport: zoom keeps the fraction under the pointer (or the centre) in place.
  function zoomBy(factor, atPx) {
    var v = state.view, span = v[1] - v[0];
    var at = v[0] + span * (atPx === undefined ? 0.5 : Math.min(Math.max(atPx / (W || 1), 0), 1));
    var next = Math.min(1, Math.max(span * factor, 1e-6));
    var lo = at - (at - v[0]) * next / span;
    setView(lo, lo + next);
  }
  function panBy(fraction) {
    var span = state.view[1] - state.view[0];
    setView(state.view[0] + span * fraction, state.view[1] + span * fraction);
  }
  function setView(lo, hi) {
    var span = Math.min(hi - lo, 1);
    if (lo < 0) lo = 0;
    if (lo + span > 1) lo = 1 - span;
    state.view = [lo, lo + span];
    render();
  }
`;

/** Controls, the side table, the tooltip, input handling and the test surface. */
const UI_JS = String.raw`
  function renderSide() {
    var p = prepare(state.thread);
    var list = document.getElementById('selflist');
    list.textContent = '';
    var top = p.fns.slice(0, 30);
    var max = top.length ? top[0].selfNs : 1;
    top.forEach(function (fn) {
      if (fn.selfNs <= 0) return;
      var row = document.createElement('div');
      row.className = 'self-row';
      row.setAttribute('data-function', fn.name);
      row.setAttribute('data-self-ns', String(Math.round(fn.selfNs)));
      row.title = 'Click: callers and callees of ' + fn.name + ' (' + fn.location + ')';
      var barEl = document.createElement('div');
      barEl.className = 'bar';
      barEl.style.width = (100 * fn.selfNs / max).toFixed(2) + '%';
      barEl.style.background = pkgColor(fn.pkg, 3);
      var label = document.createElement('span');
      label.innerHTML = '<b></b> <i></i><br><small></small>';
      label.querySelector('b').textContent = pct(fn.selfNs, p.busy) + ' ' + fmtMs(fn.selfNs);
      label.querySelector('i').textContent = fn.name;
      label.querySelector('small').textContent = fn.location + (fn.pkg === 'app' ? '' : ' \u00b7 ' + fn.pkg);
      row.appendChild(barEl);
      row.appendChild(label);
      row.addEventListener('click', function () { showSandwich(fn.key); });
      list.appendChild(row);
    });
    var legend = document.getElementById('legend');
    legend.textContent = '';
    var pk = [];
    p.pkgSelf.forEach(function (v, k) { pk.push([k, v]); });
    pk.sort(function (a, b) { return b[1] - a[1]; });
    pk.slice(0, 12).forEach(function (e) {
      var item = document.createElement('span');
      item.className = 'pkg';
      item.setAttribute('data-package', e[0]);
      var chip = document.createElement('i');
      chip.style.background = pkgColor(e[0], 3);
      item.appendChild(chip);
      item.appendChild(document.createTextNode(e[0] + ' ' + pct(e[1], p.busy)));
      legend.appendChild(item);
    });
  }

  function render() {
    var view = VIEWS[state.mode];
    view.draw();
    var p = prepare(state.thread);
    var th = DATA.threads[state.thread];
    var msg = th.ids.length + ' samples; ' + fmtMs(p.duration) + ' = busy ' + fmtMs(p.busy) + ' + idle ' + fmtMs(p.idle) +
      ' + not sampled ' + fmtMs(p.notSampled);
    if (view.describe) msg += view.describe();
    if (state.view[1] - state.view[0] < 0.9999) msg += ' \u2014 zoom ' + (1 / (state.view[1] - state.view[0])).toFixed(1) + '\u00d7 (0 resets)';
    if (state.query) {
      var hit = 0;
      p.fnTotal.forEach(function (v, k) { if (k.split('\u0000')[0].toLowerCase().indexOf(state.query) >= 0) hit = Math.max(hit, v); });
      msg += ' \u2014 "' + state.query + '": ' + drawn.filter(function (b) { return b.matched; }).length + ' bars, ' + pct(hit, p.busy) + ' of busy time';
    }
    statusEl.textContent = msg;
    document.querySelectorAll('.tab').forEach(function (el, i) { el.classList.toggle('on', i === state.thread); });
    Object.keys(VIEWS).forEach(function (m) {
      var b = document.getElementById('mode-' + m);
      if (b) b.classList.toggle('on', state.mode === m);
    });
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
    var key = fkey(b.f);
    var lines = [fname(b.f), floc(b.f) + ' \u00b7 ' + fpkg(b.f)];
    if (DATA.frames[b.f][5]) lines.push('function starts at ' + DATA.frames[b.f][5]);
    if (b.node) lines.push('here: total ' + fmtMs(b.node.total) + ' (' + pct(b.node.total, p.busy) + '), self ' + fmtMs(b.node.self));
    lines.push('function: self ' + fmtMs(p.fnSelf.get(key) || 0) + ' (' + pct(p.fnSelf.get(key) || 0, p.busy) +
      '), total ' + fmtMs(p.fnTotal.get(key) || 0) + ' (' + pct(p.fnTotal.get(key) || 0, p.busy) + ')');
    lines.push('click: zoom \u00b7 shift-click: callers/callees');
    tip.textContent = lines.join('\n');
    tip.style.display = 'block';
    tip.style.left = Math.max(0, Math.min(ev.clientX + 12, window.innerWidth - 480)) + 'px';
    tip.style.top = (ev.clientY + 14) + 'px';
  });
  canvas.addEventListener('mouseleave', function () { tip.style.display = 'none'; });
  canvas.addEventListener('click', function (ev) {
    var xy = pos(ev);
    var b = hit(xy[0], xy[1]);
    if (!b) return;
    // The source panel (html-source.ts) shows the selected function's lines.
    document.dispatchEvent(new CustomEvent('ferroprof:select', { detail: { name: fname(b.f), location: floc(b.f) } }));
    if (ev.shiftKey) { showSandwich(fkey(b.f)); return; }
    VIEWS[state.mode].click(b);
  });
  canvas.addEventListener('wheel', function (ev) {
    ev.preventDefault();
    var xy = pos(ev);
    if (ev.shiftKey || Math.abs(ev.deltaX) > Math.abs(ev.deltaY)) panBy((ev.deltaX || ev.deltaY) / (W || 1));
    else zoomBy(Math.pow(1.0015, ev.deltaY), xy[0]);
  }, { passive: false });
  document.addEventListener('keydown', function (ev) {
    if (ev.target === searchEl || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var k = ev.key;
    if (k === '+' || k === '=') zoomBy(1 / 1.5);
    else if (k === '-' || k === '_') zoomBy(1.5);
    else if (k === 'ArrowLeft' || k === 'a') panBy(-0.1);
    else if (k === 'ArrowRight' || k === 'd') panBy(0.1);
    else if (k === '0' || k === 'Escape') { state.zoom = null; setView(0, 1); }
    else if (k === '/') { searchEl.focus(); }
    else return;
    ev.preventDefault();
  });

  function showSandwich(key) {
    state.fn = key; state.mode = 'sandwich'; state.view = [0, 1];
    render();
  }
  function setMode(m) { state.mode = m; state.view = [0, 1]; render(); }
  function setSearch(q) {
    searchEl.value = q;
    state.query = q.trim().toLowerCase();
    render();
  }
  searchEl.addEventListener('input', function () { setSearch(searchEl.value); });
  document.getElementById('reset').addEventListener('click', function () {
    state.zoom = null; state.view = [0, 1]; searchEl.value = ''; state.query = ''; render();
  });
  Object.keys(VIEWS).forEach(function (m) {
    var b = document.getElementById('mode-' + m);
    if (b) b.addEventListener('click', function () { setMode(m); });
  });
  var tabs = document.getElementById('tabs');
  DATA.threads.forEach(function (th, i) {
    var b = document.createElement('button');
    b.className = 'tab';
    b.textContent = th.name + ' (' + th.ids.length + ')';
    b.addEventListener('click', function () { selectThread(i); });
    tabs.appendChild(b);
  });
  function selectThread(i) {
    state.thread = i; state.zoom = null; state.view = [0, 1];
    if (state.mode === 'sandwich' && !prepare(i).fnTotal.has(state.fn)) state.mode = 'flame';
    renderSide(); render();
  }
  window.addEventListener('resize', render);

  // A stable surface for tests and scripting: what is drawn, and the controls.
  window.__ferroprof = {
    threads: function () { return DATA.threads.map(function (t) { return t.name; }); },
    selectThread: selectThread,
    setMode: setMode,
    search: setSearch,
    sandwich: function (name) {
      var fn = prepare(state.thread).fns.find(function (f) { return f.name === name; });
      if (fn) showSandwich(fn.key);
      return !!fn;
    },
    reset: function () { document.getElementById('reset').click(); },
    topSelf: function () { return prepare(state.thread).fns.slice(0, 30); },
    times: function () {
      var p = prepare(state.thread);
      return { durationNs: p.duration, busyNs: p.busy, idleNs: p.idle, notSampledNs: p.notSampled };
    },
    axis: function () { return VIEWS.time.axisLabels.slice(); },
    bars: function () {
      return drawn.map(function (b) {
        return { name: fname(b.f), location: floc(b.f), package: fpkg(b.f), color: color(b.f, b.matched), x: b.x, y: b.y, w: b.w, h: b.h,
          matched: b.matched, part: b.part || null, totalNs: b.node ? b.node.total : null, selfNs: b.node ? b.node.self : null,
          range: b.range || null };
      });
    },
    state: function () {
      return { thread: state.thread, mode: state.mode, query: state.query, view: state.view.slice(),
        zoom: state.zoom ? fname(state.zoom.f) : null, sandwich: state.fn ? state.fn.split('\u0000')[0] : null };
    },
  };
  if (DATA.threads.length) selectThread(0); else statusEl.textContent = 'no samples';
`;

/** The page's whole script: the core, every view, then the UI that wires them. */
export const CLIENT_JS = [
  '(function () {',
  "'use strict';",
  CORE_JS,
  FLAME_VIEW_JS,
  TIME_VIEW_JS,
  SANDWICH_VIEW_JS,
  UI_JS,
  '})();',
].join('\n');
