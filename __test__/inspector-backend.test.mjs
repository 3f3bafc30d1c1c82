// The node:inspector fallback backend, forced with FERROPROF_BACKEND=inspector on a
// Node that has a native binary, so that its output can be checked with the native
// validator (Sentry's ingestion rules) in the same process.
import test from 'ava';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

process.env.FERROPROF_BACKEND = 'inspector';
const { close, flush, getProfilerStats, init, startProfiler, startTransaction, stopProfiler } = await import('../dist/index.js');
const { openWindow, profilerBackend, startSampling, stopSampling } = await import('../dist/sampler.js');
// The loader is private (dist/internal.js): the test reaches the native addon directly.
const { loadNativeBinding } = await import('../dist/internal.js');
const { invalidEnvelopes, samplesIn, startIngest, tick } = await import('./helpers/ingest.mjs');
const { cpuBudget } = await import('./helpers/busy.mjs');

// The validator of the native addon (loaded directly; the backend stays the fallback).
const nativeValidate = (bytes, gzip) => loadNativeBinding().validateEnvelope(bytes, gzip);

// On the thread's CPU time: a loaded machine still gives it its samples.
function inspectorHotFunction(ms) {
  const more = cpuBudget(ms);
  let x = 0;
  while (more()) for (let i = 0; i < 1e4; i++) x = (x * 31 + i) | 0;
  return x;
}

async function hotWithYields(totalMs) {
  const end = performance.now() + totalMs;
  while (performance.now() < end) {
    inspectorHotFunction(10);
    await tick();
  }
}

test.afterEach.always(async () => {
  await close(1000);
});

test.serial('the low-level API profiles a named function through node:inspector', async (t) => {
  t.deepEqual(profilerBackend(), { backend: 'inspector', reason: 'FERROPROF_BACKEND=inspector' });
  startSampling(101);
  const w = openWindow();
  inspectorHotFunction(300);
  const p = await w.close();
  stopSampling();
  const hot = p.frames.findIndex((f) => f.function === 'inspectorHotFunction');
  t.true(hot >= 0, 'the function is a frame');
  const source = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
  const first = source.findIndex((l) => l.startsWith('function inspectorHotFunction')) + 1;
  t.like(p.frames[hot], { abs_path: fileURLToPath(import.meta.url), in_app: true });
  // As a leaf, the function's frames carry the lines its samples executed (its loop).
  const hotIds = new Set(p.frames.flatMap((f, i) => (f.function === 'inspectorHotFunction' ? [i] : [])));
  const loop = first + 3;
  const leafLines = p.samples
    .map((s) => p.stacks[s.stackId][0])
    .filter((f) => hotIds.has(f))
    .map((f) => p.frames[f].lineno);
  t.true(leafLines.filter((l) => l === loop).length > leafLines.length / 2, `leaf lines ${leafLines} mostly ${loop}`);
  const inStacks = p.samples.filter((s) => p.stacks[s.stackId].some((f) => hotIds.has(f))).length;
  t.true(inStacks >= 5, `${inStacks} of ${p.samples.length} samples at 101 Hz over 300 ms`);
  t.true(
    p.samples.every((s) => s.tsNs >= p.startNs && s.tsNs <= p.endNs),
    'samples inside the window',
  );
  t.true(
    p.samples.every((s, i) => i === 0 || s.tsNs > p.samples[i - 1].tsNs),
    'strictly increasing',
  );
  t.true(Math.abs(p.startUnixMs - (Date.now() - (p.endNs - p.startNs) / 1e6)) < 1000, 'wall clock of the start');
});

test.serial("transaction profiles from the SDK pass Sentry's ingestion rules", async (t) => {
  const ingest = await startIngest();
  try {
    init({ dsn: ingest.dsn, tracesSampleRate: 1, profilesSampleRate: 1 });
    for (let i = 0; i < 3; i++) {
      const txn = startTransaction({ name: `inspector-txn-${i}`, op: 'task' });
      inspectorHotFunction(120);
      txn.finish();
    }
    t.true(await flush(5000));
    t.deepEqual(invalidEnvelopes(ingest, nativeValidate), []);
    const profiles = ingest.payloads('profile');
    t.is(profiles.length, 3);
    for (const p of profiles) t.true(samplesIn(p, 'inspectorHotFunction') >= 3, 'the function is in each profile');
    t.is(getProfilerStats().backend, 'inspector');
  } finally {
    await close(1000);
    await ingest.close();
  }
});

test.serial('continuous chunks pass the rules and are contiguous', async (t) => {
  const ingest = await startIngest();
  try {
    init({
      dsn: ingest.dsn,
      tracesSampleRate: 1,
      profilesSampleRate: 1,
      _experiments: { profilerMode: 'continuous', chunkDurationMs: 300 },
    });
    startProfiler();
    // A raw window over the same sampler: the reference stream the chunks must cover.
    const reference = openWindow();
    await hotWithYields(1500);
    const ref = await reference.close();
    stopProfiler();
    t.true(await flush(5000));
    t.deepEqual(invalidEnvelopes(ingest, nativeValidate), []);
    const chunks = ingest.payloads('profile_chunk');
    t.true(chunks.length >= 3, `${chunks.length} chunks`);
    t.is(new Set(chunks.map((c) => c.profiler_id)).size, 1);
    t.is(new Set(chunks.map((c) => c.chunk_id)).size, chunks.length, 'a new chunk_id per chunk');
    const times = chunks.map((c) => c.profile.samples.map((s) => s.timestamp)).sort((a, b) => a[0] - b[0]);
    // Contiguous: every sample of the reference window is in exactly one chunk
    // (timestamps agree to the microsecond: one clock anchor).
    const chunked = times.flat().sort((a, b) => a - b);
    t.is(new Set(chunked.map((x) => x.toFixed(6))).size, chunked.length, 'no sample in two chunks');
    // Idle samples are left out: Sentry's rules drop them at a chunk's edges, so one
    // that lands on a cut (a yield at the boundary) is in the reference only.
    const refTimes = ref.samples
      .filter((s) => ref.stacks[s.stackId].length > 0)
      .map((s) => ref.startUnixMs / 1000 + (s.tsNs - ref.startNs) / 1e9);
    let j = 0;
    let missing = 0;
    for (const ts of refTimes) {
      while (j < chunked.length && chunked[j] < ts - 2e-6) j++;
      if (j < chunked.length && Math.abs(chunked[j] - ts) <= 2e-6) j++;
      else missing++;
    }
    t.true(refTimes.length > 10, `${refTimes.length} reference samples`);
    // A chunk with fewer than two samples (a starved sampler on a loaded machine) is
    // refused by Sentry's rules and counted as too short, not sent: its one sample is
    // the only one that may be missing.
    const tooShort = getProfilerStats().chunksTooShort;
    t.true(missing <= tooShort, `${missing} samples lost between chunks (${tooShort} chunks too short)`);
    // Chunks are cut at exact multiples of the period: each spans at most 300 ms.
    for (const ts of times) {
      const span = ts.at(-1) - ts[0];
      t.true(span <= 0.301, `a chunk spans ${(span * 1000).toFixed(1)} ms`);
    }
    t.true(chunks.some((c) => samplesIn(c, 'inspectorHotFunction') > 0));
  } finally {
    await close(1000);
    await ingest.close();
  }
});

// One engine: the fallback's `validateEnvelope` is crates/core's validator compiled to
// WebAssembly, and says what the native one says of good and bad envelopes. (That its
// payloads are the native engine's, byte for byte, is __test__/wasm-engine.test.mjs.)
test.serial('local mode writes envelopes that pass the rules, by the native and the fallback validator', async (t) => {
  const { validateEnvelope } = await import('../dist/testing.js');
  // As JSON: the addon's objects may carry `undefined` fields the module leaves out.
  const outcome = (fn) => {
    try {
      return { ok: JSON.parse(JSON.stringify(fn())) };
    } catch (err) {
      return { error: err.message };
    }
  };
  const dir = mkdtempSync(join(tmpdir(), 'ferroprof-inspector-local-'));
  init({ tracesSampleRate: 1, profilesSampleRate: 1, localDir: dir });
  const txn = startTransaction({ name: 'inspector-local', op: 'task' });
  inspectorHotFunction(150);
  txn.finish();
  t.true(await close(5000));
  const files = readdirSync(dir).filter((f) => f.endsWith('.envelope'));
  t.true(files.length >= 1, `files: ${readdirSync(dir).join(', ')}`);
  let profiles = 0;
  for (const f of files) {
    const bytes = readFileSync(join(dir, f));
    const summary = nativeValidate(bytes, false);
    profiles += summary.items.filter((i) => i.itemType === 'profile').length;
    t.deepEqual(
      outcome(() => validateEnvelope(bytes, false)),
      outcome(() => summary),
      f,
    );
  }
  t.is(profiles, 1);
  const bad = Buffer.from('{}\n{"type":"profile","length":2}\n{}\n');
  const fromFallback = outcome(() => validateEnvelope(bad, false));
  t.truthy(fromFallback.error, 'a bad envelope is refused');
  t.deepEqual(
    fromFallback,
    outcome(() => nativeValidate(bad, false)),
  );
});

test.serial('two copies of the package (ESM and CJS) share one inspector backend and get every window', (t) => {
  const fixture = fileURLToPath(new URL('./fixtures/data-path/dual-package.mjs', import.meta.url));
  const child = spawnSync(process.execPath, [fixture], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, FERROPROF_BACKEND: 'inspector' },
  });
  t.is(child.status, 0, child.stderr);
  const { results } = JSON.parse(child.stdout.trim().split('\n').pop());
  t.is(results.length, 5);
  // Counts, not rates (idle: ~30 each): a loaded machine may deliver far fewer.
  for (const [a, b] of results) t.true(a >= 2 && b >= 2, `samples ${a} / ${b}`);
  t.is(child.stderr.split('\n').filter((l) => l.includes('inspector backend')).length, 1, child.stderr);
});
