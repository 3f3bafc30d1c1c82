// The transaction event is written as JSON text field by field (the SDK's hot path).
// Here the same event is built as an object, the way Sentry documents it, from what
// the test set on the transaction, and the two must be equal: strings a user sets
// (quotes, newlines, non-ASCII, lone surrogates) escaped, `undefined` fields left out,
// numbers as numbers.
import test from 'ava';

import { close, init, startTransaction } from '../dist/index.js';
import { parseEnvelope } from '../dist/transport.js';

const TRICKY = [
  'plain',
  'with "quotes" and \\ backslash',
  'line\nbreak\ttab',
  'grüße 📈 日本',
  'lone \ud800 surrogate',
  '</script>',
  '',
];

/** Sentry's transaction event, as an object, for what `make` did to the transaction. */
function expectedEvent(txn, options) {
  const drop = (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  const nonEmpty = (o) => (Object.keys(o).length ? o : undefined);
  return drop({
    event_id: txn.eventId,
    type: 'transaction',
    platform: 'node',
    transaction: txn.name,
    transaction_info: { source: 'custom' },
    start_timestamp: txn.startTimestamp,
    timestamp: txn.endTimestamp,
    release: options.release,
    environment: options.environment,
    server_name: options.serverName,
    contexts: {
      runtime: { name: 'node', version: process.version },
      os: 'anything', // checked separately: system facts
      device: 'anything',
      trace: drop({
        trace_id: txn.traceId,
        span_id: txn.spanId,
        parent_span_id: txn.parentSpanId,
        op: txn.op,
        description: txn.description,
        status: txn.status ?? 'ok',
        data: nonEmpty({ ...txn.data }),
      }),
    },
    tags: nonEmpty(txn.tags),
    measurements: nonEmpty(txn.measurements),
    spans: txn.spans
      .filter((s) => s.finished)
      .map((s) =>
        drop({
          span_id: s.spanId,
          parent_span_id: s.parentSpanId,
          trace_id: s.traceId,
          op: s.op,
          description: s.description,
          start_timestamp: s.startTimestamp,
          timestamp: s.endTimestamp,
          status: s.status,
          tags: nonEmpty(s.tags),
          data: nonEmpty(s.data),
        }),
      ),
    sdk: 'anything',
  });
}

test('the transaction event text equals the event built as an object, for tricky values', async (t) => {
  const options = { release: 'rel "1"\n', environment: 'prod ü', serverName: 'host\\1' };
  const sent = [];
  init({ transport: (bytes) => sent.push(bytes), tracesSampleRate: 1, ...options });
  const txns = [];
  for (const [i, s] of TRICKY.entries()) {
    const txn = startTransaction({ name: s || 'unnamed', op: i % 2 ? s : undefined, description: i % 3 ? undefined : s });
    if (i % 2) txn.setTag(s || 'k', s);
    txn.setData(`key ${s}`, { nested: [s, i, true, null], n: i / 3 });
    if (i % 3 === 0) txn.setMeasurement(`m ${s}`, i * 1.5, 'millisecond');
    if (i === 1) txn.setStatus('internal_error');
    const child = txn.startChild({ op: s, description: i % 2 ? s : undefined, data: i % 2 ? { s } : undefined });
    if (i % 2) child.setTag('t', s);
    child.finish();
    txn.startChild({ op: 'never finished' });
    txn.finish();
    txns.push(txn);
  }
  // No tags, data, spans or measurements at all.
  const bare = startTransaction({ name: 'bare' });
  bare.finish();
  txns.push(bare);
  await close(2000);

  t.is(sent.length, txns.length);
  for (const [i, bytes] of sent.entries()) {
    const envelope = parseEnvelope(bytes);
    const event = JSON.parse(Buffer.from(envelope.items[0].payload).toString('utf8'));
    const want = expectedEvent(txns[i], options);
    for (const k of ['os', 'device']) {
      t.is(typeof event.contexts[k], 'object');
      event.contexts[k] = 'anything';
    }
    t.deepEqual(event.sdk.name, 'ferroprof.node');
    event.sdk = 'anything';
    t.deepEqual(event, want, `transaction ${i} (${JSON.stringify(txns[i].name)})`);
    t.is(envelope.header.event_id, txns[i].eventId);
    t.is(envelope.header.trace.transaction, txns[i].name);
    t.regex(envelope.header.sent_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    t.true(Math.abs(Date.parse(envelope.header.sent_at) - Date.now()) < 60_000);
  }
});

test('ids are lowercase hex of the right length, v4 where they are UUIDs, and distinct', (t) => {
  init({ transport: () => {}, tracesSampleRate: 1 });
  const seen = new Set();
  for (let i = 0; i < 3000; i++) {
    const txn = startTransaction({ name: 'ids' });
    t.regex(txn.eventId, /^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
    t.regex(txn.traceId, /^[0-9a-f]{32}$/);
    t.regex(txn.spanId, /^[0-9a-f]{16}$/);
    for (const id of [txn.eventId, txn.traceId, txn.spanId]) {
      t.false(seen.has(id));
      seen.add(id);
    }
    txn.finish();
  }
  return close(1000);
});

test('timestamps are Unix seconds to the microsecond, on the clock of the samples', (t) => {
  init({ transport: () => {}, tracesSampleRate: 1 });
  const before = Date.now() / 1000;
  const txn = startTransaction({ name: 'clock' });
  txn.finish();
  const after = Date.now() / 1000;
  t.true(
    txn.startTimestamp >= before - 0.01 && txn.endTimestamp <= after + 0.01,
    `${txn.startTimestamp} in [${before}, ${after}]`,
  );
  t.true(txn.endTimestamp >= txn.startTimestamp);
  t.is(Math.round(txn.startTimestamp * 1e6) / 1e6, txn.startTimestamp);
  return close(1000);
});
