import test from 'ava';

import { close, getProfilerStats, init, startTransaction } from '../dist/index.js';
import { openWindow } from '../dist/sampler.js';
import { validateEnvelope } from '../dist/testing.js';
import { busyWithYields, threadCpuMs } from './helpers/busy.mjs';
import { collectingTransport, itemsOfType } from './helpers/envelopes.mjs';

const HZ = 101;

test.serial('auto-started session: contiguous, valid chunks with one profiler id', async (t) => {
  const envelopes = [];
  const raw = [];
  const initAt = Date.now() / 1000;
  init({
    transport: collectingTransport(envelopes, raw),
    tracesSampleRate: 1,
    _experiments: {
      profilerMode: 'continuous',
      continuousProfilingAutoStart: true,
      chunkDurationMs: 1000,
      profilerSchedulerFrequency: HZ,
    },
  });
  // A raw window over the same sampler: the reference stream the chunks must cover.
  const reference = openWindow();
  const cpuBefore = threadCpuMs();
  await busyWithYields(3300, 10);
  const cpuS = (threadCpuMs() - cpuBefore) / 1000;
  const txn = startTransaction({ name: 'during-session', op: 'test' });
  await busyWithYields(50, 5);
  txn.finish();
  const raw_ = await reference.close();
  t.true(await close(5000));

  for (const bytes of raw) t.notThrows(() => validateEnvelope(bytes), "every envelope passes Sentry's rules");
  const chunks = itemsOfType(envelopes, 'profile_chunk').map((i) => i.payload);
  t.true(chunks.length >= 3, `${chunks.length} chunks`);
  t.is(new Set(chunks.map((c) => c.profiler_id)).size, 1, 'one profiler_id for the session');
  t.is(new Set(chunks.map((c) => c.chunk_id)).size, chunks.length, 'a new chunk_id per chunk');

  const mainSamples = (c) => c.profile.samples.filter((s) => s.thread_id === '0').map((s) => s.timestamp);
  chunks.sort((a, b) => mainSamples(a)[0] - mainSamples(b)[0]);
  // Contiguous: every sample the sampler took while the reference window was open is
  // in exactly one chunk (timestamps agree to the microsecond: one clock anchor).
  const chunked = chunks.flatMap(mainSamples).sort((a, b) => a - b);
  const refTimes = raw_.samples
    .filter((s) => s.threadId === 0)
    .map((s) => raw_.startUnixMs / 1000 + (s.tsNs - raw_.startNs) / 1e9);
  // At init, not at the first transaction 3.3 s later: the session's first sample is no
  // later than that of the window opened right after init (however late a loaded
  // machine lets V8's sampler thread tick first).
  const began = mainSamples(chunks[0])[0];
  t.true(
    began >= initAt - 1e-3 && began <= refTimes[0] + 2e-6,
    `the session began at init (first sample ${((began - initAt) * 1000).toFixed(0)} ms after it, the window's ${((refTimes[0] - initAt) * 1000).toFixed(0)} ms)`,
  );
  let j = 0;
  let missing = 0;
  for (const ts of refTimes) {
    while (j < chunked.length && chunked[j] < ts - 2e-6) j++;
    if (j < chunked.length && Math.abs(chunked[j] - ts) <= 2e-6) j++;
    else missing++;
  }
  // Enough reference samples to span the chunks: 101 Hz over the thread's CPU time, less
  // a half for a loaded machine (idle: ~330 over 3.3 s).
  t.true(
    refTimes.length >= Math.max(30, 0.5 * HZ * cpuS),
    `${refTimes.length} reference samples over ${cpuS.toFixed(2)} s of CPU`,
  );
  // A chunk with fewer than two samples (a starved sampler on a loaded machine) is
  // refused by Sentry's rules and counted as too short, not sent: its one sample is
  // the only one that may be missing.
  const tooShort = getProfilerStats().chunksTooShort;
  t.true(missing <= tooShort, `${missing} samples lost between chunks (${tooShort} chunks too short)`);
  t.is(new Set(chunked.map((x) => x.toFixed(6))).size, chunked.length, 'no sample in two chunks');
  // And at the boundaries the gap is that of the sampler itself: ≤ 2 intervals when it
  // keeps its rate, never more than the largest gap of the reference stream (the same
  // sampler, not chunked). A loaded machine can deschedule V8's sampler thread for tens
  // of ms at any moment, a chunk boundary included; samples lost *by chunking* are what
  // the check of the reference samples above counts.
  const interval = 1 / HZ;
  let largestInReference = 0;
  for (let i = 1; i < refTimes.length; i++) largestInReference = Math.max(largestInReference, refTimes[i] - refTimes[i - 1]);
  for (let i = 1; i < chunks.length; i++) {
    const prev = mainSamples(chunks[i - 1]);
    const next = mainSamples(chunks[i]);
    const gap = next[0] - prev[prev.length - 1];
    t.true(gap > 0, 'chunks do not overlap');
    t.true(
      gap <= Math.max(2 * interval, largestInReference) + 1e-4,
      `gap between chunks ${(gap * 1000).toFixed(1)} ms, the reference's largest ${(largestInReference * 1000).toFixed(1)} ms`,
    );
  }

  const event = itemsOfType(envelopes, 'transaction')[0].payload;
  t.is(event.contexts.profile.profiler_id, chunks[0].profiler_id);
  t.is(event.contexts.profile.profile_id, undefined, 'never both a profile and a profiler id');
  t.is(event.contexts.trace.data['thread.id'], '0');
});

test.serial('the session exposes its numbers in getProfilerStats', async (t) => {
  const envelopes = [];
  init({ transport: collectingTransport(envelopes), _experiments: { chunkDurationMs: 500 } });
  const { startProfiler, stopProfiler } = await import('../dist/index.js');
  startProfiler();
  startProfiler(); // a second call is a no-op
  await busyWithYields(700, 10);
  const during = getProfilerStats();
  t.true(during.sessionRunning);
  t.truthy(during.profilerId);
  await stopProfiler();
  t.true(await close(3000));
  const after = getProfilerStats() ?? during;
  t.true(after.rotations >= 1);
  t.true(itemsOfType(envelopes, 'profile_chunk').length >= 2);
  t.is(new Set(itemsOfType(envelopes, 'profile_chunk').map((i) => i.payload.profiler_id)).size, 1);
});
