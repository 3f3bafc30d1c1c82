import test from 'ava';

import { configureSampler, getSamplerStats, openWindow, startSampling, stopSampling } from '../dist/index.js';
import { busyWithYields } from './helpers/busy.mjs';

test('rotation every 50 ms over 2 s loses no samples', async (t) => {
  configureSampler({ rotationIntervalMs: 50 });
  const hz = startSampling(101);
  const intervalNs = 1e9 / hz;
  const before = getSamplerStats();
  const window = openWindow();
  await busyWithYields(2000, 10);
  const profile = await window.close();
  stopSampling();
  const after = getSamplerStats();

  const rotations = after.rotations - before.rotations;
  t.true(rotations >= 25, `${rotations} rotations in 2 s`);
  const ts = profile.samples.map((s) => s.tsNs);
  let maxGap = 0;
  for (let i = 1; i < ts.length; i++) maxGap = Math.max(maxGap, ts[i] - ts[i - 1]);
  t.true(maxGap <= 3 * intervalNs, `largest gap ${(maxGap / 1e6).toFixed(1)} ms`);
  t.true(ts[0] - profile.startNs <= 3 * intervalNs, 'no gap at the start');
  t.true(profile.endNs - ts[ts.length - 1] <= 3 * intervalNs, 'no gap at the end');
  t.is(new Set(ts).size, ts.length, 'no sample twice');
  t.is(after.samplesDroppedQueue, 0);
});
