// The incumbent beside ferroprof: each scenario of __test__/fixtures/sentry/app.cjs runs
// once with @sentry/profiling-node's nodeProfilingIntegration() and once with
// ferroprofIntegration(), in the same application folder (the @sentry/node the incumbent
// pins, devDependencies sentry-profiling-node-10 / -11) against a local ingest. What users
// rely on is compared by structure and rules (which items arrive, in which order, which
// spans link to which chunk, idle samples, debug images), never by exact sample counts.
// Where ferroprof deliberately differs, the test shows both sides (docs/SENTRY.md).
import test from 'ava';

import { validateEnvelope } from '../dist/testing.js';
import { invalidEnvelopes, samplesIn, startIngest } from './helpers/ingest.mjs';
import { incumbentVersions, runApp } from './helpers/sentry-app.mjs';

const IMPLS = ['incumbent', 'ferroprof'];
const DEBUG_ID = 'c941d872-af1f-4f0c-a7ff-ad3d295fe153';
// 11.x as transactions: the incumbent links only transactions (it has no processSpan hook).
const ENV = { 10: {}, 11: { TRACE_LIFECYCLE: 'static' } };

async function runWith(t, impl, major, scenario, env = {}) {
  const ingest = await startIngest();
  t.teardown(() => ingest.close());
  const r = await runApp(
    major,
    'app.cjs',
    { SCENARIO: scenario, DSN: ingest.dsn, INTEGRATION: impl, ...ENV[major], ...env },
    { incumbent: true },
  );
  t.is(r.signal, null, `${impl}: the app was killed: ${r.stderr}`);
  t.is(r.code, 0, `${impl}: the app failed:\n${r.stderr}\n${r.stdout}`);
  t.truthy(r.result, `${impl}: no RESULT line:\n${r.stdout}\n${r.stderr}`);
  t.true(r.result?.flushed, `${impl}: Sentry.flush() resolved true`);
  t.deepEqual(invalidEnvelopes(ingest, validateEnvelope), [], `${impl}: every envelope passes validateEnvelope`);
  return { impl, ingest, result: r.result ?? {}, stdout: r.stdout, stderr: r.stderr };
}

/** Runs `scenario` with each integration in turn; `{ incumbent, ferroprof }`. */
async function both(t, major, scenario, env) {
  const runs = {};
  for (const impl of IMPLS) runs[impl] = await runWith(t, impl, major, scenario, env);
  return runs;
}

/** Asserts that `observe(run)` is `expected` for both integrations. */
function sameAs(t, runs, observe, expected) {
  for (const impl of IMPLS)
    t.deepEqual(observe(runs[impl]), expected, `${impl} (incumbent: ${JSON.stringify(observe(runs.incumbent))})`);
}

/** `{ name → { profilerId, threadId, threadName } }` of the transactions that arrived. */
function transactions(run) {
  return Object.fromEntries(
    run.ingest.payloads('transaction').map((x) => [
      x.transaction,
      {
        profilerId: x.contexts?.profile?.profiler_id,
        profileId: x.contexts?.profile?.profile_id,
        threadId: x.contexts?.trace?.data?.['thread.id'],
        threadName: x.contexts?.trace?.data?.['thread.name'],
      },
    ]),
  );
}

/** Chunks in the order of their first sample. */
function chunksOf(run) {
  return run.ingest
    .payloads('profile_chunk')
    .filter((c) => c.profile.samples.length > 0)
    .sort((a, b) => Number(a.profile.samples[0].timestamp) - Number(b.profile.samples[0].timestamp));
}

/** Samples whose leaf frame is `(idle)` (the incumbent's stack goes on to `(root)`, ferroprof's does not). */
function idleSamples(p) {
  const { samples, stacks, frames } = p.profile;
  return samples.filter((s) => frames[stacks[s.stack_id][0]]?.function === '(idle)').length;
}

/** The chunk that holds `fn`'s samples, if exactly one does. */
function chunkWith(chunks, fn) {
  const holding = chunks.filter((c) => samplesIn(c, fn) > 0);
  return holding.length === 1 ? holding[0] : undefined;
}

test('the incumbent runs on the @sentry/node it pins, one copy of each major', (t) => {
  for (const major of [10, 11]) {
    const v = incumbentVersions(major);
    t.is(Number(v.incumbent.split('.')[0]), major);
    t.is(v.node, v.incumbent, '@sentry/profiling-node pins @sentry/node exactly');
    t.is(v.core, v.incumbent);
  }
});

for (const major of [10, 11]) {
  test.serial(`${major}.x: manual lifecycle, side by side`, async (t) => {
    const runs = await both(t, major, 'manual');
    sameAs(
      t,
      runs,
      (run) => {
        const chunks = chunksOf(run);
        const txn = transactions(run);
        return {
          chunks: chunks.length,
          busy: chunks.length === 1 && samplesIn(chunks[0], 'busyManualFunction') >= 5,
          threads: chunks.flatMap((c) => Object.keys(c.profile.thread_metadata)),
          rootLinked: txn['manual-root']?.profilerId !== undefined && txn['manual-root'].profilerId === chunks[0]?.profiler_id,
          rootThread: [txn['manual-root']?.threadId, txn['manual-root']?.threadName],
        };
      },
      { chunks: 1, busy: true, threads: ['0'], rootLinked: true, rootThread: ['0', 'main'] },
    );
    // Deliberate difference: the incumbent puts its profiler_id on every transaction
    // after init (a global scope context), ferroprof only on those a session covers.
    t.is(transactions(runs.incumbent)['after-stop']?.profilerId, chunksOf(runs.incumbent)[0]?.profiler_id);
    t.is(transactions(runs.ferroprof)['after-stop']?.profilerId, undefined);
  });

  test.serial(`${major}.x: trace lifecycle, side by side`, async (t) => {
    const runs = await both(t, major, 'trace');
    sameAs(
      t,
      runs,
      (run) => {
        const chunks = chunksOf(run);
        const ids = new Set(chunks.map((c) => c.profiler_id));
        const inAll = (fn) => chunks.reduce((n, c) => n + samplesIn(c, fn), 0);
        const txn = transactions(run);
        // Client reports aside, the item handed to the transport just before the transaction.
        const order = (run.result.transportOrder ?? []).filter((x) => x !== 'client_report');
        const chunkBefore = (name) => order[order.indexOf(`transaction:${name}`) - 1] === 'profile_chunk';
        return {
          severalChunks: chunks.length >= 2,
          profilerIds: ids.size,
          busy: ['busyRootA', 'busyAfterChild', 'busyRootB', 'busyRootC'].filter((fn) => inAll(fn) < 2),
          rootsLinked: ['root-a', 'root-b', 'root-c'].filter((n) => txn[n]?.profilerId === [...ids][0]),
          chunkBeforeItsTransaction: ['root-b', 'root-c'].filter(chunkBefore),
        };
      },
      {
        severalChunks: true,
        profilerIds: 1,
        busy: [],
        rootsLinked: ['root-a', 'root-b', 'root-c'],
        chunkBeforeItsTransaction: ['root-b', 'root-c'],
      },
    );
    // Deliberate difference: the incumbent counts every span, unsampled root spans too, so
    // it profiles while only an unsampled root span runs; ferroprof follows sampled root
    // spans only, and nothing is sampled between them.
    const unsampled = (run) => chunksOf(run).reduce((n, c) => n + samplesIn(c, 'busyUnsampledRoot'), 0);
    t.true(unsampled(runs.incumbent) > 0, 'the incumbent profiles an unsampled root span');
    t.is(unsampled(runs.ferroprof), 0, 'ferroprof does not');
    const { bEnd, cStart } = runs.ferroprof.result.marks ?? {};
    const inGap = chunksOf(runs.ferroprof)
      .flatMap((c) => c.profile.samples)
      .filter((s) => s.timestamp > bEnd + 0.06 && s.timestamp < cStart - 0.06);
    t.is(inGap.length, 0, 'ferroprof samples nothing while no sampled root span runs');
  });

  test.serial(`${major}.x: an auto-instrumented node:http server, side by side`, async (t) => {
    const runs = await both(t, major, 'http');
    sameAs(
      t,
      runs,
      (run) => {
        const chunks = chunksOf(run);
        const ids = new Set(chunks.map((c) => c.profiler_id));
        const requests = Object.entries(transactions(run)).filter(([name]) => /^GET\b/.test(name));
        return {
          chunks: chunks.length >= 1,
          profilerIds: ids.size,
          handlerSampled: chunks.reduce((n, c) => n + samplesIn(c, 'busyHttpHandler'), 0) >= 4,
          requests: requests.length >= 8,
          unlinked: requests.filter(([, x]) => !ids.has(x.profilerId) || x.threadId !== '0').map(([n]) => n),
        };
      },
      { chunks: true, profilerIds: 1, handlerSampled: true, requests: true, unlinked: [] },
    );
  });

  test.serial(`${major}.x: a session that mostly waits keeps its chunk, idle samples and debug_meta, side by side`, async (t) => {
    const runs = await both(t, major, 'idleSession');
    sameAs(
      t,
      runs,
      (run) => {
        const chunks = chunksOf(run);
        return {
          chunks: chunks.length,
          idle: chunks.length === 1 && idleSamples(chunks[0]) >= 2,
          busy: chunks.length === 1 && samplesIn(chunks[0], 'busyManualFunction') >= 1,
          debugMeta: chunks[0]?.debug_meta,
        };
      },
      {
        chunks: 1,
        idle: true,
        busy: true,
        debugMeta: { images: [{ type: 'sourcemap', code_file: runs.ferroprof.result.appFile, debug_id: DEBUG_ID }] },
      },
    );
  });
}

test.serial('10.x: per-transaction profiles of transactions that wait, side by side', async (t) => {
  // Each transaction is sent before the next starts (see the next test for why).
  const runs = await both(t, 10, 'idleTxn', { FLUSH_BETWEEN: '1' });
  sameAs(
    t,
    runs,
    (run) => {
      const envelopes = run.ingest.envelopes().filter((e) => e.items.some((i) => i.header.type === 'profile'));
      const profiles = Object.fromEntries(
        envelopes.map((e) => {
          const txn = e.items.find((i) => i.header.type === 'transaction')?.json;
          const profile = e.items.find((i) => i.header.type === 'profile').json;
          return [
            txn?.transaction,
            {
              profile,
              linked: txn?.contexts?.profile?.profile_id === undefined || txn.contexts.profile.profile_id === profile.event_id,
            },
          ];
        }),
      );
      const waits = profiles['only-waits']?.profile;
      const works = profiles['works-then-waits']?.profile;
      // 'too-short' (1 ms) is left out: V8 often takes two samples as the incumbent starts
      // a profile, so its profile of a 1 ms transaction may be kept (ferroprof's discard of
      // it is checked in sentry-integration.test.mjs).
      delete profiles['too-short'];
      return {
        profiled: Object.keys(profiles).sort(),
        inItsTransactionsEnvelope: Object.values(profiles).every((p) => p.linked && p.profile.transaction?.name !== undefined),
        waitsIsIdle: waits !== undefined && idleSamples(waits) >= 2,
        worksHasBoth: works !== undefined && samplesIn(works, 'busyTxnFunction') >= 2 && idleSamples(works) >= 2,
        debugMeta: works?.debug_meta,
        preprocessed: [...(run.result.preprocessed ?? [])].filter((n) => n !== 'too-short').sort(),
        transactions: run.ingest
          .payloads('transaction')
          .map((x) => x.transaction)
          .sort(),
      };
    },
    {
      profiled: ['only-waits', 'works-then-waits'],
      inItsTransactionsEnvelope: true,
      waitsIsIdle: true,
      worksHasBoth: true,
      debugMeta: { images: [{ type: 'sourcemap', code_file: runs.ferroprof.result.appFile, debug_id: DEBUG_ID }] },
      preprocessed: ['only-waits', 'works-then-waits'],
      transactions: ['only-waits', 'too-short', 'works-then-waits'],
    },
  );
});

test.serial(
  '10.x: transactions one after another in one async function: ferroprof gives each its own profile, the incumbent does not',
  async (t) => {
    const runs = await both(t, 10, 'idleTxn');
    const profiled = (run) =>
      run.ingest
        .envelopes()
        .filter((e) => e.items.some((i) => i.header.type === 'profile'))
        .map((e) => [
          e.items.find((i) => i.header.type === 'transaction')?.json?.transaction,
          e.items.find((i) => i.header.type === 'profile').json.transaction?.name,
        ]);
    t.deepEqual(profiled(runs.ferroprof).sort(), [
      ['only-waits', 'only-waits'],
      ['works-then-waits', 'works-then-waits'],
    ]);
    // The incumbent looks a transaction's profile up by the profile_id of the isolation scope
    // when the event is processed, after the next transaction has set its own: the first
    // transaction finds no profile (and the next ones another's).
    t.false(
      profiled(runs.incumbent).some(([txn]) => txn === 'only-waits'),
      JSON.stringify(profiled(runs.incumbent)),
    );
  },
);

/** Two runs of the legacy API: `first` only in the first chunk, `second` in the second, two ids. */
function twoRuns(run, first, second) {
  const chunks = chunksOf(run);
  return {
    chunks: chunks.length,
    first: chunks.length === 2 && samplesIn(chunks[0], first) >= 2 && samplesIn(chunks[0], second) === 0,
    second: chunks.length === 2 && samplesIn(chunks[1], second) >= 2,
    profilerIds: new Set(chunks.map((c) => c.profiler_id)).size,
  };
}
const TWO_RUNS = { chunks: 2, first: true, second: true, profilerIds: 2 };

test.serial('10.x: the legacy API: a second start() ends the chunk and starts a new profiler_id, side by side', async (t) => {
  const runs = await both(t, 10, 'legacyRestart');
  sameAs(t, runs, (run) => twoRuns(run, 'busyManualFunction', 'busyRootA'), TWO_RUNS);
});

test.serial('10.x: the legacy API: stop() then start() begins a new profiler_id, side by side', async (t) => {
  const runs = await both(t, 10, 'legacyStopStart');
  sameAs(t, runs, (run) => twoRuns(run, 'busyRootA', 'busyRootB'), TWO_RUNS);
  const links = (run) => {
    const chunks = chunksOf(run);
    const txn = transactions(run);
    const idOf = (fn) => chunkWith(chunks, fn)?.profiler_id;
    return {
      first: txn['first-run']?.profilerId === idOf('busyRootA'),
      between: txn['between-runs']?.profilerId,
      second: txn['second-run']?.profilerId === idOf('busyRootB'),
    };
  };
  t.deepEqual(
    links(runs.ferroprof),
    { first: true, between: undefined, second: true },
    'ferroprof links each span to the run that covered it',
  );
  // Deliberate difference: the incumbent takes the id from the global scope when the event
  // is processed, after the await: a transaction that ended in a run gets the state after it.
  const incumbent = links(runs.incumbent);
  t.false(incumbent.first, JSON.stringify(incumbent));
  t.is(
    incumbent.between,
    chunkWith(chunksOf(runs.incumbent), 'busyRootB')?.profiler_id,
    'the incumbent links the span between runs to the next run',
  );
});

test.serial('11.x: no profiling option, no profile, side by side', async (t) => {
  const runs = await both(t, 11, 'legacyRestart');
  sameAs(
    t,
    runs,
    (run) => ({
      chunks: run.ingest.payloads('profile_chunk').length,
      line: run.stdout.includes('[Profiling] Profile session not sampled, no-op.'),
    }),
    { chunks: 0, line: true },
  );
});

for (const major of [10, 11]) {
  test.serial(
    `${major}.x: a worker in the trace lifecycle: ferroprof profiles it, the incumbent switches itself off in workers`,
    async (t) => {
      const runs = await both(t, major, 'workerTrace');
      const workerId = (run) => String(run.result.workerThreadIds?.[0]);
      const workerSamples = (run) =>
        chunksOf(run).reduce((n, c) => {
          const { frames, stacks, samples } = c.profile;
          return (
            n +
            samples.filter(
              (s) => s.thread_id === workerId(run) && stacks[s.stack_id].some((f) => frames[f].function === 'busyWorkerFunction'),
            ).length
          );
        }, 0);
      t.is(workerSamples(runs.incumbent), 0, 'the incumbent profiles no worker thread');
      t.is(runs.incumbent.ingest.payloads('profile_chunk').length, 0);
      t.true(workerSamples(runs.ferroprof) >= 5, `${workerSamples(runs.ferroprof)} samples of the worker in busyWorkerFunction`);
      const root = transactions(runs.ferroprof)['worker-root'];
      t.is(root?.profilerId, chunksOf(runs.ferroprof)[0]?.profiler_id, "the worker's root span is linked to the chunk");
      t.is(root?.threadId, workerId(runs.ferroprof));
      t.truthy(transactions(runs.incumbent)['worker-root'], "the incumbent's worker transaction still arrives");
    },
  );
}

test.serial("the first 100 ms of CPU work after a start hold as many samples as the incumbent's", async (t) => {
  // Several processes each, interleaved, so that both see the same load; two starts each:
  // the first of the process (V8's sampler starts) and one after a gap longer than
  // ferroprof's linger (its sampler restarts). One chunk per start (the incumbent drops a
  // chunk of fewer than two samples, which a loaded machine can make it: counted as 0).
  const counts = { incumbent: [], ferroprof: [] };
  for (let p = 0; p < 3; p++) {
    for (const impl of IMPLS) {
      const run = await runWith(t, impl, 11, 'firstSamples', { ROUNDS: '2', GAP_MS: '2300' });
      const chunks = chunksOf(run);
      if (impl === 'ferroprof') t.is(chunks.length, 2, 'one chunk per start');
      // Every sample of the chunk: V8's sample of the stack at the start is not in the function.
      counts[impl].push(...chunks.map((c) => c.profile.samples.length));
    }
  }
  t.log(JSON.stringify(counts));
  const sum = (xs) => xs.reduce((a, b) => a + b, 0);
  const [inc, fp] = [sum(counts.incumbent), sum(counts.ferroprof)];
  // 101 Hz against the incumbent's 99 Hz: ferroprof is owed ~2 % more. Slack: one sample
  // per start for V8's second sample at a start, which the incumbent keeps and ferroprof
  // drops, and a fifth for the load (both cores busy, one start held 2–11 samples for
  // either); what this catches is a systematic loss, such as the first tens of ms.
  t.true(
    fp >= 0.8 * inc - counts.ferroprof.length,
    `ferroprof ${fp} samples over ${counts.ferroprof.length} starts, the incumbent ${inc}`,
  );
});
