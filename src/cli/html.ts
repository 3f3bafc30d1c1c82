import { CLIENT_JS } from './html-client.js';
import { SOURCE_CSS, sourcePanel } from './html-source.js';
import type { ProfileModel } from './model.js';
import type { Frame } from './model.js';
import { frameLocation, frameName, samplePeriodNs } from './model.js';
import { ownFrames } from './own-frames.js';
import { formatDuration } from './top.js';

/** What the page embeds: frames once, and per thread its distinct stacks and sample sequence. */
export interface PageData {
  title: string;
  startUnixNs: number;
  durationNs: number;
  /**
   * `[name, file:line, in_app ? 1 : 0, package, ferroprof's own ? 1 : 0, start]`, where
   * `start` is `file:line:column` of the function's start when known, else `''`; see
   * {@link packageOf}.
   */
  frames: [string, string, number, string, number, string][];
  threads: {
    id: string;
    name: string;
    periodNs: number;
    /** Distinct stacks, root first. */
    stacks: number[][];
    /** Sample times in microseconds since the profile start. */
    times: number[];
    /** Stack index per sample, -1 when idle. */
    ids: number[];
  }[];
}

/** The compact form of the model that the page draws from. */
export function pageData(model: ProfileModel, title: string): PageData {
  const own = ownFrames(model);
  const frames = model.frames.map((f, i): [string, string, number, string, number, string] => [
    frameName(f),
    frameLocation(f),
    f.in_app === false ? 0 : 1,
    own.has(i) ? 'ferroprof' : packageOf(f),
    own.has(i) ? 1 : 0,
    f.function_lineno ? `${frameLocation({ ...f, lineno: f.function_lineno })}${f.colno ? `:${f.colno}` : ''}` : '',
  ]);
  const threads = model.threads.map((t) => {
    const stackIds = new Map<string, number>();
    const stacks: number[][] = [];
    const times: number[] = [];
    const ids: number[] = [];
    for (const s of t.samples) {
      times.push(Math.round(s.timestampNs / 1000));
      if (s.stack.length === 0) {
        ids.push(-1);
        continue;
      }
      const key = s.stack.join(',');
      let id = stackIds.get(key);
      if (id === undefined) {
        id = stacks.length;
        stacks.push([...s.stack].reverse());
        stackIds.set(key, id);
      }
      ids.push(id);
    }
    return { id: t.id, name: t.name, periodNs: samplePeriodNs(t), stacks, times, ids };
  });
  return { title, startUnixNs: model.startUnixNs, durationNs: model.durationNs, frames, threads };
}

/**
 * What a frame's code belongs to, for colours and the legend: `app` (the user's files),
 * a `node_modules` package name (the innermost one), `node:` (Node's own JavaScript),
 * `v8` (`(garbage collector)`, `(program)`) or `native` (no file).
 */
export function packageOf(frame: Frame): string {
  const file = (frame.abs_path || frame.filename || '').replace(/\\/g, '/');
  if (!file) return /^\(.*\)$/.test(frame.function ?? '') ? 'v8' : 'native';
  if (file.startsWith('node:') || /^internal\//.test(file)) return 'node:';
  if (file.startsWith('wasm://')) return 'wasm';
  const parts = file.split('/node_modules/');
  if (parts.length > 1) {
    const rest = parts[parts.length - 1]!.split('/');
    return rest[0]!.startsWith('@') && rest.length > 1 ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  return 'app';
}

const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

const CSS = `
*{box-sizing:border-box}
body{margin:0;font:13px system-ui,sans-serif;color:#222;background:#fafafa}
header{padding:8px 12px;background:#263238;color:#eceff1;display:flex;gap:16px;align-items:baseline;flex-wrap:wrap}
header h1{font-size:15px;margin:0}
.controls{display:flex;gap:6px;align-items:center;padding:6px 12px;border-bottom:1px solid #ddd;flex-wrap:wrap;background:#fff}
button{font:inherit;padding:3px 9px;border:1px solid #bbb;background:#f4f4f4;border-radius:3px;cursor:pointer}
button.on{background:#37474f;color:#fff;border-color:#37474f}
#search{font:inherit;padding:3px 6px;width:220px}
#status{padding:4px 12px;color:#555;font-size:12px}
main{display:flex;gap:10px;padding:0 12px 12px}
#graph{flex:1;min-width:0;overflow:auto;background:#fff;border:1px solid #ddd}
#fg{display:block;cursor:pointer}
aside{width:340px;flex:none}
aside h2{font-size:13px;margin:6px 0}
.self-row{position:relative;margin:2px 0;cursor:pointer;background:#f0f0f0}
.self-row .bar{position:absolute;left:0;top:0;bottom:0;opacity:.55}
.self-row span{position:relative;padding:2px 4px;display:block;font-size:12px;line-height:15px;overflow-wrap:anywhere}
.self-row b{font-weight:600}
.self-row i{font-style:normal}
.self-row small{color:#555}
#legend{padding:2px 12px;font-size:12px;color:#444;display:flex;gap:10px;flex-wrap:wrap}
#legend .pkg i{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:-1px;border:1px solid #0002}
.keys{color:#777;font-size:12px}
#tip{position:fixed;display:none;pointer-events:none;background:#263238;color:#fff;padding:6px 8px;border-radius:3px;white-space:pre-wrap;overflow-wrap:anywhere;font-size:12px;max-width:480px;z-index:10}
`;

/**
 * A self-contained flame graph page: inline CSS and JS, the profile embedded as JSON,
 * nothing fetched from the network.
 */
export function renderHtml(model: ProfileModel, title = 'ferroprof profile'): string {
  const data = pageData(model, title);
  // `<` escaped so that no string in the data can close the script element.
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  const samples = data.threads.reduce((n, t) => n + t.ids.length, 0);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${CSS}${SOURCE_CSS}</style>
</head>
<body>
<header><h1>${escapeHtml(title)}</h1><span>${escapeHtml(formatDuration(model.durationNs))}, ${samples} samples, ${data.threads.length} thread(s)</span></header>
<div class="controls">
<span id="tabs"></span>
<span style="margin-left:12px"></span>
<button id="mode-flame" class="on" title="Identical stacks merged, widest first">Left heavy</button>
<button id="mode-time" title="Samples in the order they were taken, under a time axis">Time order</button>
<button id="mode-sandwich" title="Callers and callees of one function (click a function in the list, or shift-click a bar)">Sandwich</button>
<input id="search" type="search" placeholder="Search functions…" aria-label="Search functions">
<button id="reset">Reset</button>
<span class="keys">wheel or +/- zoom, shift-wheel or \u2190/\u2192 pan, 0 resets</span>
</div>
<div id="legend"></div>
<div id="status"></div>
<main>
<div id="graph"><canvas id="fg"></canvas></div>
<aside><h2>Self time (click: callers and callees)</h2><div id="selflist"></div></aside>
</main>
<div id="tip"></div>
<script type="application/json" id="ferroprof-data">${json}</script>
<script>${CLIENT_JS}</script>
${sourcePanel(model)}
</body>
</html>
`;
}
