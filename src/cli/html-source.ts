/**
 * The flame page's source panel: select a function (click its bar) and see its source
 * lines with the self and total time spent on each, as DevTools does. Frames carry the
 * line executing in them, so a line's self time is the samples whose leaf ran it and its
 * total time the samples with any frame on it. The text comes from the source map's
 * `sourcesContent` or the file (see {@link ProfileModel.sourceOf}); only the application's
 * files with samples are embedded, and of each only the lines around those with time.
 */
import type { ProfileModel } from './model.js';
import { samplePeriodNs, sampleWeight } from './model.js';

/** One file's lines with time, as the page embeds it. */
export interface SourceFile {
  path: string;
  /** 1-based line number of `lines[0]`. */
  first: number;
  lines: string[];
  /** Nanoseconds per 1-based line. */
  self: Record<number, number>;
  total: Record<number, number>;
}

/** Lines of context kept around the lines with time. */
const CONTEXT = 4;
/** Files larger than this are not embedded (the panel says so). */
const MAX_FILE_CHARS = 2_000_000;

/** Per-line self and total time of the application's files, with their text. */
export function sourceFiles(model: ProfileModel): SourceFile[] {
  const perFile = new Map<string, { self: Map<number, number>; total: Map<number, number> }>();
  const at = model.frames.map((f) => {
    const path = f.abs_path || f.filename;
    return path && f.lineno && f.in_app !== false ? { path, line: f.lineno } : undefined;
  });
  const add = (m: Map<number, number>, line: number, ns: number) => m.set(line, (m.get(line) ?? 0) + ns);
  for (const thread of model.threads) {
    const period = samplePeriodNs(thread);
    for (const s of thread.samples) {
      if (s.stack.length === 0) continue;
      const ns = sampleWeight(s, period);
      const seen = new Set<string>();
      s.stack.forEach((fi, depth) => {
        const pos = at[fi];
        if (!pos) return;
        let file = perFile.get(pos.path);
        if (!file) {
          file = { self: new Map(), total: new Map() };
          perFile.set(pos.path, file);
        }
        if (depth === 0) add(file.self, pos.line, ns);
        const key = `${pos.path}:${pos.line}`;
        if (!seen.has(key)) {
          seen.add(key);
          add(file.total, pos.line, ns);
        }
      });
    }
  }
  const out: SourceFile[] = [];
  for (const [path, times] of perFile) {
    const text = model.sourceOf?.(path);
    if (text === undefined || text.length > MAX_FILE_CHARS) continue;
    const all = text.split(/\r?\n/);
    const hot = [...times.total.keys()].filter((l) => l <= all.length);
    if (hot.length === 0) continue;
    const first = Math.max(1, Math.min(...hot) - CONTEXT);
    const last = Math.min(all.length, Math.max(...hot) + CONTEXT);
    out.push({
      path,
      first,
      lines: all.slice(first - 1, last),
      self: Object.fromEntries(times.self),
      total: Object.fromEntries(times.total),
    });
  }
  return out;
}

/** CSS of the panel. */
export const SOURCE_CSS = `
#source{margin:0 12px 12px;background:#fff;border:1px solid #ddd;display:none}
#source h2{font-size:13px;margin:0;padding:6px 8px;border-bottom:1px solid #ddd;background:#f4f4f4}
#source .rows{max-height:360px;overflow:auto;font:12px ui-monospace,monospace}
#source .row{display:flex;white-space:pre}
#source .row.sel{background:#fff3cd}
#source .n,#source .t{flex:none;text-align:right;padding:0 6px;color:#777}
#source .n{width:48px}#source .t{width:76px}
#source .t.hot{color:#b33;font-weight:600}
#source .code{padding-left:8px}
`;

/** The panel's markup and its data. */
export function sourcePanel(model: ProfileModel): string {
  const json = JSON.stringify(sourceFiles(model)).replace(/</g, '\\u003c');
  return `<section id="source" aria-label="Source"><h2 id="source-title"></h2><div class="rows" id="source-rows"></div></section>
<script type="application/json" id="ferroprof-source">${json}</script>
<script>${SOURCE_CLIENT_JS}</script>`;
}

// Plain ES5 in the page: shows the selected function's lines (the lines with time of
// its frames, with context) when the flame graph reports a selection.
const SOURCE_CLIENT_JS = `
(function () {
  var FILES = JSON.parse(document.getElementById('ferroprof-source').textContent);
  var panel = document.getElementById('source');
  var title = document.getElementById('source-title');
  var rowsEl = document.getElementById('source-rows');
  var shown = null;
  function ms(ns) { return ns ? (ns / 1e6).toFixed(1) + ' ms' : ''; }
  function splitLocation(loc) {
    var m = /^(.*):(\\d+)$/.exec(loc || '');
    return m ? { path: m[1], line: Number(m[2]) } : null;
  }
  function show(name, location) {
    var at = splitLocation(location);
    var file = at && FILES.filter(function (f) { return f.path === at.path; })[0];
    if (!file) { panel.style.display = 'none'; shown = null; return; }
    // The function's lines: those its frames carry in this profile, with context.
    var lines = [at.line];
    var data = JSON.parse(document.getElementById('ferroprof-data').textContent);
    data.frames.forEach(function (f) {
      var p = splitLocation(f[1]);
      if (f[0] === name && p && p.path === file.path) lines.push(p.line);
    });
    var lo = Math.max(file.first, Math.min.apply(null, lines) - 3);
    var hi = Math.min(file.first + file.lines.length - 1, Math.max.apply(null, lines) + 3);
    title.textContent = name + ' \\u2014 ' + file.path + '  (self, total per line)';
    rowsEl.textContent = '';
    var rows = [];
    for (var l = lo; l <= hi; l++) {
      var row = document.createElement('div');
      row.className = 'row' + (l === at.line ? ' sel' : '');
      var self = file.self[l] || 0, total = file.total[l] || 0;
      [[String(l), 'n'], [ms(self), 't' + (self ? ' hot' : '')], [ms(total), 't'], [file.lines[l - file.first] || '', 'code']].forEach(function (c) {
        var s = document.createElement('span');
        s.className = c[1];
        s.textContent = c[0];
        row.appendChild(s);
      });
      rowsEl.appendChild(row);
      rows.push({ line: l, selfNs: self, totalNs: total, text: file.lines[l - file.first] || '' });
    }
    panel.style.display = 'block';
    shown = { name: name, path: file.path, line: at.line, rows: rows };
  }
  document.addEventListener('ferroprof:select', function (ev) { show(ev.detail.name, ev.detail.location); });
  window.__ferroprofSource = { show: show, shown: function () { return shown; }, files: function () { return FILES.map(function (f) { return f.path; }); } };
})();
`;
