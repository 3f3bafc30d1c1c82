#!/usr/bin/env node
// The scenario of sentry-javascript issue 20029 (the incumbent's native sampler corrupted
// V8's heap in worker threads), run N times with ferroprof's integration:
//
//   node scripts/sentry-stress.mjs [--runs 20] [--major 10] [--ms 3000] [--hz 1001]
//
// Each run is a fresh process: @sentry/node <major> with its default OpenTelemetry setup,
// profileLifecycle 'trace' at <hz> Hz, and 4 worker threads that each call Sentry.init
// with the integration and create instrumented nested spans under allocation pressure
// for <ms> ms (see __test__/fixtures/sentry/). A run fails on a crash (signal or non-zero
// exit), a worker error, an envelope Sentry would refuse, or a worker whose thread is
// missing from the chunks. Needs `npm run build` and the devDependencies (npm ci).
import { validateEnvelope } from '../dist/testing.js';
import { invalidEnvelopes, startIngest } from '../__test__/helpers/ingest.mjs';
import { runApp, sentryVersion } from '../__test__/helpers/sentry-app.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const runs = opt('runs', 20);
const major = opt('major', 10);
const ms = opt('ms', 3000);
const hz = opt('hz', 1001);
for (const [name, value] of Object.entries({ runs, major, ms, hz })) {
  if (!Number.isInteger(value) || value <= 0) {
    console.error(`sentry-stress: --${name} must be a positive integer, got ${value}`);
    process.exit(2);
  }
}

console.log(`sentry-stress: ${runs} runs, @sentry/node ${sentryVersion(major)}, 4 workers, ${ms} ms each, ${hz} Hz`);
let crashes = 0;
let failures = 0;
const started = Date.now();
for (let i = 1; i <= runs; i++) {
  const ingest = await startIngest();
  const t0 = Date.now();
  const r = await runApp(
    major,
    'app.cjs',
    { SCENARIO: 'stress', DSN: ingest.dsn, STRESS_MS: String(ms), STRESS_HZ: String(hz) },
    { timeoutMs: ms + 60_000 },
  );
  const problems = [];
  if (r.signal || r.code !== 0) {
    crashes++;
    problems.push(`crash: ${r.signal ? `signal ${r.signal}` : `exit ${r.code}`}\n${r.stderr.slice(-2000)}`);
  } else if (!r.result) {
    problems.push('no RESULT line');
  } else {
    if (r.result.workerErrors.length > 0) problems.push(`worker errors: ${r.result.workerErrors.join('; ')}`);
    const bad = invalidEnvelopes(ingest, validateEnvelope);
    if (bad.length > 0) problems.push(`${bad.length} envelopes refused: ${bad[0].error}`);
    const chunks = ingest.payloads('profile_chunk');
    const threads = new Set(chunks.flatMap((c) => Object.keys(c.profile.thread_metadata)));
    const missing = r.result.workerThreadIds.map(String).filter((id) => !threads.has(id));
    if (missing.length > 0) problems.push(`worker threads ${missing.join(', ')} missing from ${chunks.length} chunks`);
    if (r.result.stats.enginePanics > 0) problems.push(`${r.result.stats.enginePanics} worker panics`);
  }
  await ingest.close();
  if (problems.length > 0 && !(r.signal || r.code !== 0)) failures++;
  const s = r.result?.stats;
  const detail = s ? `${s.chunksSent} chunks, ${s.samplesCopied} samples, threads ${r.result.workerThreadIds.join(',')}` : '';
  console.log(
    `${problems.length === 0 ? 'ok  ' : 'FAIL'} run ${i}/${runs} (${((Date.now() - t0) / 1000).toFixed(1)} s) ${detail}`,
  );
  for (const p of problems) console.log(`     ${p}`);
}
console.log(
  `sentry-stress: ${crashes} crashes, ${failures} other failures in ${runs} runs (${((Date.now() - started) / 1000).toFixed(0)} s)`,
);
process.exitCode = crashes + failures > 0 ? 1 : 0;
