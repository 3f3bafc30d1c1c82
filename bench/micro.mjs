#!/usr/bin/env node
// Amplified microbenchmarks: each cost of the profiler isolated and made large enough
// to measure on a noisy 2-core machine, from many short, interleaved, paired runs in
// fresh processes, with a bootstrap 95 % interval. Then composed into the overhead
// predicted at 101 Hz and 1001 Hz.
//
//   node bench/micro.mjs                       # every case, 16 pairs each
//   node bench/micro.mjs --pairs 30 --only sample,idle
//
// Cases (A = baseline, B = treatment, same workload, same process image):
//   sample       per-sample JS-thread cost at 4 kHz: none vs ferroprof, @datadog/pprof,
//                node:inspector (each divided by the samples it took)
//   rotation     per-rotation cost: ferroprof 101 Hz rotating every 500 ms vs 10 ms
//   window       per-window cost: 101 Hz, no windows vs one window per work unit
//   transaction  per-transaction cost around ~45 µs of work (a fast request): no SDK vs
//                ferroprof tracing only, sampler running, every one profiled; and
//                @sentry/node tracing only, and profiled by @sentry/profiling-node
//   chunk        per-chunk encode (process CPU, the worker thread): 60 s vs 100 ms chunks
//   idle         idle cost of the logging mode: none vs eager vs lazy (default), on
//                compile- and API-heavy work, nothing sampled
//   idle-api     the same on C++ crossings only (JSON, Buffer), no compiling
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const SELF = fileURLToPath(import.meta.url);
const SCHEDSTAT = `/proc/${process.pid}/task/${process.pid}/schedstat`;

// ── child: one run ───────────────────────────────────────────────────────────────
if (process.env.MICRO_CHILD) {
  const cfg = JSON.parse(process.env.MICRO_CHILD);
  const { workUnit } = await import('./lib/workload.mjs');
  const threadNs = () => Number(readFileSync(SCHEDSTAT, 'utf8').split(' ')[0]);
  const processNs = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) * 1000;
  };
  // The SDK (`ferroprof`) and the low-level API (`ferroprof/sampler`, whose `flush` is `flushSampler` here).
  const sampler = ({ flush, ...rest }) => ({ ...rest, flushSampler: flush });
  const fp =
    cfg.variant.startsWith('ferroprof') || cfg.variant.startsWith('sdk') || cfg.variant === 'eager' || cfg.variant === 'lazy'
      ? { ...(await import('../dist/index.js')), ...sampler(await import('../dist/sampler.js')) }
      : undefined;
  let stop = () => ({});
  let perUnit = () => {};
  const units = cfg.units;

  if (cfg.variant === 'ferroprof') {
    fp.configureSampler({ rotationIntervalMs: cfg.rotationMs ?? 500 });
    fp.startSampling(cfg.hz);
    if (cfg.windows) {
      perUnit = () => {
        void fp.openWindow().close();
      };
    }
    stop = () => {
      fp.flushSampler();
      const s = fp.getSamplerStats();
      fp.stopSampling();
      return { samples: s.samplesCopied, rotations: s.rotations, windows: s.windowsOpened };
    };
  } else if (cfg.variant === 'datadog') {
    const { time } = await import('@datadog/pprof');
    time.start({ intervalMicros: Math.round(1e6 / cfg.hz), durationMillis: 60_000 });
    stop = () => {
      const profile = time.stop();
      const samples = profile.sample.reduce((n, s) => n + Number(s.value[0] ?? 0), 0);
      return { samples };
    };
  } else if (cfg.variant === 'inspector') {
    const { inspectorProfiler } = await import('./lib/inspector-session.mjs');
    const { session, post } = await inspectorProfiler(cfg.hz);
    await post('Profiler.start');
    stop = async () => {
      const { profile } = await post('Profiler.stop');
      session.disconnect();
      return { samples: profile.samples.length };
    };
  } else if (cfg.variant === 'sdk-tracing' || cfg.variant === 'sdk-sampler' || cfg.variant === 'sdk-profiled') {
    // sdk-sampler: the sampler runs (a profilesSampler is set) but profiles nothing,
    // so that sdk-profiled minus it is what a transaction's profile itself costs.
    fp.init({
      transport: () => {},
      tracesSampleRate: 1,
      ...(cfg.variant === 'sdk-sampler'
        ? { profilesSampler: () => 0 }
        : { profilesSampleRate: cfg.variant === 'sdk-profiled' ? 1 : 0 }),
    });
    perUnit = (i, run) => {
      const txn = fp.startTransaction({ name: 'GET /unit', op: 'http.server' });
      run(i);
      txn.finish();
      return true;
    };
    stop = async () => {
      await fp.flush(20_000);
      const s = fp.getProfilerStats();
      await fp.close(1000);
      return { transactions: s.transactionsStarted };
    };
  } else if (cfg.variant === 'sentry-tracing' || cfg.variant === 'sentry-profiled') {
    // @sentry/node 11 as an app would set it up (HTTP instrumentations off: the loop
    // makes no requests), with a transport that drops the envelopes; profiled, the
    // incumbent's trace lifecycle (profiles while a sampled root span runs).
    const Sentry = await import('@sentry/node');
    const profiled = cfg.variant === 'sentry-profiled';
    const integrations = profiled ? [(await import('@sentry/profiling-node')).nodeProfilingIntegration()] : [];
    Sentry.init({
      dsn: 'http://public@127.0.0.1:9/1',
      tracesSampleRate: 1,
      ...(profiled ? { profileSessionSampleRate: 1, profileLifecycle: 'trace' } : {}),
      integrations: (defaults) => [...defaults.filter((i) => i.name !== 'Http' && i.name !== 'NodeFetch'), ...integrations],
      transport: (options) => Sentry.createTransport(options, async () => ({ statusCode: 200 })),
    });
    let transactions = 0;
    perUnit = (i, run) => {
      const span = Sentry.startInactiveSpan({ name: 'GET /unit', op: 'http.server', forceTransaction: true });
      run(i);
      span.end();
      transactions += 1;
      return true;
    };
    stop = async () => {
      await Sentry.flush(20_000);
      await Sentry.close(1000);
      return { transactions };
    };
  } else if (cfg.variant === 'ferroprof-chunks') {
    fp.init({ transport: () => {}, _experiments: { chunkDurationMs: cfg.chunkMs, profilerSchedulerFrequency: cfg.hz } });
    fp.startProfiler();
    stop = async () => {
      await fp.stopProfiler();
      await fp.flush(20_000);
      const s = fp.getProfilerStats();
      await fp.close(1000);
      return { chunks: s.chunksSent };
    };
  } else if (cfg.variant === 'eager' || cfg.variant === 'lazy') {
    // Attached either way; eager: the profiler exists (as when the SDK has profiling
    // configured), lazy (the default): none until a start. Nothing is sampled.
    fp.configureSampler({ eagerLogging: cfg.variant === 'eager' });
  }

  // The idle case's work compiles code and crosses into C++ (what code logging and
  // API-callback tracking would tax); the others are CPU-bound JavaScript.
  const idleWork = (i) => {
    const f = new Function('x', `return x * ${i} + ${i % 13};`);
    let s = f(i);
    s += JSON.parse(JSON.stringify({ a: i, b: [1, 2, 3], c: 'x'.repeat(32) })).a;
    s += Buffer.from(`unit-${i}`).length;
    return s;
  };
  const apiWork = (i) => JSON.parse(JSON.stringify({ a: i, b: [1, 2, 3] })).a + Buffer.from(`unit-${i}`).length;
  // ~45 µs of arithmetic: a fast request, so that the transaction's own cost is a
  // large share of the unit and the interval narrow.
  let lightSink = 0;
  const lightWork = (i) => {
    let x = i;
    for (let k = 0; k < 20_000; k++) x += Math.sqrt(k);
    lightSink += x;
    return lightSink;
  };
  const run =
    cfg.case === 'idle' ? idleWork : cfg.case === 'idle-api' ? apiWork : cfg.case === 'transaction' ? lightWork : workUnit;
  const t0 = threadNs();
  const p0 = processNs();
  for (let i = 0; i < units; i++) {
    if (!perUnit(i, run)) run(i);
    if (i % 20 === 19) await new Promise((r) => setImmediate(r));
  }
  const t1 = threadNs();
  const p1 = processNs();
  const extra = await stop();
  process.stdout.write(JSON.stringify({ threadNs: t1 - t0, processNs: p1 - p0, ...extra }));
  process.exit(0);
}

// ── parent: plan, interleave, summarise ──────────────────────────────────────────
const { values } = parseArgs({ options: { pairs: { type: 'string', default: '16' }, only: { type: 'string' } } });
const PAIRS = Number(values.pairs);

const CASES = {
  sample: { units: 6000, variants: { none: {}, ferroprof: { hz: 4000 }, datadog: { hz: 4000 }, inspector: { hz: 4000 } } },
  rotation: {
    units: 6000,
    variants: {
      slow: { variant: 'ferroprof', hz: 101, rotationMs: 500 },
      fast: { variant: 'ferroprof', hz: 101, rotationMs: 10 },
    },
  },
  window: {
    units: 6000,
    variants: { none: { variant: 'ferroprof', hz: 101 }, windows: { variant: 'ferroprof', hz: 101, windows: true } },
  },
  transaction: {
    units: 20_000,
    variants: { none: {}, 'sdk-tracing': {}, 'sdk-sampler': {}, 'sdk-profiled': {}, 'sentry-tracing': {}, 'sentry-profiled': {} },
  },
  chunk: {
    units: 6000,
    variants: {
      long: { variant: 'ferroprof-chunks', hz: 101, chunkMs: 60_000 },
      short: { variant: 'ferroprof-chunks', hz: 101, chunkMs: 100 },
    },
  },
  idle: { units: 20_000, variants: { none: {}, eager: {}, lazy: {} } },
  // The same without compiling: only the C++ crossings (JSON, Buffer).
  'idle-api': { units: 200_000, variants: { none: {}, eager: {}, lazy: {} } },
};

function runOnce(caseName, name, spec, units) {
  const cfg = { case: caseName, variant: spec.variant ?? name, units, ...spec };
  const out = execFileSync(process.execPath, [SELF], {
    env: { ...process.env, MICRO_CHILD: JSON.stringify(cfg), NODE_OPTIONS: '' },
    encoding: 'utf8',
    cwd: fileURLToPath(new URL('..', import.meta.url)),
  });
  return JSON.parse(out);
}

/** 95 % bootstrap interval of the mean of `xs`. */
function bootstrap(xs, iterations = 4000) {
  const n = xs.length;
  const means = [];
  let seed = 12345;
  const rand = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  for (let k = 0; k < iterations; k++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += xs[Math.floor(rand() * n)];
    means.push(s / n);
  }
  means.sort((a, b) => a - b);
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  return { mean, lo: means[Math.floor(0.025 * iterations)], hi: means[Math.floor(0.975 * iterations)] };
}

const fmt = (x, digits = 2) => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(digits));
const ci = (b, unit = '') => `${fmt(b.mean)}${unit} (${fmt(b.lo)} to ${fmt(b.hi)})`;

const selected = values.only ? values.only.split(',') : Object.keys(CASES);
const results = {};
for (const caseName of selected) {
  const c = CASES[caseName];
  if (!c) throw new Error(`unknown case ${caseName}; known: ${Object.keys(CASES).join(', ')}`);
  const names = Object.keys(c.variants);
  const runs = Object.fromEntries(names.map((n) => [n, []]));
  for (let p = 0; p < PAIRS; p++) {
    // Rotate the order every round so drift of the machine hits every variant alike.
    const order = names.map((_, i) => names[(i + p) % names.length]);
    for (const n of order) runs[n].push(runOnce(caseName, n, c.variants[n], c.units));
  }
  results[caseName] = runs;
  process.stderr.write(`micro: ${caseName} done\n`);
}

// Per pair: the treatment's extra cost over the baseline of the same round.
const perPair = (a, b, f) => a.map((x, i) => f(x, b[i]));
const lines = [];
const predicted = {};
if (results.sample) {
  const r = results.sample;
  lines.push('| per sample, JS thread (4 kHz) | ns per sample, 95 % CI |', '|---|---|');
  for (const v of ['ferroprof', 'datadog', 'inspector']) {
    const b = bootstrap(perPair(r.none, r[v], (a, x) => (x.threadNs - a.threadNs) / Math.max(1, x.samples)));
    predicted[v] = b;
    lines.push(`| ${v} | ${ci(b)} |`);
  }
}
if (results.rotation) {
  const r = results.rotation;
  const b = bootstrap(perPair(r.slow, r.fast, (a, x) => (x.threadNs - a.threadNs) / Math.max(1, x.rotations - a.rotations)));
  predicted.rotation = b;
  lines.push('', `per rotation, JS thread: ${ci(b, ' ns')}`);
}
if (results.window) {
  const r = results.window;
  const b = bootstrap(perPair(r.none, r.windows, (a, x) => (x.threadNs - a.threadNs) / Math.max(1, x.windows - a.windows)));
  lines.push(`per window (open + close), JS thread: ${ci(b, ' ns')}`);
}
if (results.transaction) {
  const r = results.transaction;
  const extra = (base, v) => bootstrap(perPair(r[base], r[v], (a, x) => (x.threadNs - a.threadNs) / x.transactions / 1000));
  const row = (what, b) => `| ${what} | ${ci(b, ' µs')} |`;
  lines.push(
    '',
    '| per transaction (~45 µs of work), JS thread | µs, 95 % CI |',
    '|---|---|',
    row('ferroprof, tracing only (vs no SDK)', extra('none', 'sdk-tracing')),
    row('ferroprof, profiled, on top of tracing', extra('sdk-tracing', 'sdk-profiled')),
    row('  of which the sampler running (101 Hz)', extra('sdk-tracing', 'sdk-sampler')),
    row('  of which the profile itself (window, encode, send)', extra('sdk-sampler', 'sdk-profiled')),
    row('@sentry/node, tracing only (vs no SDK)', extra('none', 'sentry-tracing')),
    row('@sentry/node + @sentry/profiling-node, profiled, on top of tracing', extra('sentry-tracing', 'sentry-profiled')),
  );
}
if (results.chunk) {
  const r = results.chunk;
  const b = bootstrap(perPair(r.long, r.short, (a, x) => (x.processNs - a.processNs) / Math.max(1, x.chunks - a.chunks) / 1000));
  lines.push(`per chunk (slice + encode, worker thread): ${ci(b, ' µs')}`);
}
for (const [key, what] of [
  ['idle', 'compiling and C++ calls'],
  ['idle-api', 'C++ calls only'],
]) {
  const r = results[key];
  if (!r) continue;
  for (const v of ['eager', 'lazy']) {
    const b = bootstrap(perPair(r.none, r[v], (a, x) => (100 * (x.threadNs - a.threadNs)) / a.threadNs));
    lines.push(`idle cost, ${v} logging, nothing sampled (${what}): ${ci(b, ' %')}`);
  }
}
if (predicted.ferroprof && predicted.rotation) {
  lines.push('', '| predicted JS-thread overhead | 101 Hz | 1001 Hz |', '|---|---|---|');
  for (const v of ['ferroprof', 'datadog', 'inspector']) {
    const b = predicted[v];
    if (!b) continue;
    const rot = v === 'ferroprof' ? predicted.rotation : { mean: 0, lo: 0, hi: 0 };
    const at = (hz, k) => (100 * (b[k] * hz + rot[k] * 2)) / 1e9;
    lines.push(
      `| ${v} | ${fmt(at(101, 'mean'), 3)} % (${fmt(at(101, 'lo'), 3)} to ${fmt(at(101, 'hi'), 3)}) | ${fmt(at(1001, 'mean'), 2)} % (${fmt(at(1001, 'lo'), 2)} to ${fmt(at(1001, 'hi'), 2)}) |`,
    );
  }
}
console.log(`pairs per case: ${PAIRS}\n\n${lines.join('\n')}`);
