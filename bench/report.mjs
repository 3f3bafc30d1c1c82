#!/usr/bin/env node
// Re-renders the tables and the chart of a saved run: node bench/report.mjs bench/results/<file>.json
// (bench/results/ is git-ignored; the chart is written there too, as bench/results/overhead.svg).
import { readFileSync, writeFileSync } from 'node:fs';

import { variants } from './lib/plan.mjs';
import { summarize } from './lib/summary.mjs';
import { chartRows, renderSvg } from './lib/svg.mjs';
import { renderTables } from './lib/table.mjs';

const file = process.argv[2];
if (!file) {
  console.error('usage: node bench/report.mjs bench/results/<timestamp>.json');
  process.exit(2);
}
const saved = JSON.parse(readFileSync(file, 'utf8'));
const profilers = saved.options.profilers;
// Only the variants the saved run had (the plan may have grown since).
const plan = Object.fromEntries(
  Object.keys(saved.runs).map((s) => [s, variants(s, profilers).filter((v) => v.id in saved.runs[s])]),
);
const summary = summarize(saved.runs, plan, profilers, saved.options);
const tables = renderTables(summary);
console.log(tables);
writeFileSync(file.replace(/\.json$/, '.md'), `${tables}\n`);
saved.summary = summary;
writeFileSync(file, JSON.stringify(saved, null, 1));
const rows = chartRows(summary);
if (rows.length) {
  const svg = new URL('./results/overhead.svg', import.meta.url);
  writeFileSync(svg, renderSvg(rows, `Profiler overhead, median of ${saved.options.reps} interleaved runs (lower is better)`));
}
