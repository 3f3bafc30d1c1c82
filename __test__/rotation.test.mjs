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
  const gaps = [ts[0] - profile.startNs, profile.endNs - ts[ts.length - 1]];
  for (let i = 1; i < ts.length; i++) gaps.push(ts[i] - ts[i - 1]);
  const sorted = [...gaps].sort((a, b) => a - b);
  const medianGap = sorted[Math.floor(sorted.length / 2)];
  return {
    intervalNs: 1e9 / hz,
    rotations: after.rotations - before.rotations,
    maxGap: sorted[sorted.length - 1],
    medianGap,
    // Gaps of more than 2.5 typical periods, the typical period measured in this run.
    longGaps: gaps.filter((g) => g > 2.5 * medianGap).length,
    unique: new Set(ts).size === ts.length,
    queueDrops: after.samplesDroppedQueue - before.samplesDroppedQueue,
  };
}

// A rotation that lost samples would open a gap at each of its ~40 rotations, in every
// run. The OS not scheduling V8's sampler thread on a loaded machine also opens gaps,
// but fewer than one per rotation (measured with both cores busy and ava's own load:
// up to a third of the rotations); and it stretches every period alike. So a gap is
// "long" relative to the period measured in the same run (its median gap), and the
// run must have fewer long gaps than half its rotations. The scenario is tried
// up to 3 times and must meet that in one of them, with every run free of duplicates
// and drops. (On an idle machine the largest gap is within 3 intervals.)
test('rotation every 50 ms over 2 s loses no samples', async (t) => {
  configureSampler({ rotationIntervalMs: 50, quietRotationIntervalMs: 50 });
  const runs = [];
  const ok = (run) => run.longGaps < run.rotations / 2;
  for (let attempt = 0; attempt < 3; attempt++) {
    const run = await rotatingRun();
    runs.push(run);
    t.true(run.rotations >= 25, `${run.rotations} rotations in 2 s`);
    t.true(run.unique, 'no sample twice');
    t.is(run.queueDrops, 0);
    if (ok(run)) break;
  }
  t.true(
    runs.some(ok),
    runs
      .map(
        (r) =>
          `${r.longGaps} gaps > 2.5 × median (${(r.medianGap / 1e6).toFixed(1)} ms) over ${r.rotations} rotations, largest ${(r.maxGap / 1e6).toFixed(1)} ms`,
      )
      .join('; '),
  );
});
