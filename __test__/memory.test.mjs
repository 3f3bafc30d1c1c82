import test from 'ava';

import { configureSampler, getSamplerStats, openWindow, startSampling, stopSampling } from '../dist/sampler.js';
import { busyWithYields } from './helpers/busy.mjs';

test('a tiny store keeps only the newest samples and counts every drop', async (t) => {
  // No linger: stopping hands over the last samples at once, so few samples arrive
  // after the window's end to push its own out of the tiny store.
  configureSampler({ maxSamples: 40, rotationIntervalMs: 50, quietRotationIntervalMs: 50, lingerMs: 0 });
  startSampling(500);
  const window = openWindow();
  await busyWithYields(600, 5);
  const closing = window.close();
  stopSampling();
  const profile = await closing;
  const s = getSamplerStats();

  t.true(profile.samples.length <= 40, `${profile.samples.length} samples kept`);
  t.true(profile.samples.length >= 30);
  t.true(s.samplesDroppedCapacity > 100, `${s.samplesDroppedCapacity} dropped`);
  // One consistent snapshot: every sample copied out of V8 is under exactly one
  // heading, whatever the worker thread is doing at this instant.
  t.is(s.samplesCopied, s.samplesDuplicate + s.samplesNearDuplicate + s.samplesDroppedQueue + s.samplesInFlight + s.samplesIngested);
  t.is(s.samplesIngested, s.samplesHeld + s.samplesPruned + s.samplesDroppedCapacity + s.samplesOutOfOrder + s.samplesLostReset);
  // What is kept is the newest: the window's last sample is near its end.
  const last = profile.samples[profile.samples.length - 1].tsNs;
  t.true(profile.endNs - last < 50e6, 'the newest samples survived');
  t.true(profile.samples[0].tsNs - profile.startNs > 400e6, 'the oldest samples were dropped');
});
