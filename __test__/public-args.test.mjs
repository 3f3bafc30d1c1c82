// Every public call given a wrong argument throws (or rejects with) an error that names
// the call, the argument and what it accepts — never a TypeError from deep inside.
import test from 'ava';

import {
  GeventScheduler,
  Profile,
  SleepScheduler,
  ThreadScheduler,
  close,
  flush,
  startSpan,
  startTransaction,
  withSpan,
  withTransaction,
} from '../dist/index.js';
import { closeWindow, closeWindowSync, configureSampler, formatTopTable, topFunctions } from '../dist/sampler.js';
import {
  HttpTransport,
  LocalTransport,
  clientReportEnvelope,
  itemJson,
  itemText,
  itemsOfType,
  parseEnvelope,
  readEventId,
  serializeEnvelope,
} from '../dist/transport.js';
import { validateEnvelope } from '../dist/testing.js';

const typeError = (message) => ({ instanceOf: TypeError, message });
const rangeError = (message) => ({ instanceOf: RangeError, message });

test('new Profile(x) names the argument and what it accepts', (t) => {
  for (const [bad, shown] of [
    [undefined, 'undefined'],
    [null, 'null'],
    [{}, 'an object'],
    ['txn', 'the string "txn"'],
  ]) {
    const err = t.throws(() => new Profile(bad), { instanceOf: TypeError });
    t.is(
      err.message,
      `ferroprof: new Profile(transaction): transaction must be a Transaction (from startTransaction()), got ${shown}`,
    );
  }
  // A real transaction is accepted (without init: an unsampled one).
  const txn = startTransaction({ name: 'args', op: 'test' });
  const profile = new Profile(txn);
  profile.finish();
  txn.finish();
  t.pass();
});

test('flush and close reject a timeout that is not a number of milliseconds ≥ 0', async (t) => {
  await t.throwsAsync(
    flush('soon'),
    typeError(/^ferroprof: flush\(timeoutMs\): timeoutMs must be a number of milliseconds \(≥ 0\), got the string "soon"$/),
  );
  await t.throwsAsync(
    flush(-1),
    rangeError(/flush\(timeoutMs\): timeoutMs must be a finite number of milliseconds ≥ 0, got number -1/),
  );
  await t.throwsAsync(close(Number.NaN), rangeError(/close\(timeoutMs\): timeoutMs .* got number NaN/));
  t.true(await flush());
  t.true(await flush(0));
});

test('transactions and spans: callbacks, contexts, tags and timestamps are checked', (t) => {
  t.throws(
    () => withTransaction({ name: 'x' }, 5),
    typeError(/withTransaction\(context, fn\): fn must be a function, got number 5/),
  );
  t.throws(
    () => withTransaction({ name: 'x' }, () => 1, 'ctx'),
    typeError(/customSamplingContext must be an object or undefined, got the string "ctx"/),
  );
  t.throws(
    () => startTransaction({ name: 'x' }, 5),
    typeError(/startTransaction\(context, customSamplingContext\): customSamplingContext must be an object or undefined/),
  );
  t.throws(() => withSpan({}, null), typeError(/withSpan\(context, fn\): fn must be a function, got null/));
  t.throws(() => startSpan(null), typeError(/startSpan\(context\): context must be an object or undefined, got null/));

  const txn = startTransaction({ name: 'args', op: 'test' });
  t.throws(() => txn.setTag(undefined, 'v'), typeError(/setTag\(key, value\): key must be a non-empty string, got undefined/));
  t.throws(
    () => txn.setTag('k', { a: 1 }),
    typeError(/setTag\(key, value\): value must be a string, number or boolean, got an object/),
  );
  t.throws(() => txn.setData(7, 1), typeError(/setData\(key, value\): key must be a non-empty string, got number 7/));
  t.throws(() => txn.setStatus(undefined), typeError(/setStatus\(status\): status must be a non-empty string/));
  t.throws(() => txn.setName(''), rangeError(/setName\(name\): name must be a non-empty string, got the string ""/));
  t.throws(
    () => txn.setMeasurement('m', '3'),
    typeError(/setMeasurement\(name, value, unit\): value must be a number, got the string "3"/),
  );
  t.throws(() => txn.startChild(null), typeError(/startChild\(context\): context must be an object or undefined, got null/));
  t.throws(
    () => txn.finish('now'),
    typeError(/finish\(endTimestamp\): endTimestamp must be a finite number of Unix seconds, or undefined/),
  );
  // Documented no-ops: a NaN measurement is ignored, a second finish does nothing.
  txn.setMeasurement('ratio', 0 / 0, 'ratio');
  t.deepEqual(txn.measurements, {});
  txn.setTag('n', 3).setTag('b', true);
  t.deepEqual(txn.tags, { n: '3', b: 'true' });
  t.false(txn.finished, 'a rejected finish() does not finish the transaction');
  txn.finish();
  t.true(txn.finished);
  txn.finish();
});

test('schedulers take an options object', (t) => {
  for (const S of [ThreadScheduler, SleepScheduler, GeventScheduler]) {
    t.throws(
      () => new S(null),
      typeError(new RegExp(`new ${S.name}\\(options\\): options must be an object or undefined, got null`)),
    );
  }
  t.throws(() => new ThreadScheduler({ frequency: 0 }), { instanceOf: RangeError, message: /between 1 and 10000 Hz/ });
  t.is(new ThreadScheduler().frequency, 101);
});

test('the low-level API checks window ids, options and envelope bytes', async (t) => {
  await t.throwsAsync(
    closeWindow('1'),
    typeError(/closeWindow\(id\): id must be an integer in \[0, 4294967295\], got the string "1"/),
  );
  t.throws(() => closeWindowSync(-1), rangeError(/closeWindowSync\(id, timeoutMs\): id must be an integer/));
  t.throws(() => closeWindowSync(1, 'x'), typeError(/closeWindowSync\(id, timeoutMs\): timeoutMs must be a number/));
  t.throws(() => configureSampler(null), typeError(/configureSampler\(options\): options must be an object, got null/));
  t.throws(
    () => configureSampler({ maxBytes: 'x' }),
    typeError(/^ferroprof: configureSampler\(options\): options.maxBytes must be a number, got the string "x"/),
  );
  t.throws(
    () => configureSampler({ eagerLogging: 1 }),
    typeError(/configureSampler\(options\): options.eagerLogging must be a boolean, got number 1/),
  );
  t.throws(
    () => configureSampler({ maxBytes: -1 }),
    rangeError(/^ferroprof: configureSampler\(options\): .*maxBytes must be between/),
  );
  t.throws(
    () => validateEnvelope(undefined),
    typeError(/validateEnvelope\(bytes, gzip\): bytes must be a Uint8Array or Buffer, got undefined/),
  );
  t.throws(() => validateEnvelope(new Uint8Array(1), 'yes'), typeError(/gzip must be a boolean, got the string "yes"/));
});

test('reports and transports name what they were given', (t) => {
  t.throws(() => topFunctions(undefined), typeError(/topFunctions\(profile, limit\): profile must be a WindowProfile/));
  t.throws(
    () => formatTopTable({ samples: [] }),
    typeError(/formatTopTable\(profile, limit\): profile must be a WindowProfile .* got an object/),
  );
  const empty = { samples: [], stacks: [], frames: [] };
  t.throws(() => topFunctions(empty, 0), rangeError(/limit must be an integer in \[1,/));
  t.deepEqual(topFunctions(empty), []);
  t.throws(
    () => new LocalTransport({ dir: 5 }),
    typeError(/new LocalTransport\(options\): options.dir must be a non-empty string, got number 5/),
  );
  t.throws(
    () => new LocalTransport(null),
    typeError(/new LocalTransport\(options\): options must be an object or undefined, got null/),
  );
  t.throws(
    () => new HttpTransport(undefined),
    typeError(/new HttpTransport\(options\): options must be an object, got undefined/),
  );
  t.throws(() => new HttpTransport({}), typeError(/options.dsn must be a DSN string or a parsed Dsn/));
});

test('the envelope helpers of ferroprof/transport name the call, the argument and what they accept', (t) => {
  const envelope = parseEnvelope(
    serializeEnvelope({ event_id: 'a'.repeat(32) }, [{ header: { type: 'transaction' }, payload: '{}' }]),
  );
  t.throws(
    () => itemsOfType(undefined, 'transaction'),
    typeError(/itemsOfType\(envelope, type\): envelope must be an Envelope .* got undefined/),
  );
  t.throws(
    () => itemsOfType(envelope, 5),
    typeError(/itemsOfType\(envelope, type\): type must be a non-empty string, got number 5/),
  );
  t.is(itemsOfType(envelope, 'transaction').length, 1);
  t.throws(
    () => serializeEnvelope(null, []),
    typeError(/serializeEnvelope\(header, items\): header must be an object, got null/),
  );
  t.throws(() => serializeEnvelope({}, 'x'), typeError(/serializeEnvelope\(header, items\): items must be an array/));
  t.throws(
    () => serializeEnvelope({}, [{ header: { type: 'x' }, payload: 5 }]),
    typeError(/items\[0\].payload must be a string or a Uint8Array, got number 5/),
  );
  t.throws(() => serializeEnvelope({}, [{ payload: '' }]), typeError(/items\[0\].header must be an item header object/));
  t.throws(
    () => clientReportEnvelope(undefined),
    typeError(/clientReportEnvelope\(discarded, dsn, now\): discarded must be an array/),
  );
  t.throws(
    () => clientReportEnvelope([{ reason: 'x' }]),
    typeError(/discarded\[0\] must be an object \{ reason: string, category: string, quantity: number \}/),
  );
  t.throws(
    () => clientReportEnvelope([{ reason: 'x', category: 'y', quantity: -1 }]),
    rangeError(/discarded\[0\].quantity must be an integer ≥ 0, got number -1/),
  );
  t.throws(() => clientReportEnvelope([], 5), typeError(/dsn must be a DSN string or undefined, got number 5/));
  t.throws(() => itemJson({}), typeError(/itemJson\(item\): item must be an envelope item/));
  t.throws(() => itemText(null), typeError(/itemText\(item\): item must be an envelope item/));
  t.throws(
    () => readEventId('abc'),
    typeError(/readEventId\(bytes\): bytes must be a Uint8Array or Buffer, got the string "abc"/),
  );
  t.throws(() => parseEnvelope('abc'), typeError(/parseEnvelope\(bytes, name\): bytes must be a Uint8Array or Buffer/));
});
