// Real-workload overhead suite: third-party code (acorn, the TypeScript compiler, prettier,
// a fastify service under autocannon load) with no profiler, `node --cpu-prof`, ferroprof
// (SDK continuous, SDK transaction profiling at profilesSampleRate 1, ferroprof/sampler),
// @sentry/profiling-node and @datadog/pprof, at 101 and 1001 Hz. `http` drives the service
// as hard as it goes (throughput); `http-latency` sends a fixed rate in an open loop and
// reports latency percentiles in µs (bench/lib/fixed-rate.mjs). Every run is a fresh
// process; variants are interleaved round-robin with the order rotated every round; each
// figure is the median over rounds of the ratio to the same round's no-profiler run, with a
// bootstrap 95 % interval of that median.
//
//   node bench/real.mjs [--workloads acorn,tsc,prettier,http,http-latency] [--profilers ...]
//                       [--hz 101,1001] [--rounds 6] [--http-seconds 8] [--http-rate 1000]
//                       [--scale 1]
import { fork } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import autocannon from 'autocannon';

import { cpuProfFlags } from './lib/cpu-prof.mjs';
import { fixedRate } from './lib/fixed-rate.mjs';
import { median } from './lib/stats.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    workloads: { type: 'string', default: 'acorn,tsc,prettier,http,http-latency' },
    profilers: { type: 'string', default: 'cpu-prof,ferroprof,ferroprof-txn,ferroprof-sampler,sentry,datadog' },
    hz: { type: 'string', default: '101,1001' },
    rounds: { type: 'string', default: '6' },
    'http-seconds': { type: 'string', default: '8' },
    'http-rate': { type: 'string', default: '1000' },
    scale: { type: 'string', default: '1' },
    out: { type: 'string', default: join(here, 'results') },
    // Explicit variants instead of --profilers/--hz, for ablations: `profiler@hz`, with
    // native settings appended as `+name=value` (configureSampler), e.g.
    // `ferroprof-sampler@101+rotationIntervalMs=5000+eagerLogging=true`; `+env.NAME=value`
    // sets an environment variable of the child.
    variants: { type: 'string' },
  },
});

const workloads = args.workloads.split(',');
const rounds = Number(args.rounds);
const httpSeconds = Number(args['http-seconds']);
const httpRate = Number(args['http-rate']);
const scale = Number(args.scale);
const rates = args.hz.split(',').map(Number);

/** One variant: a profiler at a rate. `@sentry/profiling-node` has one fixed rate (~100 Hz). */
function variants() {
  if (args.variants) {
    return ['none', ...args.variants.split(',').filter((v) => v !== 'none')].map((spec) => {
      if (spec === 'none') return { profiler: 'none', hz: 0 };
      const [head, ...knobs] = spec.split('+');
      const [profiler, hz] = head.split('@');
      const pairs = knobs.map((k) => k.split('='));
      // `env.NAME=value` sets an environment variable of the child instead.
      const env = Object.fromEntries(pairs.filter(([k]) => k.startsWith('env.')).map(([k, v]) => [k.slice(4), v]));
      const native = Object.fromEntries(pairs.filter(([k]) => !k.startsWith('env.')).map(([k, v]) => [k, JSON.parse(v)]));
      return {
        profiler,
        hz: Number(hz),
        ...(knobs.length ? { spec, env, ...(Object.keys(native).length ? { native } : {}) } : {}),
      };
    });
  }
  const out = [{ profiler: 'none', hz: 0 }];
  for (const p of args.profilers.split(',')) {
    if (p === 'sentry') out.push({ profiler: p, hz: 101 });
    else for (const hz of rates) out.push({ profiler: p, hz });
  }
  return out;
}
const name = (v) => v.spec ?? (v.profiler === 'none' ? 'none' : `${v.profiler}@${v.hz}`);

function runChild(cfg, onPort) {
  const { dir: profDir, execArgv } = cfg.profiler === 'cpu-prof' ? cpuProfFlags(cfg.hz) : { execArgv: [] };
  return new Promise((resolve, reject) => {
    const child = fork(join(here, 'real', 'child.mjs'), [JSON.stringify(cfg)], {
      execArgv,
      env: { ...process.env, ...cfg.env },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    child.on('message', async (msg) => {
      if (msg.port !== undefined) {
        try {
          await onPort(msg.port, child);
        } catch (err) {
          child.kill();
          reject(err);
        }
      } else if (msg.ok === true) resolve(msg.result);
      else if (msg.ok === false) reject(new Error(msg.error));
    });
    child.on('exit', (code) => {
      if (profDir) rmSync(profDir, { recursive: true, force: true });
      if (code !== 0) reject(new Error(`${name(cfg)} exited with ${code}`));
    });
  });
}

/** autocannon's closed loop, as hard as the service goes: throughput, whole-ms latency. */
async function closedLoop(url, seconds) {
  const a = await autocannon({ url, connections: 8, duration: seconds });
  return {
    rps: a.requests.average,
    p50: a.latency.p50,
    p99: a.latency.p99,
    requests: a.requests.total,
    errors: a.errors + a.non2xx,
  };
}

/** An open loop at `--http-rate` requests/s: latency percentiles in µs. */
function openLoop(url, seconds) {
  return fixedRate(url, { rate: httpRate, seconds });
}

/** The service under `drive(url, seconds)`: 1 s of warm-up, then the measured seconds. */
async function runService(cfg, drive) {
  let measured;
  const result = await runChild(cfg, async (port, child) => {
    const url = `http://127.0.0.1:${port}/items?n=200`;
    await drive(url, 1); // warm-up, not measured
    await new Promise((r) => {
      child.once('message', r);
      child.send('measure');
    });
    measured = await drive(url, httpSeconds);
    child.send('stop');
  });
  return { ...result, ...measured, cpuPerReqUs: (result.cpuMs * 1000) / measured.requests };
}

async function runOne(workload, v) {
  const cfg = { workload, ...v, scale };
  if (workload === 'http') return runService(cfg, closedLoop);
  if (workload !== 'http-latency') return runChild(cfg);
  const r = await runService(cfg, openLoop);
  if (r.errors) throw new Error(`${r.errors} of ${r.requests} requests failed`);
  return r;
}

// --- statistics ---------------------------------------------------------------------
/** Bootstrap 95 % interval of the median (2 000 resamples, seeded so reruns agree). */
function bootstrap(xs) {
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const meds = [];
  for (let i = 0; i < 2000; i++) meds.push(median(xs.map(() => xs[Math.floor(rnd() * xs.length)])));
  meds.sort((a, b) => a - b);
  return [meds[50], meds[1949]];
}
const fmt = (x, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '–');
const ratioCell = (xs) => {
  if (!xs.length) return '–';
  const [lo, hi] = bootstrap(xs);
  return `${fmt(median(xs))} [${fmt(lo)}–${fmt(hi)}]`;
};

const METRICS = {
  batch: [
    ['wall', (r) => r.wallMs, 'ratio'],
    ['CPU', (r) => r.cpuMs, 'ratio'],
    ['GC', (r) => r.gcMs, 'ratio'],
    ['peak RSS', (r) => r.maxRssMb, 'delta'],
  ],
  http: [
    ['p50', (r) => r.p50, 'ratio'],
    ['p99', (r) => r.p99, 'ratio'],
    ['req/s', (r) => r.rps, 'inverse'],
    ['CPU/req', (r) => r.cpuPerReqUs, 'ratio'],
    ['GC', (r) => r.gcMs / r.requests, 'ratio'],
    ['peak RSS', (r) => r.maxRssMb, 'delta'],
  ],
  'http-latency': [
    ['p50 µs', (r) => r.p50, 'ratio'],
    ['p99 µs', (r) => r.p99, 'ratio'],
    ['p99.9 µs', (r) => r.p999, 'ratio'],
    ['CPU/req', (r) => r.cpuPerReqUs, 'ratio'],
    ['peak RSS', (r) => r.maxRssMb, 'delta'],
  ],
};

function table(workload, runs, vs) {
  const metrics = METRICS[workload] ?? METRICS.batch;
  const base = runs.map((r) => r.none);
  const lines = [];
  const head = [
    'variant',
    ...metrics.map(([m, , kind]) => (kind === 'delta' ? `${m} Δ MB` : kind === 'inverse' ? `${m} cost (none÷this)` : `${m} ×`)),
    'vs --cpu-prof (wall or p99)',
  ];
  lines.push(`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`);
  const baseMed = metrics.map(([, get]) => median(base.map(get)));
  lines.push(
    `| none (absolute) | ${metrics.map(([, , kind], i) => (kind === 'delta' ? `${fmt(baseMed[i], 0)} MB` : fmt(baseMed[i], 1))).join(' | ')} | |`,
  );
  for (const v of vs.slice(1)) {
    const n = name(v);
    const cells = metrics.map(([, get, kind]) => {
      const xs = runs
        .filter((r) => r[n] && r.none)
        .map((r) => {
          const a = get(r[n]);
          const b = get(r.none);
          return kind === 'delta' ? a - b : kind === 'inverse' ? b / a : a / b;
        });
      if (kind === 'delta') {
        const [lo, hi] = bootstrap(xs);
        return `${fmt(median(xs), 1)} [${fmt(lo, 1)}–${fmt(hi, 1)}]`;
      }
      return ratioCell(xs);
    });
    let vsCpu = '';
    const cp = `cpu-prof@${v.hz}`;
    if (v.profiler.startsWith('ferroprof')) {
      const get = workload.startsWith('http') ? (r) => r.p99 : (r) => r.wallMs;
      const xs = runs.filter((r) => r[n] && r[cp]).map((r) => get(r[n]) / get(r[cp]));
      vsCpu = ratioCell(xs);
    }
    lines.push(`| ${n} | ${cells.join(' | ')} | ${vsCpu} |`);
  }
  return lines.join('\n');
}

// --- main ------------------------------------------------------------------------------
const vs = variants();
const all = {};
const started = new Date().toISOString();
for (const w of workloads) {
  all[w] = [];
  for (let round = 0; round < rounds; round++) {
    const rec = {};
    const order = vs.map((_, i) => vs[(i + round) % vs.length]);
    for (const v of order) {
      try {
        rec[name(v)] = await runOne(w, v);
      } catch (err) {
        console.error(`${w} ${name(v)} round ${round}: ${err.message.split('\n')[0]}`);
      }
    }
    all[w].push(rec);
    process.stderr.write(`${w}: round ${round + 1}/${rounds} done\n`);
  }
}
const md = [
  `Real workloads, ${rounds} paired rounds (${started}); Node ${process.version}; ratios are medians of per-round ratios to no profiler, [bootstrap 95 % interval]`,
  ...workloads.map((w) => `\n### ${w}\n\n${table(w, all[w], vs)}`),
].join('\n');
console.log(md);
mkdirSync(args.out, { recursive: true });
const stamp = started.replace(/[:.]/g, '-');
writeFileSync(join(args.out, `real-${stamp}.json`), JSON.stringify({ args, started, node: process.version, runs: all }, null, 1));
writeFileSync(join(args.out, `real-${stamp}.md`), `${md}\n`);
