// Memory and rotation cost under function churn: a service-like loop that compiles new
// functions forever (templating, `new Function`, eval-heavy libraries do), with no
// profiler and each of `--profilers` beside it: ferroprof (SDK continuous), `sampler`
// (ferroprof/sampler alone), `startstop` (V8's profiler through node:inspector, stopped
// and started every 10 s) and `cpu-prof` (the flag: one profile for the whole run), all
// running at the same time so they share the machine's state. Every 30 s each process
// reports RSS and V8's heap (after a full GC) and ferroprof its store's bytes; at the end the table
// gives RSS over time, the growth rate over the second half, and the JS-thread time of
// ferroprof's rotations beside a V8 profile start/stop (what `--cpu-prof` pays once).
//
//   node --expose-gc bench/churn.mjs [--minutes 30] [--hz 1001] [--rate 40000] [--busy 0.8]
//       [--profilers ferroprof,sampler,startstop,cpu-prof]
//
// `--busy` is the share of time each process works (20 ms slices, then idle): 0.8 is a
// saturated service, 0.25 one at a quarter of a core.
import { fork } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { churnSlice } from './lib/churn.mjs';
import { cpuProfFlags } from './lib/cpu-prof.mjs';
import { rssGrowthPerMinute } from './lib/stats.mjs';

const self = fileURLToPath(import.meta.url);

if (process.argv[2] === '--child') {
  await child(JSON.parse(process.argv[3]));
} else {
  await parent();
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
  } else if (cfg.profiler === 'sampler') {
    // ferroprof/sampler alone: V8 sampling and the engine, without the SDK.
    sdk = await import(new URL('sampler.js', dist).href);
    sdk.startSampling(cfg.hz);
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
  // `cpu-prof` is the flag itself (the parent passes it): one profile for the whole run.
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
      const s = sdk?.getProfilerStats?.() ?? sdk?.getSamplerStats?.();
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
  const stats = sdk?.getProfilerStats?.() ?? sdk?.getSamplerStats?.();
  if (sdk?.close) await sdk.close(5000);
  else sdk?.stopSampling();
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
      profilers: { type: 'string', default: 'ferroprof,startstop' },
    },
  });
  const cfg = { minutes: Number(values.minutes), hz: Number(values.hz), rate: Number(values.rate), busy: Number(values.busy) };
  if (!(cfg.busy > 0 && cfg.busy <= 1)) throw new Error('--busy takes a share of time in (0, 1]');
  const profilers = ['none', ...values.profilers.split(',')];
  const known = ['ferroprof', 'sampler', 'startstop', 'cpu-prof'];
  for (const p of profilers.slice(1)) if (!known.includes(p)) throw new Error(`--profilers takes ${known.join(', ')}; got ${p}`);
  const rows = {};
  const done = {};
  await Promise.all(
    profilers.map(
      (profiler) =>
        new Promise((resolve, reject) => {
          const prof = profiler === 'cpu-prof' ? cpuProfFlags(cfg.hz) : { execArgv: [] };
          const c = fork(self, ['--child', JSON.stringify({ ...cfg, profiler })], {
            execArgv: ['--expose-gc', ...prof.execArgv],
          });
          if (prof.dir) c.on('exit', () => rmSync(prof.dir, { recursive: true, force: true }));
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
  const others = profilers.slice(1);
  const lines = [
    `Function churn: ${cfg.rate} new functions/s while busy (${cfg.busy * 100} % of the time), ${cfg.minutes} min at ${cfg.hz} Hz, every process at once (node --expose-gc bench/churn.mjs --minutes ${cfg.minutes} --hz ${cfg.hz} --rate ${cfg.rate} --busy ${cfg.busy} --profilers ${others.join(',')}); ${rows.none.at(-1)?.functions ?? '?'} functions compiled by the no-profiler process. RSS after a full GC; each profiler as its difference to no profiler, V8's heap difference in brackets.`,
    '',
    `| t (s) | RSS none (MB) | ${others.map((p) => `${p} Δ MB [heap Δ]`).join(' | ')} | ferroprof store (MB) |`,
    `|---|---|${others.map(() => '---').join('|')}|---|`,
  ];
  const held = rows.ferroprof ?? rows.sampler;
  rows.none.forEach((r, i) => {
    if (!(i % 2 === 1 || i === rows.none.length - 1)) return;
    const cells = others.map((p) => {
      const x = rows[p][i];
      return x ? `${f(x.rssMb - r.rssMb)} [${f(x.heapMb - r.heapMb)}]` : '–';
    });
    lines.push(`| ${r.t} | ${f(r.rssMb)} | ${cells.join(' | ')} | ${f(held?.[i]?.heldMb, 2)} |`);
  });
  lines.push(
    '',
    `RSS growth over the second half (MB/min): ${profilers.map((p) => `${p} ${f(rssGrowthPerMinute(rows[p]), 2)}`).join(', ')}.`,
  );
  const st = (done.ferroprof ?? done.sampler)?.stats;
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
