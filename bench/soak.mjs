// Memory soak: ferroprof continuous at 101 Hz with 60 s chunks for N minutes on a
// light CPU load, printing RSS, heap and the profiler's own bytes every 30 s, and
// whether memory stayed flat after the first chunk.
//   node bench/soak.mjs [minutes=10]
import { close, getProfilerStats, init } from '../dist/index.js';
import { fibonacci } from '../examples/workload.mjs';

const minutes = Number(process.argv[2] ?? 10);
let chunks = 0;
let bytes = 0;
init({
  transport: (envelope) => {
    chunks += 1;
    bytes += envelope.length;
  },
  _experiments: { profilerMode: 'continuous', continuousProfilingAutoStart: true },
});
const rows = [];
const start = Date.now();
const mb = (x) => (x / 2 ** 20).toFixed(1);
while (Date.now() - start < minutes * 60_000) {
  // ~20 % of one core: 20 ms of work every 100 ms.
  const end = performance.now() + 20;
  while (performance.now() < end) fibonacci(15);
  await new Promise((r) => setTimeout(r, 80));
  const t = Math.floor((Date.now() - start) / 1000);
  if (t >= (rows.length + 1) * 30) {
    globalThis.gc?.();
    const m = process.memoryUsage();
    const s = getProfilerStats();
    rows.push({ t, rss: m.rss, heap: m.heapUsed, held: s.bytesHeld, samples: s.samplesHeld, chunks });
    console.log(
      `t=${String(t).padStart(4)} s  rss ${mb(m.rss)} MB  heap ${mb(m.heapUsed)} MB  profiler held ${mb(s.bytesHeld)} MB (${s.samplesHeld} samples)  chunks sent ${chunks}`,
    );
  }
}
await close(5000);
const after = rows.filter((r) => r.t >= 90);
const rss = after.map((r) => r.rss);
console.log(
  `soak ${minutes} min: RSS after the first chunk ${mb(Math.min(...rss))}..${mb(Math.max(...rss))} MB (spread ${mb(Math.max(...rss) - Math.min(...rss))} MB); profiler held at most ${mb(Math.max(...after.map((r) => r.held)))} MB; ${chunks} chunk envelopes, ${(bytes / chunks / 1024).toFixed(1)} KiB each`,
);
