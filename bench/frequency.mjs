#!/usr/bin/env node
// The frequency delivered, process by process: N fresh processes per rate, each
// sampling a CPU-bound main thread for a few seconds, quiet and with a busy neighbour
// process spinning on the other core (both cores busy). The rate is counted from the
// samples of one window, after a second for the pacer to settle.
//
//   node bench/frequency.mjs                  # 30 processes × {101, 1001} Hz × {quiet, busy}
//   node bench/frequency.mjs --processes 10 --seconds 2
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const SELF = fileURLToPath(import.meta.url);

if (process.env.FREQ_CHILD) {
  const { hz, seconds } = JSON.parse(process.env.FREQ_CHILD);
  const fp = await import('../dist/sampler.js');
  const { workUnit } = await import('./lib/workload.mjs');
  fp.startSampling(hz);
  const until = (ms) => {
    const end = performance.now() + ms;
    let i = 0;
    while (performance.now() < end) workUnit(i++);
  };
  until(1000); // the pacer settles
  const w = fp.openWindow();
  for (let k = 0; k < seconds * 10; k++) {
    until(100);
    await new Promise((r) => setImmediate(r));
  }
  const p = await w.close();
  const s = fp.getSamplerStats();
  fp.stopSampling();
  const main = p.samples.filter((x) => x.threadId === 0);
  const span = (main[main.length - 1].tsNs - main[0].tsNs) / 1e9;
  process.stdout.write(JSON.stringify({ delivered: (main.length - 1) / span, stat: s.deliveredHz }));
  process.exit(0);
}

if (process.env.FREQ_NEIGHBOUR) {
  let x = 0;
  for (;;) x += Math.sqrt(x + 1);
}

const { values } = parseArgs({ options: { processes: { type: 'string', default: '30' }, seconds: { type: 'string', default: '3' } } });
const N = Number(values.processes);
const seconds = Number(values.seconds);
const rows = [];
for (const load of ['quiet', 'busy neighbour']) {
  const neighbour = load === 'quiet' ? undefined : spawn(process.execPath, [SELF], { env: { ...process.env, FREQ_NEIGHBOUR: '1' }, stdio: 'ignore' });
  try {
    for (const hz of [101, 1001]) {
      const got = [];
      for (let i = 0; i < N; i++) {
        const out = execFileSync(process.execPath, [SELF], { env: { ...process.env, FREQ_CHILD: JSON.stringify({ hz, seconds }), NODE_OPTIONS: '' }, encoding: 'utf8' });
        got.push(JSON.parse(out).delivered);
      }
      got.sort((a, b) => a - b);
      const tol = hz === 101 ? 0.05 : 0.1;
      const within = got.filter((g) => Math.abs(g - hz) / hz <= tol).length;
      rows.push(`| ${hz} Hz | ${load} | ${got[0].toFixed(1)} | ${got[Math.floor(N / 2)].toFixed(1)} | ${got[N - 1].toFixed(1)} | ${within} / ${N} within ±${tol * 100} % |`);
      process.stderr.write(`frequency: ${hz} Hz ${load} done\n`);
    }
  } finally {
    neighbour?.kill('SIGKILL');
  }
}
console.log(`${N} processes each, ${seconds} s windows\n\n| configured | load | min | median | max | in band |\n|---|---|---|---|---|---|\n${rows.join('\n')}`);
