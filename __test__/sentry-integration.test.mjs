// ferroprof/sentry inside a real @sentry/node, 10.x and 11.x (devDependencies
// sentry-node-10 / sentry-node-11), each run in an application folder of its own (see
// helpers/sentry-app.mjs), sending to the local ingest. Every envelope that reaches the
// ingest is checked with validateEnvelope (Sentry's ingestion rules).
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

import { validateEnvelope } from '../dist/testing.js';
import { ferroprofIntegration, getProfilerStats } from '../dist/sentry.js';
import { invalidEnvelopes, samplesIn, startIngest } from './helpers/ingest.mjs';
import { SENTRY_MAJORS, root, runApp, sentryApp, sentryVersion } from './helpers/sentry-app.mjs';

/** Spans of 11.x streamed envelopes. */
function streamedSpans(ingest) {
  return ingest.items('span').flatMap((i) => i.json?.items ?? []);
}

function attr(span, key) {
  const a = span.attributes?.[key];
  return a && typeof a === 'object' && 'value' in a ? a.value : a;
}

/**
 * What the app sent, in one shape for both span models: `{ name, profilerId, threadId }`
 * per transaction (10.x, 11.x static) or per streamed span (11.x default).
 */
function linked(ingest) {
  const txns = ingest.payloads('transaction').map((t) => ({
    name: t.transaction,
    profilerId: t.contexts?.profile?.profiler_id,
    profileId: t.contexts?.profile?.profile_id,
    threadId: t.contexts?.trace?.data?.['thread.id'],
    threadName: t.contexts?.trace?.data?.['thread.name'],
    childThreadIds: (t.spans ?? []).map((s) => s.data?.['thread.id']),
  }));
  const spans = streamedSpans(ingest).map((s) => ({
    name: s.name,
    profilerId: attr(s, 'sentry.profiler_id'),
    threadId: attr(s, 'thread.id'),
    threadName: attr(s, 'thread.name'),
    childThreadIds: [],
  }));
  return [...txns, ...spans];
}

async function run(t, major, scenario, env = {}) {
  const ingest = await startIngest();
  t.teardown(() => ingest.close());
  const r = await runApp(major, 'app.cjs', { SCENARIO: scenario, DSN: ingest.dsn, ...env });
  t.is(r.signal, null, `the app was killed: ${r.stderr}`);
  t.is(r.code, 0, `the app failed:\n${r.stderr}\n${r.stdout}`);
  t.truthy(r.result, `no RESULT line:\n${r.stdout}\n${r.stderr}`);
  t.true(r.result.flushed, 'Sentry.flush() resolved true');
  t.true(r.result.core.same, "ferroprof/sentry loads the application's @sentry/core");
  t.is(r.result.core.version, sentryVersion(major));
  t.deepEqual(invalidEnvelopes(ingest, validateEnvelope), [], 'every envelope passes validateEnvelope');
  return { ingest, result: r.result, stderr: r.stderr, stdout: r.stdout };
}

const variants = [
  { major: 10, env: {}, label: '10.x' },
  { major: 11, env: {}, label: '11.x (streamed spans)' },
  { major: 11, env: { TRACE_LIFECYCLE: 'static' }, label: "11.x (traceLifecycle 'static')" },
];

test('the test runs both @sentry/node majors', (t) => {
  t.deepEqual(SENTRY_MAJORS, [10, 11]);
  for (const m of SENTRY_MAJORS) t.is(Number(sentryVersion(m).split('.')[0]), m);
});

test("the integration object has the incumbent's contract, and frequency is checked", (t) => {
  const integration = ferroprofIntegration();
  t.is(integration.name, 'ProfilingIntegration');
  t.is(typeof integration._profiler.start, 'function');
  t.is(typeof integration._profiler.stop, 'function');
  t.is(typeof integration.setup, 'function');
  t.is(typeof integration.processEvent, 'function');
  for (const bad of [0, 10_001, Number.NaN, -5, 'fast', Infinity]) {
    const err = t.throws(() => ferroprofIntegration({ frequency: bad }), { instanceOf: RangeError });
    t.regex(err.message, /between 1 and 10000 Hz/);
  }
  t.notThrows(() => ferroprofIntegration({ frequency: 1 }));
  t.notThrows(() => ferroprofIntegration({ frequency: 10_000 }));
  t.throws(() => ferroprofIntegration({ chunkDurationMs: 5 }), { instanceOf: RangeError, message: /chunkDurationMs/ });
  t.throws(() => ferroprofIntegration({ profileLifecycle: 'always' }), { instanceOf: RangeError, message: /profileLifecycle/ });
  const stats = getProfilerStats();
  t.is(stats.role, 'none');
  t.is(typeof stats.samplesCopied, 'number');
});

test.serial('a rate out of [0, 1] is reported once and treated as 0 (the session is not sampled)', (t) => {
  const hooks = new Map();
  const client = {
    getOptions: () => ({ profileSessionSampleRate: 5, environment: 'test' }),
    getDsn: () => undefined,
    getSdkMetadata: () => ({ sdk: { name: 'sentry.javascript.node', version: '0.0.0-test' } }),
    on: (hook, fn) => hooks.set(hook, fn),
    sendEnvelope: () => t.fail('nothing may be sent'),
  };
  const warnings = [];
  const original = console.warn;
  console.warn = (line) => warnings.push(String(line));
  try {
    const integration = ferroprofIntegration();
    integration.setup(client);
    integration._profiler.start();
    const stats = getProfilerStats();
    t.is(stats.role, 'host');
    t.false(stats.sessionSampled);
    t.false(stats.sessionRunning, 'an unsampled session does not start');
    integration._profiler.stop();
    hooks.get('close')();
  } finally {
    console.warn = original;
  }
  t.deepEqual(warnings, ['ferroprof: profileSessionSampleRate must be a number between 0 and 1, got 5; treating it as 0']);
  t.true(['spanStart', 'spanEnd', 'processSpan', 'beforeEnvelope', 'flush', 'close'].every((h) => hooks.has(h)));
});

for (const v of variants) {
  test.serial(`${v.label}: manual lifecycle with Sentry.profiler.startProfiler()/stopProfiler()`, async (t) => {
    const { ingest, result } = await run(t, v.major, 'manual', v.env);
    const chunks = ingest.payloads('profile_chunk');
    t.is(chunks.length, 1, 'one chunk: the session from start to stop');
    const chunk = chunks[0];
    t.true(
      samplesIn(chunk, 'busyManualFunction') >= 5,
      `${samplesIn(chunk, 'busyManualFunction')} samples in busyManualFunction`,
    );
    t.is(chunk.client_sdk.name, 'sentry.javascript.node');
    const byName = Object.fromEntries(linked(ingest).map((x) => [x.name, x]));
    t.is(byName['manual-root']?.profilerId, chunk.profiler_id, 'the root is linked to the chunk');
    if (v.major === 11 && !v.env.TRACE_LIFECYCLE)
      t.is(byName['manual-child']?.profilerId, chunk.profiler_id, 'streamed child spans carry sentry.profiler_id');
    t.is(byName['manual-root']?.threadId, '0');
    t.is(byName['manual-root']?.threadName, 'main');
    t.is(byName['after-stop']?.profilerId, undefined, 'a span after stopProfiler() is not linked');
    t.is(result.stats.chunksSent, 1);
    t.is(result.stats.role, 'host');
    t.is(result.stats.frequency, 101);
  });

  test.serial(`${v.label}: trace lifecycle with nested and overlapping root spans`, async (t) => {
    const { ingest, result } = await run(t, v.major, 'trace', v.env);
    const chunks = ingest.payloads('profile_chunk');
    t.true(chunks.length >= 2, `${chunks.length} chunks: one per run of root spans`);
    const profilerIds = new Set(chunks.map((c) => c.profiler_id));
    t.is(profilerIds.size, 1, 'one profiler_id for the session');
    const inAll = (name) => chunks.reduce((n, c) => n + samplesIn(c, name), 0);
    for (const name of ['busyRootA', 'busyAfterChild', 'busyRootB', 'busyRootC']) {
      t.true(inAll(name) >= 2, `${inAll(name)} samples in ${name}`);
    }
    // Between the end of the last root span and the next root span nothing is sampled.
    const { bEnd, cStart } = result.marks;
    const inGap = chunks
      .flatMap((c) => c.profile.samples)
      .filter((s) => s.timestamp > bEnd + 0.06 && s.timestamp < cStart - 0.06);
    t.is(inGap.length, 0, 'no samples while no sampled root span is active');
    t.is(inAll('busyUnsampledRoot'), 0, 'an unsampled root span does not start the profiler');
    const byName = Object.fromEntries(linked(ingest).map((x) => [x.name, x]));
    for (const name of ['root-a', 'root-b', 'root-c']) t.is(byName[name]?.profilerId, [...profilerIds][0], `${name} is linked`);
    if (v.major === 10 || v.env.TRACE_LIFECYCLE) {
      // As the incumbent: the chunk cut when the last root span ends goes out before its transaction.
      const order = result.envelopeOrder;
      for (const name of ['root-b', 'root-c']) {
        const at = order.indexOf(`transaction:${name}`);
        t.true(at > 0 && order[at - 1] === 'profile_chunk', `the chunk precedes ${name}: ${order.join(', ')}`);
      }
    }
  });

  test.serial(`${v.label}: an auto-instrumented node:http server, request spans linked to the chunks`, async (t) => {
    const { ingest } = await run(t, v.major, 'http', v.env);
    const chunks = ingest.payloads('profile_chunk');
    t.true(chunks.length >= 1);
    const profilerId = chunks[0].profiler_id;
    const total = chunks.reduce((n, c) => n + samplesIn(c, 'busyHttpHandler'), 0);
    t.true(total >= 4, `${total} samples in the request handler`);
    const requests = linked(ingest).filter((x) => /^GET\b/.test(x.name ?? ''));
    t.true(requests.length >= 8, `${requests.length} request spans or transactions`);
    for (const r of requests) {
      t.is(r.profilerId, profilerId, `${r.name} is linked`);
      t.is(r.threadId, '0');
    }
  });

  test.serial(`${v.label}: a worker that calls Sentry.init is a second thread of the same chunks`, async (t) => {
    const { ingest, result } = await run(t, v.major, 'worker', v.env);
    const [workerId] = result.workerThreadIds.map(String);
    t.not(workerId, '0');
    const chunks = ingest.payloads('profile_chunk');
    t.is(chunks.length, 1, 'the worker does not cut chunks of its own');
    const chunk = chunks[0];
    t.truthy(chunk.profile.thread_metadata[workerId], `thread ${workerId} is in the chunk`);
    t.truthy(chunk.profile.thread_metadata['0'], 'the main thread too');
    const { frames, stacks } = chunk.profile;
    const workerSamples = chunk.profile.samples.filter(
      (s) => s.thread_id === workerId && stacks[s.stack_id].some((f) => frames[f].function === 'busyWorkerFunction'),
    ).length;
    t.true(workerSamples >= 8, `${workerSamples} samples of the worker in busyWorkerFunction`);
    const byName = Object.fromEntries(linked(ingest).map((x) => [x.name, x]));
    t.is(byName['worker-root']?.profilerId, chunk.profiler_id, "the worker's root span is linked to the process session");
    t.is(byName['worker-root']?.threadId, workerId);
    t.is(byName['main-while-worker']?.profilerId, chunk.profiler_id);
  });
}

for (const v of variants) {
  test.serial(`${v.label}: trace lifecycle driven by a worker's root spans alone`, async (t) => {
    const { ingest, result } = await run(t, v.major, 'workerTrace', v.env);
    const [workerId] = result.workerThreadIds.map(String);
    const chunks = ingest.payloads('profile_chunk');
    t.true(chunks.length >= 1, 'the host ran the session while the worker asked for it');
    const inWorker = chunks.reduce((n, c) => {
      const { frames, stacks, samples } = c.profile;
      return (
        n +
        samples.filter(
          (s) => s.thread_id === workerId && stacks[s.stack_id].some((f) => frames[f].function === 'busyWorkerFunction'),
        ).length
      );
    }, 0);
    t.true(inWorker >= 5, `${inWorker} samples of the worker in busyWorkerFunction`);
    const byName = Object.fromEntries(linked(ingest).map((x) => [x.name, x]));
    t.is(byName['worker-root']?.profilerId, chunks[0].profiler_id, 'the worker root span is linked');
    t.is(result.stats.sessionRunning, false, "the session stopped when the worker's last root span ended");
  });
}

for (const [label, env] of [
  ['trace lifecycle', {}],
  ['profilesSampleRate', { WORKER_PROFILES: '1' }],
])
  test.serial(
    `10.x: a worker (${label}) whose main thread has no ferroprofIntegration() is not profiled, says so once, and its spans still arrive`,
    async (t) => {
      const { ingest, stderr, result } = await run(t, 10, 'workerNoHost', env);
      t.is(ingest.payloads('profile_chunk').length, 0);
      t.is(ingest.payloads('profile').length, 0);
      const lines = stderr.split('\n').filter((l) => l.includes('hosted by the main thread'));
      t.is(lines.length, 1, stderr);
      const worker = ingest.payloads('transaction').find((x) => x.transaction === 'worker-root');
      t.truthy(worker, 'the worker transaction was sent');
      t.is(worker.contexts.profile, undefined, 'and is not linked to any profile');
      t.is(result.stats.role, 'none');
    },
  );

for (const v of [variants[0], variants[2]]) {
  test.serial(`${v.label}: per-transaction profiles ride in their transaction's envelope`, async (t) => {
    const { ingest, result } = await run(t, v.major, 'txn', v.env);
    const profiled = ingest.envelopes().filter((e) => e.items.some((i) => i.header.type === 'profile'));
    t.is(profiled.length, 3, 'txn-0..2 are profiled; skip-me (sampler) and too-short are not');
    for (const e of profiled) {
      const txn = e.items.find((i) => i.header.type === 'transaction').json;
      const profile = e.items.find((i) => i.header.type === 'profile').json;
      t.regex(txn.transaction, /^txn-\d$/);
      t.is(profile.transaction.id, txn.event_id);
      t.is(profile.transaction.name, txn.transaction, "the profile carries the transaction's final name");
      t.is(profile.transaction.trace_id, txn.contexts.trace.trace_id);
      t.is(txn.contexts.profile.profile_id, profile.event_id);
      t.true(samplesIn(profile, 'busyTxnFunction') >= 3, `${samplesIn(profile, 'busyTxnFunction')} samples`);
    }
    const names = ingest
      .payloads('transaction')
      .map((x) => x.transaction)
      .sort();
    t.deepEqual(names, ['skip-me', 'too-short', 'txn-0', 'txn-1', 'txn-2']);
    t.is(result.stats.profilesSent, 3);
    t.is(result.stats.profilesTooShort, 1);
    t.is(result.stats.samplerStarts, 1, 'one sampler for every profile: no V8 start per transaction');
  });
}

for (const v of [variants[0], variants[2]]) {
  test.serial(
    `${v.label}: waiting keeps its profile and chunk (idle samples), debug_meta, preprocessEvent and [Profiling] lines`,
    async (t) => {
      const { ingest, result, stdout } = await run(t, v.major, 'idle', v.env);
      const DEBUG_ID = 'c941d872-af1f-4f0c-a7ff-ad3d295fe153';
      const image = { type: 'sourcemap', code_file: result.appFile, debug_id: DEBUG_ID };
      const idleSamples = (p) =>
        p.profile.samples.filter((s) => {
          const stack = p.profile.stacks[s.stack_id];
          return stack.length === 1 && p.profile.frames[stack[0]].function === '(idle)';
        }).length;
      const profiles = Object.fromEntries(ingest.payloads('profile').map((p) => [p.transaction.name, p]));
      t.deepEqual(
        Object.keys(profiles).sort(),
        ['only-waits', 'works-then-waits'],
        'a waiting transaction has its profile; too-short has none',
      );
      const waits = profiles['only-waits'];
      t.true(
        idleSamples(waits) >= 2 && idleSamples(waits) >= waits.profile.samples.length / 2,
        `${idleSamples(waits)} of ${waits.profile.samples.length} samples are (idle)`,
      );
      const works = profiles['works-then-waits'];
      t.true(samplesIn(works, 'busyTxnFunction') >= 2 && idleSamples(works) >= 2, 'the work and the wait');
      t.deepEqual(works.debug_meta, { images: [image] }, 'a sourcemap image for the file with a debug ID');
      t.deepEqual(result.preprocessed.sort(), ['only-waits', 'works-then-waits'], 'each profile went through preprocessEvent');
      const chunks = ingest.payloads('profile_chunk');
      t.is(chunks.length, 1, 'the session that mostly waited has its chunk');
      t.true(idleSamples(chunks[0]) >= 2, `${idleSamples(chunks[0])} idle samples in the chunk`);
      t.deepEqual(chunks[0].debug_meta, { images: [image] });
      t.true(
        stdout.includes('[Profiling] Discarding profile because it contains less than 2 samples'),
        "the incumbent's debug line",
      );
      t.is(result.stats.profilesSent, 2);
      t.is(result.stats.profilesTooShort, 1);
    },
  );
}

for (const major of SENTRY_MAJORS) {
  test.serial(`${major}.x: chunks of one session follow each other with no gap and no overlap`, async (t) => {
    const { ingest } = await run(t, major, 'chunks');
    const chunks = ingest
      .payloads('profile_chunk')
      .map((c) => c.profile.samples.map((s) => Number(s.timestamp)))
      .filter((ts) => ts.length > 0)
      .sort((a, b) => a[0] - b[0]);
    t.true(chunks.length >= 3, `${chunks.length} chunks of 300 ms over 1.2 s`);
    let maxInside = 0;
    for (const ts of chunks) for (let i = 1; i < ts.length; i++) maxInside = Math.max(maxInside, ts[i] - ts[i - 1]);
    for (let i = 1; i < chunks.length; i++) {
      const before = chunks[i - 1];
      const boundary = chunks[i][0] - before[before.length - 1];
      t.true(boundary > 0, `chunk ${i} starts after chunk ${i - 1} ends (no sample in two chunks)`);
      t.true(
        boundary <= Math.max(0.05, 1.5 * maxInside),
        `gap at boundary ${i}: ${(boundary * 1000).toFixed(1)} ms (largest inside a chunk ${(maxInside * 1000).toFixed(1)} ms)`,
      );
    }
  });
}

test.serial('10.x: the legacy continuous API: a second start() ends the running chunk and starts the next', async (t) => {
  const { ingest } = await run(t, 10, 'legacyRestart');
  const chunks = ingest.payloads('profile_chunk');
  t.is(chunks.length, 2, 'one chunk per start()');
  const [first, second] = [...chunks].sort((a, b) => a.profile.samples[0].timestamp - b.profile.samples[0].timestamp);
  t.true(
    samplesIn(first, 'busyManualFunction') >= 2 && samplesIn(first, 'busyRootA') === 0,
    'the first chunk ends at the second start()',
  );
  t.true(samplesIn(second, 'busyRootA') >= 2);
  t.not(first.profiler_id, second.profiler_id, "each start() begins a new profiler_id, as the incumbent's legacy API");
});

for (const v of variants.slice(1)) {
  test.serial(
    `${v.label}: no profiling option, no profile: start() is a no-op, as with nodeProfilingIntegration() on 11.x`,
    async (t) => {
      const { ingest, stdout, result } = await run(t, v.major, 'legacyRestart', v.env);
      t.is(ingest.payloads('profile_chunk').length, 0);
      t.false(result.stats.sessionSampled);
      t.true(stdout.includes('[Profiling] Profile session not sampled, no-op.'), "the incumbent's debug line");
    },
  );
}

test.serial('10.x: start()/stop() profile with no profiling option at all, as with nodeProfilingIntegration()', async (t) => {
  const { ingest } = await run(t, 10, 'legacyManual');
  const chunks = ingest.payloads('profile_chunk');
  t.is(chunks.length, 1);
  t.true(samplesIn(chunks[0], 'busyManualFunction') >= 4);
});

test.serial('10.x: the issue-20029 scenario, short: 4 workers, nested spans, allocation, 1001 Hz', async (t) => {
  const { ingest, result } = await run(t, 10, 'stress', { STRESS_MS: '1500', STRESS_HZ: '1001' });
  t.deepEqual(result.workerErrors, []);
  const chunks = ingest.payloads('profile_chunk');
  t.true(chunks.length >= 1);
  const threads = new Set(chunks.flatMap((c) => Object.keys(c.profile.thread_metadata)));
  for (const id of result.workerThreadIds.map(String)) t.true(threads.has(id), `worker thread ${id} is in the chunks`);
  t.is(result.stats.enginePanics, 0);
});

for (const major of SENTRY_MAJORS) {
  test.serial(`${major}.x: the integration type-checks in Sentry.init (strict TypeScript)`, (t) => {
    const app = sentryApp(major);
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(
      process.execPath,
      [
        tsc,
        '--noEmit',
        '--strict',
        '--skipLibCheck',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--target',
        'es2022',
        'types-check.ts',
      ],
      { cwd: app, encoding: 'utf8', timeout: 120_000 },
    );
    t.is(r.status, 0, `tsc:\n${r.stdout}${r.stderr}`);
  });
}
