// A short profiled run for valgrind (memory errors in the addon or V8's profiler):
// transactions at 1001 Hz inside a continuous session, then close.
//   valgrind --error-exitcode=99 --leak-check=no node bench/valgrind-run.mjs
import { close, init, startProfiler, startTransaction, stopProfiler } from '../dist/index.js';
const envelopes = [];
init({
  tracesSampleRate: 1,
  profilesSampleRate: 1,
  transport: (e) => envelopes.push(e),
  _experiments: { profilerSchedulerFrequency: 1001 },
});
startProfiler();
function work(n) {
  let x = 0;
  for (let i = 0; i < n; i++) x += Math.sqrt(i) * Math.sin(i);
  return x;
}
for (let i = 0; i < 5; i++) {
  const t = startTransaction({ name: `t${i}`, op: 'valgrind' });
  const end = performance.now() + 100;
  while (performance.now() < end) work(1e4);
  t.finish();
}
stopProfiler();
console.log('closed', await close(20_000), 'envelopes', envelopes.length);
