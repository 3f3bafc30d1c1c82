import test from 'ava';

import { configureSampler, getSamplerStats, openWindow, startSampling, stopSampling } from '../dist/sampler.js';
import { busyWithYields } from './helpers/busy.mjs';

/** One 2 s run with a rotation every 50 ms; returns what the test checks. */
async function rotatingRun() {
  const hz = startSampling(101);
  const before = getSamplerStats();
  const window = openWindow();
  await busyWithYields(2000, 10);
  const profile = await window.close();
  stopSampling();
  const after = getSamplerStats();
  const ts = profile.samples.map((s) => s.tsNs);
  let maxGap = Math.max(ts[0] - profile.startNs, profile.endNs - ts[ts.length - 1]);
  for (let i = 1; i < ts.length; i++) maxGap = Math.max(maxGap, ts[i] - ts[i - 1]);
  return {
    intervalNs: 1e9 / hz,
    rotations: after.rotations - before.rotations,
    maxGap,
    unique: new Set(ts).size === ts.length,
    queueDrops: after.samplesDroppedQueue - before.samplesDroppedQueue,
  };
}

// A rotation that lost samples would open a gap at every one of its ~40 rotations, in
// every run. A single gap of 3+ intervals can also come from the OS not scheduling V8's
// sampler thread on a loaded 2-core machine; so the scenario is tried up to 3 times and
// must meet the bound in one of them, with every run free of duplicates and drops.
test('rotation every 50 ms over 2 s loses no samples', async (t) => {
  configureSampler({ rotationIntervalMs: 50, quietRotationIntervalMs: 50 });
  const runs = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    const run = await rotatingRun();
    runs.push(run);
    t.true(run.rotations >= 25, `${run.rotations} rotations in 2 s`);
    t.true(run.unique, 'no sample twice');
    t.is(run.queueDrops, 0);
    if (run.maxGap <= 3 * run.intervalNs) break;
  }
  const best = Math.min(...runs.map((r) => r.maxGap));
  t.true(
    best <= 3 * runs[0].intervalNs,
    `largest gap per run: ${runs.map((r) => (r.maxGap / 1e6).toFixed(1)).join(', ')} ms (bound ${((3 * runs[0].intervalNs) / 1e6).toFixed(1)} ms)`,
  );
});
