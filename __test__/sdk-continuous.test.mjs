// Continuous profiling with auto-start (Python's profiler_mode="continuous",
// continuous_profiling_auto_start=True) against a real local ingest.
import test from 'ava';

import { close, flush, getProfilerStats, init, startProfiler, startTransaction } from '../dist/index.js';
import { validateEnvelope } from '../dist/testing.js';
import { invalidEnvelopes, samplesIn, startIngest, tick } from './helpers/ingest.mjs';

function continuousWorkload(ms) {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x += Math.cbrt(x + 3);
  return x;
}

async function workWithYields(totalMs) {
  const end = performance.now() + totalMs;
  while (performance.now() < end) {
    continuousWorkload(10);
    await tick();
  }
}

let ingest;
test.beforeEach(async () => {
  ingest = await startIngest();
});
test.afterEach.always(async () => {
  await close(1000);
  await ingest.close();
});

test.serial('auto-start: chunks arrive without startProfiler(); transactions carry the profiler_id', async (t) => {
  init({
    dsn: ingest.dsn,
    tracesSampleRate: 1.0,
    profilesSampleRate: 1.0,
    _experiments: { profilerMode: 'continuous', continuousProfilingAutoStart: true, chunkDurationMs: 300 },
  });
  t.true(getProfilerStats().sessionRunning, 'init started the session');
  const started = Date.now();
  // The first chunk is cut by the session's own timer, while the app just works.
  const work = workWithYields(1500);
  await ingest.waitFor((i) => i.items('profile_chunk').length >= 1, 5000, 'a profile_chunk');
  const firstAfter = Date.now() - started;
  t.true(firstAfter < 1500, `first chunk after ${firstAfter} ms with chunkDurationMs 300`);
  const txn = startTransaction({ name: 'during_auto_session', op: 'task' });
  continuousWorkload(50);
  txn.finish();
  await work;
  t.true(await flush(3000));

  t.deepEqual(invalidEnvelopes(ingest, validateEnvelope), []);
  const chunks = ingest.payloads('profile_chunk');
  t.true(chunks.length >= 3, `${chunks.length} chunks`);
  const ids = new Set(chunks.map((c) => c.profiler_id));
  t.is(ids.size, 1, 'one profiler_id');
  t.true(
    chunks.some((c) => samplesIn(c, 'continuousWorkload') > 0),
    'the workload is in the chunks',
  );
  const [event] = ingest.payloads('transaction');
  t.is(event.contexts.profile.profiler_id, [...ids][0], 'the transaction points at the session');
  t.is(event.contexts.profile.profile_id, undefined);
  t.is(event.contexts.trace.data['thread.id'], '0');
  t.is(ingest.items('profile').length, 0, 'no transaction profile in continuous mode');
});

test.serial('continuous mode without auto-start: nothing is profiled until startProfiler()', async (t) => {
  init({
    dsn: ingest.dsn,
    tracesSampleRate: 1.0,
    profilesSampleRate: 1.0,
    _experiments: { profilerMode: 'continuous', chunkDurationMs: 200 },
  });
  t.false(getProfilerStats().sessionRunning);
  const before = startTransaction({ name: 'before_session', op: 'task' });
  await workWithYields(400);
  before.finish();
  t.true(await flush(3000));
  t.is(ingest.items('profile_chunk').length, 0);
  t.is(ingest.items('profile').length, 0);
  t.is(ingest.payloads('transaction')[0].contexts.profile, undefined);

  startProfiler();
  await workWithYields(300);
  await close(3000);
  t.true(ingest.items('profile_chunk').length >= 1);
  t.deepEqual(invalidEnvelopes(ingest, validateEnvelope), []);
});
