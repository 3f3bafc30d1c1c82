// What stays live under function churn, for a heap profiler: the churn of
// bench/churn.mjs in one process (no IPC, no reports), which after N seconds runs a full
// GC and kills itself with SIGKILL, so that heaptrack's "leaked" is what was live then.
//
//   heaptrack -o sampler node --expose-gc bench/churn-live.mjs sampler 200
//   heaptrack -o cpuprof node --expose-gc --cpu-prof --cpu-prof-interval 999 bench/churn-live.mjs none 200
//   heaptrack_print -f sampler.zst | grep -E '^(peak heap|total memory leaked)'
//   heaptrack_print -f sampler.zst --flamegraph-cost-type leaked -F sampler.leaked.txt
import { churnSlice } from './lib/churn.mjs';

const [mode = 'sampler', seconds = '200', hz = '1001'] = process.argv.slice(2);
if (mode === 'sampler') {
  const s = await import(new URL('../dist/sampler.js', import.meta.url).href);
  s.startSampling(Number(hz));
} else if (mode !== 'none') {
  throw new Error(`churn-live.mjs takes sampler or none (with --cpu-prof for V8's own profiler); got ${mode}`);
}
const state = { i: 0 };
const start = Date.now();
while (Date.now() - start < Number(seconds) * 1000) {
  const end = performance.now() + 20;
  while (performance.now() < end) churnSlice(10_000, state);
  // Busy a quarter of the time, as `bench/churn.mjs --busy 0.25`.
  await new Promise((r) => setTimeout(r, 60));
}
globalThis.gc?.();
console.log(`${mode}: RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(1)} MB after ${state.i} functions`);
process.kill(process.pid, 'SIGKILL');
