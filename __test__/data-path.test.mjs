// The data path never waits for the event loop and never loses data silently: the
// production-shaped cases of a synchronous job, a tiny memory budget, and two copies
// of the package in one process.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import test from 'ava';

import { close, flush, getProfilerStats, init, startTransaction, stopProfiler } from '../dist/index.js';
import { validateEnvelope } from '../dist/testing.js';
import { invalidEnvelopes, spin, startIngest } from './helpers/ingest.mjs';
import { busyCpu } from './helpers/busy.mjs';

const fixture = (name) => fileURLToPath(new URL(`./fixtures/data-path/${name}`, import.meta.url));

/** Runs a fixture in its own process; it must exit by itself within `timeoutMs`. */
function runChild(name, timeoutMs = 30_000) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    execFile(process.execPath, [fixture(name)], { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`${name}: ${err.killed ? `did not exit within ${timeoutMs} ms` : err.message}\n${stderr}`));
        return;
      }
      const last = stdout.trim().split('\n').pop() ?? '';
      resolve({ result: JSON.parse(last), ms: performance.now() - started, stderr });
    });
  });
}

/** Every sample copied out of V8 is accounted for under exactly one heading. */
function assertAccounting(t, s) {
  t.is(
    s.samplesCopied,
    s.samplesDuplicate + s.samplesNearDuplicate + s.samplesDroppedQueue + s.samplesInFlight + s.samplesIngested,
    'copied',
  );
  t.is(
    s.samplesIngested,
    s.samplesHeld + s.samplesPruned + s.samplesDroppedCapacity + s.samplesOutOfOrder + s.samplesLostReset,
    'ingested',
  );
}

let ingest;
test.beforeEach(async () => {
  ingest = await startIngest();
});
test.afterEach.always(async () => {
  await close(2000);
  await ingest.close();
});

test.serial('a synchronous batch of 200 transactions delivers all 200', async (t) => {
  init({ dsn: ingest.dsn, tracesSampleRate: 1 });
  // No await between them: the whole burst is queued before the loop yields once.
  for (let i = 0; i < 200; i++) {
    const txn = startTransaction({ name: `batch-${i}`, op: 'task' });
    spin(5);
    txn.finish();
  }
  t.true(await close(20_000));
  const arrived = ingest.payloads('transaction');
  t.is(arrived.length, 200);
  t.deepEqual(new Set(arrived.map((p) => p.transaction)).size, 200);
  t.deepEqual(ingest.payloads('client_report'), [], 'nothing was dropped');
});

test.serial('a synchronous loop with every transaction profiled delivers every profile', async (t) => {
  const N = 40;
  init({ dsn: ingest.dsn, tracesSampleRate: 1, profilesSampleRate: 1 });
  // 40 × 100 ms with no yield: 4 s during which rotations can only run from V8
  // interrupts, and windows must not time out while their samples sit in V8. 100 ms
  // of the thread's CPU time, so that a loaded machine still puts samples in each.
  for (let i = 0; i < N; i++) {
    const txn = startTransaction({ name: `profiled-${i}`, op: 'task' });
    busyCpu(100);
    txn.finish();
  }
  t.true(await flush(20_000));
  const stats = getProfilerStats();
  t.is(stats.profilesStarted, N);
  t.is(stats.windowsTimedOut, 0, 'no window waited out its deadline');
  t.true(stats.rotationsByInterrupt > 0, 'rotation ran while the loop held the thread');
  // 100 ms at 101 Hz holds about ten samples: every profile has two or more.
  t.is(stats.profilesTooShort, 0);
  t.is(stats.profilesSent, N);
  const profiles = ingest.payloads('profile');
  t.is(profiles.length, N);
  t.deepEqual(invalidEnvelopes(ingest, validateEnvelope), []);
  t.true(profiles.every((p) => p.profile.samples.length >= 2));
});

test.serial('a synchronous loop in continuous mode gives chunks of the configured length', async (t) => {
  init({
    dsn: ingest.dsn,
    _experiments: { profilerMode: 'continuous', continuousProfilingAutoStart: true, chunkDurationMs: 1000 },
  });
  spin(3600); // never yields: the JS timers of the old design could not cut here
  await stopProfiler();
  t.true(await close(20_000));
  const chunks = ingest.payloads('profile_chunk');
  t.true(chunks.length >= 4, `${chunks.length} chunks`);
  const spans = chunks
    .map((c) => c.profile.samples.map((s) => Number(s.timestamp)))
    .map((ts) => [Math.min(...ts), Math.max(...ts)])
    .sort((a, b) => a[0] - b[0]);
  // The first three are full chunks: 1 s of samples each, and each starts right after
  // the previous one ends. "Within" is the sampler's own largest gap inside a chunk (at
  // least 0.1 s): a loaded machine starves V8's sampler thread now and then, at a chunk's
  // edge as anywhere else.
  let largest = 0;
  for (const c of chunks) {
    const ts = c.profile.samples.map((x) => Number(x.timestamp)).sort((a, b) => a - b);
    for (let i = 1; i < ts.length; i++) largest = Math.max(largest, ts[i] - ts[i - 1]);
  }
  const slack = Math.max(0.1, largest);
  for (let i = 0; i < 3; i++) {
    const [lo, hi] = spans[i];
    t.true(
      hi - lo > 1.0 - 2 * slack && hi - lo <= 1.0,
      `chunk ${i} spans ${(hi - lo).toFixed(3)} s (largest gap ${largest.toFixed(3)} s)`,
    );
    const gap = spans[i + 1][0] - hi;
    t.true(gap > 0 && gap < slack + 1e-4, `gap after chunk ${i}: ${gap.toFixed(4)} s`);
  }
});

test.serial('sample counters add up exactly at every moment', async (t) => {
  const { configureSampler, getSamplerStats, openWindow, startSampling, stopSampling } = await import('../dist/sampler.js');
  configureSampler({ maxSamples: 40, rotationIntervalMs: 20 });
  startSampling(997);
  const window = openWindow();
  for (let i = 0; i < 300; i++) {
    spin(2);
    if (i % 3 === 0) await new Promise((r) => setImmediate(r));
    assertAccounting(t, getSamplerStats());
  }
  const profile = await window.close();
  stopSampling();
  const s = getSamplerStats();
  assertAccounting(t, s);
  t.true(s.samplesDroppedCapacity > 0, 'the tiny store dropped samples');
  t.true(profile.samples.length <= 40);
  configureSampler({ maxSamples: 250_000, rotationIntervalMs: 500 });
});

test.serial('a tiny memory budget resolves, counts its drops, and the process exits by itself', async (t) => {
  const { result } = await runChild('tiny-budget.mjs');
  const s = result.stats;
  t.is(s.enginePanics, 0);
  t.true(s.samplesDroppedCapacity > 0, `${s.samplesDroppedCapacity} dropped`);
  t.true(s.bytesHeld <= 1024 + 256, `${s.bytesHeld} bytes held`);
  assertAccounting(t, s);
});

test.serial('two copies of the package (ESM and CJS) both get every window', async (t) => {
  const { result } = await runChild('dual-package.mjs');
  t.is(result.results.length, 5);
  // Counts, not rates (idle: ~30 each): a loaded machine may deliver far fewer.
  for (const [a, b] of result.results) {
    t.true(a >= 2 && b >= 2, `samples ${a} / ${b}`);
  }
});

test.serial('a fault on the worker thread settles the waiting window, is counted, and sampling goes on', async (t) => {
  process.env.FERROPROF_FAULT_INJECTION = '1';
  let run;
  try {
    run = await runChild('worker-fault.mjs');
  } finally {
    delete process.env.FERROPROF_FAULT_INJECTION;
  }
  const { result, stderr } = run;
  t.regex(result.firstOutcome, /recovered from an internal fault/);
  t.is(result.stats.enginePanics, 1);
  t.true(result.secondSamples > 5, `${result.secondSamples} samples after recovery`);
  t.is(stderr.split('\n').filter((l) => l.includes('ferroprof: internal fault')).length, 1, 'logged once');
  assertAccounting(t, result.stats);
});

test.serial('no profiler call blocks the JS thread on a big warmed-up heap', async (t) => {
  const { result } = await runChild('big-heap.mjs', 60_000);
  t.true(result.heapMb >= 250, `heap ${result.heapMb.toFixed(0)} MB`);
  t.is(result.samplerStarts, 2, 'the linger ended and V8 profiling restarted');
  // Lazy code logging took 291 ms here for the first start and as much after a
  // linger; the goal is under 5 ms. The bound is generous for a loaded CI machine.
  for (const [call, ms] of Object.entries(result.calls)) t.true(ms < 100, `${call}: ${ms.toFixed(2)} ms`);
  t.true(result.jsNsMax < 100e6, `jsNsMax ${(result.jsNsMax / 1e6).toFixed(2)} ms`);
  t.log(
    Object.entries(result.calls)
      .map(([k, v]) => `${k} ${v.toFixed(2)} ms`)
      .join(', '),
  );
});

test.serial('transactions dropped unfinished close their windows; too-short ones cost the engine nothing', async (t) => {
  const { result } = await runChild('leaked-transactions.mjs');
  const s = result.stats;
  // A "short" transaction that the OS preempted past the two-sample spacing is closed
  // instead, rightly: on a loaded machine a few may be.
  t.true(s.windowsWithdrawn >= 0.9 * result.short, `${s.windowsWithdrawn} withdrawn of ${result.short} short`);
  t.is(s.windowsOpened, s.windowsClosed + s.windowsWithdrawn, 'every window closed or withdrawn');
  t.true(s.windowsClosed >= result.leaked, `${s.windowsClosed} closed`);
  t.is(result.sdk.profilesTooShort, result.short);
  t.is(result.sdk.transactionsSent, result.short + 1);
  assertAccounting(t, s);
});
