// JS-thread cost of one SDK transaction, with and without its profile:
// 20 000 transactions of ~60 µs of work each, timed in one process.
//   node bench/txn-cost.mjs 0   # tracing only
//   node bench/txn-cost.mjs 1   # every transaction profiled
import * as fp from '../dist/index.js';

const rate = Number(process.argv[2] ?? 1);
let bytes = 0;
fp.init({ transport: (e) => { bytes += e.length; }, tracesSampleRate: 1, profilesSampleRate: rate });
function work() {
  let x = 0;
  for (let i = 0; i < 20000; i++) x += Math.sqrt(i);
  return x;
}
const N = 20000;
const t0 = performance.now();
for (let i = 0; i < N; i++) {
  const txn = fp.startTransaction({ name: 'GET /cpu', op: 'http.server' });
  work();
  txn.finish();
  if (i % 50 === 0) await new Promise((r) => setImmediate(r));
}
const t1 = performance.now();
await fp.close(10000);
console.log(`profilesSampleRate ${rate}: ${(((t1 - t0) * 1000) / N).toFixed(1)} µs per transaction (${bytes} bytes sent)`);
