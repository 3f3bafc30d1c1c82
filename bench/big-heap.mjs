#!/usr/bin/env node
// JS-thread ms of each profiler call on a warmed-up service: the profiler is set up
// at startup (its heap small), then the heap grows to ≥ 250 MB of 1.5 M small objects
// and 4 000 compiled functions, then continuous profiling is turned on and off twice
// through each profiler's public SDK path, the second time after the first session
// ended long enough for any linger to pass. Fresh processes, interleaved.
//
//   node bench/big-heap.mjs                 # 5 processes per profiler
//   node bench/big-heap.mjs --processes 10
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const SELF = fileURLToPath(import.meta.url);

if (process.env.HEAP_CHILD) {
  const profiler = process.env.HEAP_CHILD;
  let start;
  let stop;
  if (profiler === 'ferroprof') {
    const fp = await import('../dist/index.js');
    fp.init({ transport: () => {}, _experiments: { profilerMode: 'continuous' } });
    start = () => fp.startProfiler();
    stop = () => void fp.stopProfiler();
  } else if (profiler === 'sentry') {
    const { initSentryManual } = await import('./lib/sentry-manual.mjs');
    const Sentry = await initSentryManual();
    start = () => Sentry.profiler.startProfiler();
    stop = () => Sentry.profiler.stopProfiler();
  } else {
    const { time } = await import('@datadog/pprof');
    start = () => time.start({ intervalMicros: 9901, durationMillis: 60_000 });
    stop = () => void time.stop();
  }
  const keep = [];
  for (let i = 0; i < 1_500_000; i++) keep.push({ i, s: `value-${i}`, n: [i, i + 1] });
  const fns = [];
  for (let i = 0; i < 4000; i++) fns.push(new Function('x', `return x * ${i} + ${i % 7};`));
  let sink = 0;
  for (let r = 0; r < 3; r++) for (const f of fns) sink += f(r);
  const spin = (ms) => {
    const end = performance.now() + ms;
    while (performance.now() < end) sink += Math.sqrt(sink + 1);
  };
  const timed = (fn) => {
    const t = performance.now();
    fn();
    return performance.now() - t;
  };
  const heapMb = process.memoryUsage().heapUsed / 1024 / 1024;
  const calls = {};
  calls.start = timed(start);
  spin(300);
  calls.stop = timed(stop);
  await new Promise((r) => setTimeout(r, 3000)); // past ferroprof's 2 s linger
  calls.startAgain = timed(start);
  spin(300);
  calls.stopAgain = timed(stop);
  // `keep` and `fns` stay alive to the end: the heap is what the calls walk.
  process.stdout.write(JSON.stringify({ heapMb, calls, kept: keep.length + fns.length, sink: sink > 0 }));
  process.exit(0);
}

const { values } = parseArgs({ options: { processes: { type: 'string', default: '5' } } });
const N = Number(values.processes);
const PROFILERS = ['ferroprof', 'sentry', 'datadog'];
const runs = Object.fromEntries(PROFILERS.map((p) => [p, []]));
for (let i = 0; i < N; i++) {
  for (const p of PROFILERS) {
    const out = execFileSync(process.execPath, ['--max-old-space-size=2048', SELF], {
      env: { ...process.env, HEAP_CHILD: p, NODE_OPTIONS: '' },
      encoding: 'utf8',
      cwd: fileURLToPath(new URL('..', import.meta.url)),
    });
    runs[p].push(JSON.parse(out));
  }
  process.stderr.write(`big-heap: round ${i + 1} of ${N}\n`);
}
const cell = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return `${s[Math.floor(s.length / 2)].toFixed(2)} (${s[0].toFixed(2)} – ${s[s.length - 1].toFixed(2)})`;
};
const heap = Math.min(...PROFILERS.flatMap((p) => runs[p].map((r) => r.heapMb)));
const lines = [
  `${N} processes per profiler, heap ≥ ${heap.toFixed(0)} MB, 4 000 compiled functions; JS-thread ms, median (min – max)`,
  '',
  '| profiler | start | stop | start again (after 3 s) | stop again |',
  '|---|---|---|---|---|',
  ...PROFILERS.map(
    (p) =>
      `| ${p} | ${['start', 'stop', 'startAgain', 'stopAgain'].map((k) => cell(runs[p].map((r) => r.calls[k]))).join(' | ')} |`,
  ),
];
console.log(lines.join('\n'));
