#!/usr/bin/env node
// The frequency delivered, process by process: N fresh processes per rate, each
// sampling a CPU-bound main thread for a few seconds, quiet and with a busy neighbour
// process spinning on the other core (both cores busy). The rate is counted from the
// samples of one window, after a second (`--settle`) for the pacer to settle.
//
// The incumbents the same way: raw node:inspector (what @sentry/profiling-node's V8
// profiler does) and @datadog/pprof, counted over the same 3 s after the same second.
//
//   node bench/frequency.mjs                  # 30 processes × {101, 1001} Hz × {quiet, busy}
//   node bench/frequency.mjs --processes 10 --profilers ferroprof,inspector,datadog --rates 101 --loads quiet
//   node bench/frequency.mjs --rates 1001 --settle 6   # the window after 6 s instead of 1 (the steady rate)
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const SELF = fileURLToPath(import.meta.url);

if (process.env.FREQ_CHILD) {
  const { hz, seconds, profiler, settleMs = 1000 } = JSON.parse(process.env.FREQ_CHILD);
  const { workUnit } = await import('./lib/workload.mjs');
  const until = (ms) => {
    const end = performance.now() + ms;
    let i = 0;
    while (performance.now() < end) workUnit(i++);
  };
  const measured = async () => {
    for (let k = 0; k < seconds * 10; k++) {
      until(100);
      await new Promise((r) => setImmediate(r));
    }
  };
  let delivered;
  if (profiler === 'ferroprof') {
    const fp = await import('../dist/sampler.js');
    fp.startSampling(hz);
    until(settleMs); // the pacer settles
    const w = fp.openWindow();
    await measured();
    const p = await w.close();
    fp.stopSampling();
    const main = p.samples.filter((x) => x.threadId === 0);
    delivered = (main.length - 1) / ((main[main.length - 1].tsNs - main[0].tsNs) / 1e9);
  } else if (profiler === 'inspector') {
    const { Session } = await import('node:inspector');
    const session = new Session();
    session.connect();
    const post = (m, p) => new Promise((res, rej) => session.post(m, p, (e, r) => (e ? rej(e) : res(r))));
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: Math.round(1e6 / hz) });
    await post('Profiler.start');
    until(settleMs);
    const from = performance.now() * 1000; // µs, the clock of the profile's timestamps
    await measured();
    const { profile } = await post('Profiler.stop');
    // Sample times: startTime plus the running sum of timeDeltas (µs, monotonic).
    let t = profile.startTime;
    const times = profile.timeDeltas.map((d) => (t += d));
    const origin = profile.endTime - performance.now() * 1000;
    const inWindow = times.filter((x) => x - origin >= from);
    delivered = (inWindow.length - 1) / ((inWindow[inWindow.length - 1] - inWindow[0]) / 1e6);
  } else {
    const { time } = await import('@datadog/pprof');
    time.start({ intervalMicros: Math.round(1e6 / hz), durationMillis: 60_000 });
    until(settleMs);
    time.stop(true); // restart: count only the measured seconds
    const t0 = performance.now();
    await measured();
    const profile = time.stop();
    const samples = profile.sample.reduce((n, s) => n + Number(s.value[0] ?? 0), 0);
    delivered = samples / ((performance.now() - t0) / 1000);
  }
  process.stdout.write(JSON.stringify({ delivered }));
  process.exit(0);
}

if (process.env.FREQ_NEIGHBOUR) {
  let x = 0;
  for (;;) x += Math.sqrt(x + 1);
}

const { values } = parseArgs({
  options: {
    processes: { type: 'string', default: '30' },
    seconds: { type: 'string', default: '3' },
    settle: { type: 'string', default: '1' },
    profilers: { type: 'string', default: 'ferroprof' },
    rates: { type: 'string', default: '101,1001' },
    loads: { type: 'string', default: 'quiet,busy' },
  },
});
const rates = values.rates.split(',').map(Number);
const loads = values.loads.split(',').map((l) => (l === 'busy' ? 'busy neighbour' : l));
const profilers = values.profilers.split(',');
const N = Number(values.processes);
const seconds = Number(values.seconds);
const rows = [];
for (const load of loads) {
  const neighbour =
    load === 'quiet'
      ? undefined
      : spawn(process.execPath, [SELF], { env: { ...process.env, FREQ_NEIGHBOUR: '1' }, stdio: 'ignore' });
  try {
    for (const hz of rates) {
      const got = Object.fromEntries(profilers.map((p) => [p, []]));
      // Interleaved, so that the machine's drift hits every profiler alike.
      for (let i = 0; i < N; i++) {
        for (const profiler of profilers) {
          const cfg = JSON.stringify({ hz, seconds, profiler, settleMs: Number(values.settle) * 1000 });
          const out = execFileSync(process.execPath, [SELF], {
            env: { ...process.env, FREQ_CHILD: cfg, NODE_OPTIONS: '' },
            encoding: 'utf8',
          });
          got[profiler].push(JSON.parse(out).delivered);
        }
      }
      const tol = hz === 101 ? 0.05 : 0.1;
      for (const profiler of profilers) {
        const g = got[profiler].sort((a, b) => a - b);
        const within = g.filter((x) => Math.abs(x - hz) / hz <= tol).length;
        rows.push(
          `| ${profiler} | ${hz} Hz | ${load} | ${g[0].toFixed(1)} | ${g[Math.floor(N / 2)].toFixed(1)} | ${g[N - 1].toFixed(1)} | ${within} / ${N} within ±${tol * 100} % |`,
        );
      }
      process.stderr.write(`frequency: ${hz} Hz ${load} done\n`);
    }
  } finally {
    neighbour?.kill('SIGKILL');
  }
}
console.log(
  `${N} processes each, ${seconds} s windows\n\n| profiler | configured | load | min | median | max | in band |\n|---|---|---|---|---|---|---|\n${rows.join('\n')}`,
);
