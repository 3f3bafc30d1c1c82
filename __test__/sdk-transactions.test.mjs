// Transaction profiling, the manual Profile, custom context and spans, ported from
// Sentry's Python profiling docs and checked against what arrives at a real local ingest.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import test from 'ava';

import {
  Profile,
  close,
  flush,
  getActiveSpan,
  getProfilerStats,
  init,
  startSpan,
  startTransaction,
  withSpan,
  withTransaction,
} from '../dist/index.js';
import { validateEnvelope } from '../dist/testing.js';
import { framesNamed, invalidEnvelopes, samplesIn, startIngest, tick } from './helpers/ingest.mjs';
import { cpuBudget } from './helpers/busy.mjs';

const THIS_FILE = fileURLToPath(import.meta.url);
const SOURCE_LINES = readFileSync(THIS_FILE, 'utf8').split('\n');
const lineOf = (name) => SOURCE_LINES.findIndex((l) => l.startsWith(`function ${name}(`)) + 1;
/** First and last line of a top-level function of this file (1-based). */
const linesOf = (name) => {
  const first = lineOf(name);
  return [first, first + SOURCE_LINES.slice(first).findIndex((l) => l.startsWith('}')) + 1];
};

function loadData(ms = 40) {
  const more = cpuBudget(ms);
  const rows = [];
  while (more()) rows.push({ id: rows.length, v: Math.random() });
  return rows.length;
}
function cpuIntensiveFunction(ms = 250) {
  const more = cpuBudget(ms);
  let x = 0;
  while (more()) x += Math.sqrt(x + 1);
  return x;
}
function saveResults(ms = 40) {
  const more = cpuBudget(ms);
  let s = 0;
  while (more()) s += JSON.stringify({ s }).length;
  return s;
}
function manuallyProfiledWork(ms = 200) {
  const more = cpuBudget(ms);
  let x = 3;
  while (more()) x = (x * 7 + 1) % 65521;
  return x;
}
function workAfterProfileFinished(ms = 150) {
  const more = cpuBudget(ms);
  let x = 5;
  while (more()) x = (x * 13 + 3) % 65519;
  return x;
}
function runQuery(ms) {
  const more = cpuBudget(ms);
  let x = 0;
  while (more()) x += Math.log(x + 2);
  return x;
}

/** Unix seconds of an RFC 3339 timestamp (the v1 profile's `timestamp`). */
function rfc3339Seconds(ts) {
  const m = /^(.*T\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(ts);
  return Date.parse(`${m[1]}${m[3]}`) / 1000 + Number(m[2] ?? 0);
}

let ingest;
test.beforeEach(async () => {
  ingest = await startIngest();
});
test.afterEach.always(async () => {
  await close(1000);
  await ingest.close();
});

test.serial('transaction profiling (data_processing): transaction + profile in one envelope', async (t) => {
  init({
    dsn: ingest.dsn,
    tracesSampleRate: 1.0,
    profilesSampleRate: 1.0,
    release: 'app@1.2.3',
    environment: 'staging',
    serverName: 'web-1',
  });
  const txn = startTransaction({ name: 'data_processing', op: 'function' });
  try {
    loadData();
    cpuIntensiveFunction();
    saveResults();
  } finally {
    txn[Symbol.dispose]();
  }
  t.true(await flush(3000));
  t.deepEqual(invalidEnvelopes(ingest, validateEnvelope), []);
  const accepted = ingest.envelopes();
  t.is(accepted.length, 1, 'one envelope');
  const [envelope] = accepted;
  t.deepEqual(
    envelope.items.map((i) => i.header.type),
    ['transaction', 'profile'],
  );
  t.is(envelope.header.event_id, txn.eventId);
  t.is(envelope.header.dsn, ingest.dsn);
  t.is(envelope.header.trace.trace_id, txn.traceId);

  const event = envelope.items[0].json;
  const profile = envelope.items[1].json;
  t.is(event.type, 'transaction');
  t.is(event.transaction, 'data_processing');
  t.is(event.contexts.trace.op, 'function');
  t.is(event.release, 'app@1.2.3');
  t.is(event.environment, 'staging');
  t.is(event.server_name, 'web-1');
  t.is(event.contexts.profile.profile_id, profile.event_id, "contexts.profile.profile_id = the profile's event_id");
  t.is(profile.transaction.id, event.event_id);
  t.is(profile.transaction.name, 'data_processing');
  t.is(profile.transaction.trace_id, event.contexts.trace.trace_id);
  t.is(profile.platform, 'node');
  t.is(profile.release, 'app@1.2.3');
  t.is(profile.environment, 'staging');

  const n = samplesIn(profile, 'cpuIntensiveFunction');
  t.true(n >= 10, `cpuIntensiveFunction on ${n} sample stacks (250 ms at 101 Hz)`);
  // Each frame carries a line executing in the function: a call site or a hot line.
  // (or, in code V8 inlined from another script, that script's line).
  const [first, last] = linesOf('cpuIntensiveFunction');
  const frames = framesNamed(profile, 'cpuIntensiveFunction');
  for (const frame of frames) t.is(frame.abs_path, THIS_FILE);
  t.true(
    frames.some((f) => f.lineno >= first && f.lineno <= last),
    `a line within ${first}-${last}`,
  );
  t.true(samplesIn(profile, 'loadData') >= 1 && samplesIn(profile, 'saveResults') >= 1);

  // Every sample lies inside the transaction.
  const origin = rfc3339Seconds(profile.timestamp);
  for (const s of profile.profile.samples) {
    const at = origin + Number(s.elapsed_since_start_ns) / 1e9;
    t.true(
      at >= event.start_timestamp - 0.001 && at <= event.timestamp + 0.001,
      `sample at ${((at - event.start_timestamp) * 1000).toFixed(3)} ms of a ${((event.timestamp - event.start_timestamp) * 1000).toFixed(1)} ms transaction`,
    );
  }
});

test.serial('manual Profile(txn): only the work between new Profile and finish() is in it', async (t) => {
  init({ dsn: ingest.dsn, tracesSampleRate: 1.0, profilesSampleRate: 0 });
  const txn = startTransaction({ name: 'manual_profile', op: 'task' });
  t.is(txn.profile, undefined, 'profilesSampleRate 0: no automatic profile');
  const profile = new Profile(txn);
  manuallyProfiledWork();
  profile.finish();
  workAfterProfileFinished();
  txn.finish();
  t.true(await flush(3000));
  t.deepEqual(invalidEnvelopes(ingest, validateEnvelope), []);
  const [event] = ingest.payloads('transaction');
  const [payload] = ingest.payloads('profile');
  t.truthy(payload, 'the profile travels with the transaction');
  t.is(event.contexts.profile.profile_id, payload.event_id);
  t.is(payload.event_id, profile.profileId);
  t.true(samplesIn(payload, 'manuallyProfiledWork') >= 8);
  t.is(samplesIn(payload, 'workAfterProfileFinished'), 0, 'nothing after finish()');
  t.is(getProfilerStats().profilesStarted, 1);
});

test.serial('custom context: tags and data given at start and set later arrive in the event', async (t) => {
  init({ dsn: ingest.dsn, tracesSampleRate: 1.0, profilesSampleRate: 1.0 });
  await withTransaction(
    { name: 'user_request', op: 'http.server', tags: { region: 'eu' }, data: { request_size: 512 } },
    async (txn) => {
      txn.setTag('user_tier', 'premium');
      txn.setTag('retry', 3); // non-string tags become strings
      txn.setData('user_id', 'u-123');
      txn.setData('features', ['a', 'b']);
      t.is(getActiveSpan(), txn, 'the transaction is the active span inside withTransaction');
      await tick();
      cpuIntensiveFunction(120);
      t.is(getActiveSpan(), txn, 'still active after an await');
    },
  );
  t.is(getActiveSpan(), undefined, 'nothing active afterwards');
  t.true(await flush(3000));
  t.deepEqual(invalidEnvelopes(ingest, validateEnvelope), []);
  const [event] = ingest.payloads('transaction');
  t.deepEqual(event.tags, { region: 'eu', user_tier: 'premium', retry: '3' });
  t.like(event.contexts.trace.data, { request_size: 512, user_id: 'u-123', features: ['a', 'b'] });
  t.is(event.contexts.trace.status, 'ok');
  t.is(ingest.items('profile').length, 1);
});

test.serial('database analysis: spans arrive with op, description, data and nesting', async (t) => {
  init({ dsn: ingest.dsn, tracesSampleRate: 1.0, profilesSampleRate: 1.0 });
  let txnRef;
  await withTransaction({ name: 'database_analysis', op: 'db.analysis' }, async (txn) => {
    txnRef = txn;
    await withSpan({ op: 'db.query', description: 'SELECT * FROM users WHERE active = true' }, async (span) => {
      span.setData('db.system', 'postgresql');
      span.setData('db.rows_returned', 150);
      runQuery(60);
      await tick();
      // A span started in here is a child of the query span.
      const fetch = startSpan({ op: 'db.fetch', description: 'fetch rows' });
      runQuery(20);
      fetch.setData('batch', 1);
      fetch.finish();
    });
    const analysis = startSpan({ op: 'analysis', description: 'aggregate users' });
    try {
      runQuery(60);
      analysis.setStatus('ok');
    } finally {
      analysis[Symbol.dispose]();
    }
    t.throws(
      () =>
        withSpan({ op: 'db.query', description: 'broken query' }, () => {
          throw new Error('syntax error');
        }),
      { message: 'syntax error' },
    );
  });
  t.true(await flush(3000));
  t.deepEqual(invalidEnvelopes(ingest, validateEnvelope), []);
  const [event] = ingest.payloads('transaction');
  const byOp = (op, description) => event.spans.find((s) => s.op === op && (!description || s.description === description));
  t.is(event.spans.length, 4);
  const query = byOp('db.query', 'SELECT * FROM users WHERE active = true');
  t.deepEqual(query.data, { 'db.system': 'postgresql', 'db.rows_returned': 150 });
  t.is(query.parent_span_id, txnRef.spanId);
  t.is(query.trace_id, event.contexts.trace.trace_id);
  t.true(query.timestamp - query.start_timestamp >= 0.07);
  const fetch = byOp('db.fetch');
  t.is(fetch.parent_span_id, query.span_id, 'nested through AsyncLocalStorage');
  t.deepEqual(fetch.data, { batch: 1 });
  const analysis = byOp('analysis');
  t.is(analysis.parent_span_id, txnRef.spanId);
  t.is(analysis.status, 'ok');
  t.is(byOp('db.query', 'broken query').status, 'internal_error');
  for (const s of event.spans) {
    t.true(s.start_timestamp >= event.start_timestamp && s.timestamp <= event.timestamp, `${s.op} inside the transaction`);
  }
  const [profile] = ingest.payloads('profile');
  t.true(samplesIn(profile, 'runQuery') >= 5);
});

test.serial('Symbol.dispose finishes a transaction once; end() is an alias; unsampled transactions are not sent', async (t) => {
  init({ dsn: ingest.dsn, tracesSampleRate: 1.0 });
  const a = startTransaction({ name: 'disposed', op: 'task' });
  a[Symbol.dispose]();
  a[Symbol.dispose]();
  a.finish();
  const b = startTransaction({ name: 'ended', op: 'task' });
  b.end();
  const c = startTransaction({ name: 'not_sampled', op: 'task', sampled: false });
  c.finish();
  t.true(await flush(2000));
  t.deepEqual(
    ingest
      .payloads('transaction')
      .map((e) => e.transaction)
      .sort(),
    ['disposed', 'ended'],
  );
  t.deepEqual(invalidEnvelopes(ingest, validateEnvelope), []);
});
