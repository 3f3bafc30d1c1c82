#!/usr/bin/env node
// Lazy vs eager V8 code logging, measured (see docs/ARCHITECTURE.md). For each mode, in fresh
// processes with a large heap: the JS-thread time of the first sampler start and of a
// later cold start, the idle cost of a created-but-stopped profiler on a CPU-bound
// workload, and the delivered sampling rate at 101 Hz.
//   node scripts/measure-logging-modes.mjs [runs=5] [heapMB=300]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[2] ?? 5);
const heapMb = Number(process.argv[3] ?? 300);
const self = fileURLToPath(import.meta.url);

if (process.env.FERROPROF_MEASURE_CHILD) {
  const fp = await import(new URL('../dist/sampler.js', import.meta.url).href);
  const { fibonacci } = await import(new URL('../examples/workload.mjs', import.meta.url).href);
  const mode = process.env.FERROPROF_MEASURE_CHILD;
  // A big heap with much compiled code: what the lazy start has to walk.
  const keep = [];
  for (let i = 0; i < (heapMb * 1024 * 1024) / 100; i++) keep.push({ i, s: `v${i}` });
  const fns = [];
  for (let i = 0; i < 5000; i++) fns.push(new Function('x', `return x * ${i} + ${i % 7};`));
  for (const f of fns) f(1);
  const work = () => {
    const t = performance.now();
    for (let i = 0; i < 40; i++) fibonacci(22);
    return performance.now() - t;
  };
  const idleBase = Math.min(work(), work(), work());
  fp.configureSampler({ eagerLogging: mode === 'eager', lingerMs: 0 });
  let t = performance.now();
  fp.startSampling(101);
  const firstStartMs = performance.now() - t;
  fp.stopSampling();
  const idleWithProfiler = Math.min(work(), work(), work());
  t = performance.now();
  fp.startSampling(101);
  const secondStartMs = performance.now() - t;
  const w = fp.openWindow();
  const busyEnd = performance.now() + 2000;
  while (performance.now() < busyEnd) fibonacci(18);
  const p = await w.close();
  fp.stopSampling();
  const hz = p.samples.length / ((p.endNs - p.startNs) / 1e9);
  console.log(
    JSON.stringify({
      firstStartMs,
      secondStartMs,
      idleCostPct: (100 * (idleWithProfiler - idleBase)) / idleBase,
      hz,
      heapMb: process.memoryUsage().heapUsed / 2 ** 20,
      kept: keep.length + fns.length,
    }),
  );
  process.exit(0);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const results = { lazy: [], eager: [] };
for (let r = 0; r < runs; r++) {
  for (const mode of ['lazy', 'eager']) {
    const out = spawnSync(process.execPath, ['--max-old-space-size=4096', self], {
      env: { ...process.env, FERROPROF_MEASURE_CHILD: mode },
      encoding: 'utf8',
    });
    if (out.status !== 0) throw new Error(`${mode} run failed: ${out.stderr}`);
    results[mode].push(JSON.parse(out.stdout.trim().split('\n').pop()));
  }
}
console.log(
  `V8 code logging, medians of ${runs} processes each (interleaved), heap ≈ ${median(results.lazy.map((r) => r.heapMb)).toFixed(0)} MB`,
);
console.log('mode   first start ms  later cold start ms  idle cost %  delivered Hz (101 asked)  Hz min..max');
for (const mode of ['lazy', 'eager']) {
  const rs = results[mode];
  const hz = rs.map((r) => r.hz);
  console.log(
    `${mode.padEnd(6)} ${median(rs.map((r) => r.firstStartMs))
      .toFixed(2)
      .padStart(14)} ${median(rs.map((r) => r.secondStartMs))
      .toFixed(2)
      .padStart(20)} ${median(rs.map((r) => r.idleCostPct))
      .toFixed(2)
      .padStart(12)} ${median(hz).toFixed(1).padStart(25)}  ${Math.min(...hz).toFixed(1)}..${Math.max(...hz).toFixed(1)}`,
  );
}
