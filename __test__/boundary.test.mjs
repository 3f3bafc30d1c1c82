// The boundary with the native addon is typed: metadata goes in as objects, results
// come out with typed fields (a raw window as an object, a refusal as a reason and a
// message), and the bounds TypeScript uses are the addon's own constants.
import test from 'ava';

import { DEFAULT_FREQUENCY_HZ, MAX_FREQUENCY_HZ, MIN_FREQUENCY_HZ } from '../dist/sampler.js';
import { loadNativeBinding } from '../dist/internal.js';

const native = loadNativeBinding();

test('the bounds and defaults of ferroprof/sampler are the addon’s constants', (t) => {
  t.is(MIN_FREQUENCY_HZ, native.MIN_FREQUENCY_HZ);
  t.is(MAX_FREQUENCY_HZ, native.MAX_FREQUENCY_HZ);
  t.is(DEFAULT_FREQUENCY_HZ, native.DEFAULT_FREQUENCY_HZ);
  t.deepEqual([MIN_FREQUENCY_HZ, MAX_FREQUENCY_HZ, DEFAULT_FREQUENCY_HZ, native.DEFAULT_MAX_STACK_DEPTH], [1, 10_000, 101, 128]);
});

/** Waits for the result of `ticket`, taking results as the addon announces them. */
function resultOf(ticket) {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 20_000;
    const poll = () => {
      const found = native.takeResults().find((r) => r.ticket === ticket);
      if (found) resolve(found);
      else if (Date.now() > deadline) reject(new Error(`no result for ticket ${ticket}`));
      else setTimeout(poll, 20);
    };
    poll();
  });
}

function spin(ms) {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x += Math.sqrt(x + 1);
  return x;
}

test.serial('metadata goes in as objects, and results come out typed', async (t) => {
  native.attach(() => {}, 0, 'main');
  native.setProfileMeta({
    sdk: { name: 'ferroprof.test', version: '1.0.0' },
    runtime: { name: 'node', version: process.version },
    os: { name: 'Linux', version: '6' },
    device: { architecture: process.arch },
    environment: 'test',
    debugIds: {},
  });
  t.throws(() => native.setProfileMeta({ sdk: { name: 'x' } }), undefined, 'a field missing is refused');
  native.startSampling(1000);
  try {
    // A raw window: an object, with samples that index its stacks and frames.
    const raw = native.openWindow();
    spin(60);
    const rawResult = await resultOf(native.closeWindow(raw, {}));
    t.is(rawResult.kind, 'raw');
    t.is(rawResult.payload, undefined);
    const p = rawResult.profile;
    t.truthy(p);
    t.is(p.id, raw);
    t.true(p.samples.length > 0);
    t.is(p.samples.length, rawResult.samples);
    for (const s of p.samples) {
      t.is(typeof s.state, 'string');
      t.true(p.stacks[s.stackId].every((f) => f < p.frames.length));
    }
    t.is(p.threadNames['0'], 'main');

    // A v1 window without its transaction: the options are refused, naming the field.
    const id = native.openWindow();
    const err = t.throws(() => native.closeWindow(id, { encoding: 'v1' }));
    t.regex(err.message, /closeWindow\(id, options\): options\.transaction is required/);

    // A profile too short for Sentry: a reason and a message, no JSON.
    const short = native.openWindow();
    const ticket = native.closeWindow(short, {
      encoding: 'v1',
      transaction: { profileId: 'a'.repeat(32), id: 'b'.repeat(32), name: 'GET /', traceId: 'c'.repeat(32) },
    });
    const refused = await resultOf(ticket);
    t.is(refused.kind, 'rejected');
    t.is(refused.reason, 'not_enough_samples');
    t.is(typeof refused.message, 'string');
    t.is(refused.payload, undefined);

    // Enough samples: the encoded payload, the only text that crosses.
    spin(5);
    const ok = await resultOf(
      native.closeWindow(id, {
        encoding: 'v1',
        transaction: { profileId: 'd'.repeat(32), id: 'e'.repeat(32), name: 'GET /ok', traceId: 'f'.repeat(32) },
      }),
    );
    t.is(ok.kind, 'encoded', ok.message);
    const profile = JSON.parse(ok.payload);
    t.is(profile.transaction.name, 'GET /ok');
    t.is(profile.environment, 'test');
  } finally {
    native.stopSampling();
  }
});
