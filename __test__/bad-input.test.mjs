import test from 'ava';

import { closeWindow, configureSampler, isSampling, startSampling, stopSampling, validateFrequency } from '../dist/sampler.js';

for (const bad of [0, -5, NaN, Infinity, 10_001, 'fast', '12.5x', '', null, {}]) {
  test(`frequency ${String(bad)} is refused with the accepted range`, (t) => {
    const err = t.throws(() => startSampling(bad), { instanceOf: RangeError });
    t.regex(err.message, /between 1 and 10000 Hz/);
  });
}

test('no frequency means the default, 101 Hz', (t) => {
  t.true(Math.abs(startSampling() - 101) < 0.5);
  t.true(stopSampling());
});

test('integer-like strings and in-range numbers are accepted', (t) => {
  t.is(validateFrequency('101'), 101);
  t.is(validateFrequency(1), 1);
  t.is(validateFrequency(10_000), 10_000);
});

test.before('nothing is sampling yet', (t) => t.false(isSampling()));

test.serial('stopping what was never started is a no-op', (t) => {
  t.false(stopSampling());
  t.false(stopSampling());
  t.false(isSampling());
});

test('closing an unknown window rejects without crashing', async (t) => {
  await t.throwsAsync(() => closeWindow(987654), { message: /not open/ });
});

test('out-of-range native settings are refused with a RangeError', (t) => {
  t.throws(() => configureSampler({ rotationIntervalMs: 1 }), { instanceOf: RangeError, message: /between 10 and/ });
  t.throws(() => configureSampler({ maxSamples: -1 }), { instanceOf: RangeError });
});
