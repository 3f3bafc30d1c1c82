#!/usr/bin/env node
// The start-up cost of the node:inspector fallback's engine (wasm/ferroprof.wasm), and
// the JS-thread cost of its calls, after `npm run build`:
//
//   node bench/wasm-startup.mjs [processes=30] [replays=200]
//
// - size of the module;
// - first compile, instantiate and `init` in a fresh process (what a process without a
//   native binary pays once), median and p90 over `processes` processes;
// - instantiate again from the compiled module (a fresh engine after a trap);
// - replaying the recorded command log of crates/wasm/tests/fixtures (real inspector
//   batches, then closes that encode v1, v2 and raw payloads): per command kind.
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { quantile } from './lib/stats.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const wasmFile = join(root, 'wasm', 'ferroprof.wasm');
const internal = pathToFileURL(join(root, 'dist', 'internal.js')).href;
const processes = Number(process.argv[2] ?? 30);
const replays = Number(process.argv[3] ?? 200);
const ms = (ns) => Number(ns) / 1e6;
const fmt = (values) => `${quantile(values, 0.5).toFixed(3)} / ${quantile(values, 0.9).toFixed(3)} ms`;

if (process.argv[2] === '--child') {
  const t0 = process.hrtime.bigint();
  const module = new WebAssembly.Module(readFileSync(wasmFile));
  const t1 = process.hrtime.bigint();
  const { WasmEngine } = await import(internal);
  const t2 = process.hrtime.bigint();
  const engine = new WasmEngine();
  engine.call({ op: 'init', anchor: { monoNs: '0', unixNs: '0' } });
  const t3 = process.hrtime.bigint();
  void module;
  console.log(JSON.stringify({ compile: ms(t1 - t0), engine: ms(t3 - t2) }));
  process.exit(0);
}

const load = loadavg()
  .map((x) => x.toFixed(2))
  .join(' ');
console.log(`wasm/ferroprof.wasm: ${statSync(wasmFile).size} bytes; load average before: ${load}`);

const compile = [];
const first = [];
for (let i = 0; i < processes; i++) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  const { compile: c, engine: e } = JSON.parse(r.stdout.trim());
  compile.push(c);
  first.push(e);
}
console.log(
  `fresh process, ${processes} processes (p50 / p90): compile ${fmt(compile)}; WasmEngine + init (compiled once more by the package, instantiate) ${fmt(first)}`,
);

const { WasmEngine } = await import(internal);
new WasmEngine();
const again = [];
for (let i = 0; i < replays; i++) {
  const t = process.hrtime.bigint();
  new WasmEngine().call({ op: 'init', anchor: { monoNs: '0', unixNs: '0' } });
  again.push(ms(process.hrtime.bigint() - t));
}
console.log(`instantiate + init from the compiled module, ${replays} times: ${fmt(again)}`);

const log = readFileSync(join(root, 'crates', 'wasm', 'tests', 'fixtures', 'engine-replay.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '');
const byOp = new Map();
for (let i = 0; i < replays; i++) {
  const engine = new WasmEngine();
  for (const line of log) {
    const op = JSON.parse(line).op;
    const t = process.hrtime.bigint();
    engine.callText(line);
    const took = ms(process.hrtime.bigint() - t);
    if (!byOp.has(op)) byOp.set(op, []);
    byOp.get(op).push(took);
  }
}
const samples = log.filter((l) => l.includes('"op":"batch"')).map((l) => JSON.parse(l).samples.length);
console.log(`replay of the fixture, ${replays} times (batches of ${samples.join(', ')} samples), per call p50 / p90:`);
for (const [op, values] of byOp) console.log(`  ${op.padEnd(14)} ${fmt(values)}  (max ${Math.max(...values).toFixed(3)} ms)`);
console.log(
  `load average after: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
