#!/usr/bin/env node
// ferroprof benchmarks, side by side with @sentry/profiling-node and @datadog/pprof.
// Usage: node bench/run.mjs [--scenario steady,short,http,stalls,memory,wire] [--quick] [--long]
//                            [--reps N] [--profilers ferroprof,sentry,sentry-ferroprof,datadog]
// The Sentry integration side by side (same @sentry/node, only the integration differs):
//   node bench/run.mjs --profilers sentry,sentry-ferroprof --scenario steady,short,http,stalls,wire
// Every run is a fresh child process; variants are interleaved round-robin; the
// tables report medians and ratios to the no-profiler baseline of the same round.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';

import { createRequire } from 'node:module';

// The incumbents and the load generator are bench/'s own dev dependencies.
try {
  const require = createRequire(import.meta.url);
  for (const dep of ['autocannon', '@sentry/node', '@sentry/profiling-node', '@datadog/pprof']) require.resolve(dep);
} catch (err) {
  console.error(
    `bench: ${err.message.split('\n')[0]}\nInstall the benchmark dependencies first: (cd bench && npm install --no-audit --no-fund)`,
  );
  process.exit(2);
}

const { environment } = await import('./lib/env.mjs');
const { ALL_SCENARIOS, sizes, variants } = await import('./lib/plan.mjs');
const { loadServer, runChild } = await import('./lib/runner.mjs');
const { summarize } = await import('./lib/summary.mjs');
const { chartRows, renderSvg } = await import('./lib/svg.mjs');
const { renderTables } = await import('./lib/table.mjs');

const PROFILERS = ['ferroprof', 'sentry', 'sentry-ferroprof', 'datadog'];
const HTTP_MAX_REPS = 3;

function usage(message) {
  if (message) console.error(`bench: ${message}`);
  console.error(
    'usage: npm run bench -- [--scenario a,b] [--quick] [--long] [--reps N] [--profilers p,q]\n' +
      `  scenarios: ${ALL_SCENARIOS.join(', ')} (default: all)\n` +
      `  profilers: ${PROFILERS.join(', ')} (default: all)`,
  );
  process.exit(message ? 2 : 0);
}

function parseOptions() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        scenario: { type: 'string' },
        quick: { type: 'boolean', default: false },
        long: { type: 'boolean', default: false },
        reps: { type: 'string' },
        profilers: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    usage(err.message);
  }
  if (values.help) usage();
  const scenarios = values.scenario ? values.scenario.split(',').map((s) => s.trim()) : ALL_SCENARIOS;
  for (const s of scenarios) if (!ALL_SCENARIOS.includes(s)) usage(`unknown scenario "${s}"`);
  const profilers = values.profilers ? values.profilers.split(',').map((s) => s.trim()) : PROFILERS;
  for (const p of profilers) if (!PROFILERS.includes(p)) usage(`unknown profiler "${p}"`);
  const reps = values.reps === undefined ? (values.quick ? 2 : 5) : Number(values.reps);
  if (!Number.isInteger(reps) || reps < 1 || reps > 50) usage('--reps must be an integer in 1..50');
  return { scenarios, profilers, reps, repsGiven: values.reps !== undefined, quick: values.quick, long: values.long };
}

const log = (msg) => process.stderr.write(`${msg}\n`);

async function runInterleaved(scenario, list, size, reps) {
  const runs = Object.fromEntries(list.map((v) => [v.id, []]));
  for (let round = 0; round < reps; round++) {
    // Rotate the order every round so no variant always runs first or last.
    const order = list.map((_, i) => list[(i + round) % list.length]);
    for (const v of order) {
      const cfg = { ...v, ...size, scenario };
      const t0 = Date.now();
      const onListening = scenario === 'http' ? (port) => loadServer(port, size) : undefined;
      const r = await runChild(cfg, onListening);
      runs[v.id][round] = r;
      log(
        `  [${scenario} ${round + 1}/${reps}] ${v.id}: ${r.ok ? 'ok' : `FAILED ${r.error.split('\n')[0]}`} (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
      );
    }
  }
  return runs;
}

async function runConcurrently(scenario, list, size) {
  log(`  [${scenario}] ${list.length} variants side by side for ${size.durationMs / 1000} s`);
  const results = await Promise.all(list.map((v) => runChild({ ...v, ...size, scenario })));
  return Object.fromEntries(list.map((v, i) => [v.id, [results[i]]]));
}

async function main() {
  const opts = parseOptions();
  const env = environment();
  const size = sizes(opts);
  const started = new Date();
  const wanted = new Set(opts.scenarios.map((s) => (s === 'wire' ? 'memory' : s)));
  const plan = {};
  for (const s of ['steady', 'short', 'http', 'stalls', 'memory']) if (wanted.has(s)) plan[s] = variants(s, opts.profilers);
  log(
    `bench: ${[...wanted].join(', ')} | reps ${opts.reps}${opts.quick ? ' | quick' : ''}${opts.long ? ' | long' : ''} | ${env.nproc} CPUs, load ${env.loadAvgStart.map((l) => l.toFixed(2)).join(' ')}`,
  );

  const runs = {};
  for (const [scenario, list] of Object.entries(plan)) {
    if (scenario === 'memory') {
      runs.memory = await runConcurrently('memory', list, size.memory);
    } else {
      const reps = scenario === 'http' && !opts.repsGiven ? Math.min(opts.reps, HTTP_MAX_REPS) : opts.reps;
      runs[scenario] = await runInterleaved(scenario, list, size[scenario], reps);
    }
  }

  const summary = summarize(runs, plan, opts.profilers, opts);
  const ferroApi = Object.values(runs)
    .flatMap((byVariant) => Object.values(byVariant).flat())
    .find((r) => r?.ok && r.result.api && ['sdk', 'low-level'].includes(r.result.api) && r.result.self)?.result.api;
  env.ferroprofApi = ferroApi ?? 'n/a';
  env.loadAvgEnd = os.loadavg();
  const finished = new Date();
  const args = process.argv.slice(2);
  const command = `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`;

  const tables = renderTables(summary);
  console.log(tables);

  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  const file = new URL(`${stamp}.json`, dir);
  writeFileSync(file, JSON.stringify({ command, started, finished, options: opts, sizes: size, env, summary, runs }, null, 1));
  writeFileSync(new URL(`${stamp}.md`, dir), `${tables}\n`);
  const rows = chartRows(summary);
  if (rows.length) {
    writeFileSync(
      new URL('overhead.svg', dir),
      renderSvg(rows, `Profiler overhead, median of ${opts.reps} interleaved runs (lower is better)`),
    );
  }
  log(
    `\nbench: ${((finished - started) / 1000).toFixed(0)} s; ferroprof via its ${env.ferroprofApi} API; results in bench/results/${stamp}.json${rows.length ? ' and bench/results/overhead.svg' : ''} (git-ignored; BENCHMARKS.md keeps the tables, bench/charts/ the chart)`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
