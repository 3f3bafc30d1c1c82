// Memory and rotation cost under function churn: a service-like loop that compiles new
// functions forever (templating, `new Function`, eval-heavy libraries do), with no
// profiler, ferroprof (SDK continuous) and `--cpu-prof`-style start/stop beside it, all
// running at the same time so they share the machine's state. Every 30 s each process
// reports RSS (after a full GC) and ferroprof its store's bytes; at the end the table
// gives RSS over time, the growth rate over the second half, and the JS-thread time of
// ferroprof's rotations beside a V8 profile start/stop (what `--cpu-prof` pays once).
//
//   node --expose-gc bench/churn.mjs [--minutes 30] [--hz 1001] [--rate 40000] [--busy 0.8]
//
// `--busy` is the share of time each process works (20 ms slices, then idle): 0.8 is a
// saturated service, 0.25 one at a quarter of a core.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { rssGrowthPerMinute } from './lib/stats.mjs';

const self = fileURLToPath(import.meta.url);

if (process.argv[2] === '--child') {
  await child(JSON.parse(process.argv[3]));
} else {
  await parent();
}

/** Compiles `rate` new functions per second (each called a few times, so sampled), in 20 ms slices. */
function churnSlice(rate, state) {
  const n = Math.max(1, Math.round(rate / 50));
  let acc = 0;
  for (let i = 0; i < n; i++) {
    const k = state.i++;
    const f = new Function('x', `return (x * ${k % 97}) ^ ${k}; // ${k}`);
    for (let j = 0; j < 4; j++) acc += f(j);
  }
  // Some ordinary allocation too, as a service has.
  state.keep = Array.from({ length: 2000 }, (_, i) => ({ i, s: `v${i}${acc & 7}` }));
  return acc;
}

async function child(cfg) {
  const dist = new URL('../dist/', import.meta.url);
  let sdk;
  let rotateCost;
  if (cfg.profiler === 'ferroprof') {
    sdk = await import(new URL('index.js', dist).href);
    sdk.init({
      transport: () => {},
      _experiments: { profilerMode: 'continuous', continuousProfilingAutoStart: true, profilerSchedulerFrequency: cfg.hz },
    });
  } else if (cfg.profiler === 'startstop') {
    // What a `--cpu-prof` profile pays at its start and stop, timed every 10 s.
    const { inspectorProfiler } = await import('./lib/inspector-session.mjs');
    const { session } = await inspectorProfiler(cfg.hz);
    const costs = [];
    rotateCost = () => costs;
    let t0 = performance.now();
    session.post('Profiler.start', () => costs.push({ op: 'start', ms: performance.now() - t0 }));
    setInterval(() => {
      t0 = performance.now();
      session.post('Profiler.stop', () => {
        costs.push({ op: 'stop', ms: performance.now() - t0 });
        t0 = performance.now();
        session.post('Profiler.start', () => costs.push({ op: 'start', ms: performance.now() - t0 }));
      });
    }, 10_000).unref();
  }
  const state = { i: 0 };
  const start = Date.now();
  let nextReport = 30_000;
  while (Date.now() - start < cfg.minutes * 60_000) {
    const end = performance.now() + 20;
    while (performance.now() < end) churnSlice(cfg.rate, state);
    await new Promise((r) => setTimeout(r, (20 * (1 - cfg.busy)) / cfg.busy));
    if (Date.now() - start >= nextReport) {
      nextReport += 30_000;
      globalThis.gc?.();
      const s = sdk?.getProfilerStats();
      process.send({
        t: Math.round((Date.now() - start) / 1000),
        rssMb: process.memoryUsage().rss / 2 ** 20,
        // What is not V8's heap or external memory is native: V8's code map, malloc.
        heapMb: process.memoryUsage().heapTotal / 2 ** 20,
        externalMb: process.memoryUsage().external / 2 ** 20,
        heldMb: s ? s.bytesHeld / 2 ** 20 : null,
        jsNsMax: s?.jsNsMax ?? null,
        jsNsP99: s?.jsNsP99 ?? null,
        functions: state.i,
      });
    }
  }
  const costs = rotateCost?.() ?? [];
  const stats = sdk?.getProfilerStats();
  if (sdk) await sdk.close(5000);
  process.send(
    {
      done: true,
      costs,
      stats: stats
        ? { rotations: stats.rotations, jsNsMax: stats.jsNsMax, jsNsP99: stats.jsNsP99, jsNsP50: stats.jsNsP50 }
        : null,
    },
    () => process.exit(0),
  );
}

async function parent() {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '30' },
      hz: { type: 'string', default: '1001' },
      rate: { type: 'string', default: '40000' },
      busy: { type: 'string', default: '0.8' },
    },
  });
  const cfg = { minutes: Number(values.minutes), hz: Number(values.hz), rate: Number(values.rate), busy: Number(values.busy) };
  if (!(cfg.busy > 0 && cfg.busy <= 1)) throw new Error('--busy takes a share of time in (0, 1]');
  const profilers = ['none', 'ferroprof', 'startstop'];
  const rows = {};
  const done = {};
  await Promise.all(
    profilers.map(
      (profiler) =>
        new Promise((resolve, reject) => {
          const c = fork(self, ['--child', JSON.stringify({ ...cfg, profiler })], { execArgv: ['--expose-gc'] });
          rows[profiler] = [];
          c.on('message', (m) => {
            if (m.done) done[profiler] = m;
            else {
              rows[profiler].push(m);
              console.error(
                `${profiler} t=${m.t}s rss ${m.rssMb.toFixed(1)} MB heap ${m.heapMb.toFixed(1)} MB external ${m.externalMb.toFixed(1)} MB${m.heldMb !== null ? ` held ${m.heldMb.toFixed(2)} MB` : ''}`,
              );
            }
          });
          c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${profiler} exited ${code}`))));
        }),
    ),
  );
  const f = (x, d = 1) => (x === null || x === undefined ? '–' : x.toFixed(d));
  const lines = [
    `Function churn: ${cfg.rate} new functions/s while busy (${cfg.busy * 100} % of the time), ${cfg.minutes} min, ferroprof continuous at ${cfg.hz} Hz, all three processes at once (node --expose-gc bench/churn.mjs --minutes ${cfg.minutes} --hz ${cfg.hz} --rate ${cfg.rate} --busy ${cfg.busy}); ${rows.none.at(-1)?.functions ?? '?'} functions compiled by the no-profiler process`,
    '',
    '| t (s) | RSS none (MB) | RSS ferroprof (MB) | Δ (MB) | ferroprof store (MB) | RSS start/stop profiler (MB) |',
    '|---|---|---|---|---|---|',
  ];
  rows.none.forEach((r, i) => {
    const p = rows.ferroprof[i];
    const s = rows.startstop[i];
    if (p && (i % 2 === 1 || i === rows.none.length - 1))
      lines.push(`| ${r.t} | ${f(r.rssMb)} | ${f(p.rssMb)} | ${f(p.rssMb - r.rssMb)} | ${f(p.heldMb, 2)} | ${f(s?.rssMb)} |`);
  });
  lines.push(
    '',
    `RSS growth over the second half: none ${f(rssGrowthPerMinute(rows.none), 2)} MB/min, ferroprof ${f(rssGrowthPerMinute(rows.ferroprof), 2)} MB/min, start/stop ${f(rssGrowthPerMinute(rows.startstop), 2)} MB/min.`,
  );
  const st = done.ferroprof?.stats;
  const costs = done.startstop?.costs ?? [];
  const stops = costs
    .filter((c) => c.op === 'stop')
    .map((c) => c.ms)
    .sort((a, b) => a - b);
  const starts = costs
    .filter((c) => c.op === 'start')
    .map((c) => c.ms)
    .sort((a, b) => a - b);
  const q = (xs, p) => (xs.length ? xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] : NaN);
  if (st) {
    lines.push(
      `JS-thread time per ferroprof call (rotations included, ${st.rotations} rotations): p50 ${f(st.jsNsP50 / 1e6, 2)} ms, p99 ${f(st.jsNsP99 / 1e6, 2)} ms, max ${f(st.jsNsMax / 1e6, 2)} ms.`,
      `V8 profile start / stop through node:inspector (what --cpu-prof pays once), ${stops.length} cycles: start p50 ${f(q(starts, 0.5), 2)} ms max ${f(q(starts, 1), 2)} ms; stop p50 ${f(q(stops, 0.5), 2)} ms, max ${f(q(stops, 1), 2)} ms.`,
    );
  }
  console.log(lines.join('\n'));
}
