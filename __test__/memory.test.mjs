import test from 'ava';

import { configureSampler, getSamplerStats, openWindow, startSampling, stopSampling } from '../dist/sampler.js';
import { busyWithYields } from './helpers/busy.mjs';

test('a tiny store keeps only the newest samples and counts every drop', async (t) => {
  // No linger: stopping hands over the last samples at once, so few samples arrive
  // after the window's end to push its own out of the tiny store.
  configureSampler({ maxSamples: 40, rotationIntervalMs: 50, quietRotationIntervalMs: 50, lingerMs: 0 });
  const before = getSamplerStats();
  startSampling(500);
  const window = openWindow();
  // Until the store has had to drop (a loaded machine delivers far fewer than 500 Hz):
  // at least 600 ms, at most 10 s.
  const started = performance.now();
  do await busyWithYields(200, 5);
  while (
    (performance.now() - started < 600 || getSamplerStats().samplesIngested - before.samplesIngested < 120) &&
    performance.now() - started < 10_000
  );
  const closing = window.close();
  stopSampling();
  const profile = await closing;
  const s = getSamplerStats();

  t.true(profile.samples.length <= 40, `${profile.samples.length} samples kept`);
  t.true(profile.samples.length >= 30);
  // How many arrived is the sampler's business (a loaded machine delivers fewer than
  // 500 Hz): the bound on drops is derived from what was measured. At most 40 are
  // held, so all but those (and the pruned) must have been dropped, and counted.
  const ingested = s.samplesIngested - before.samplesIngested;
  const pruned = s.samplesPruned - before.samplesPruned;
  const dropped = s.samplesDroppedCapacity - before.samplesDroppedCapacity;
  t.true(ingested >= 80, `${ingested} samples ingested: enough to overflow a store of 40 twice`);
  t.true(dropped >= ingested - 40 - pruned, `${dropped} dropped of ${ingested} ingested (${pruned} pruned)`);
  t.true(dropped > 0);
  // One consistent snapshot: every sample copied out of V8 is under exactly one
  // heading, whatever the worker thread is doing at this instant.
  t.is(
    s.samplesCopied,
    s.samplesDuplicate + s.samplesNearDuplicate + s.samplesDroppedQueue + s.samplesInFlight + s.samplesIngested,
  );
  t.is(s.samplesIngested, s.samplesHeld + s.samplesPruned + s.samplesDroppedCapacity + s.samplesOutOfOrder + s.samplesLostReset);
  // What is kept is the newest: the kept samples are the window's last ones, so they
  // start late in it and end near its end (within a few of their own periods).
  const ts = profile.samples.map((x) => x.tsNs);
  const last = ts[ts.length - 1];
  const keptPeriod = (last - ts[0]) / Math.max(1, ts.length - 1);
  t.true(profile.endNs - last < Math.max(50e6, 10 * keptPeriod), 'the newest samples survived');
  t.true(ts[0] - profile.startNs > (profile.endNs - profile.startNs) / 2, 'the oldest samples were dropped');
});
