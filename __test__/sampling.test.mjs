import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { getSamplerStats, openWindow, startSampling, stopSampling } from '../dist/sampler.js';
import { busyMainFunction, framesNamed, samplesIn } from './helpers/busy.mjs';

const busyFile = fileURLToPath(new URL('./helpers/busy.mjs', import.meta.url));

test.serial('a busy function is found with its file and a line within it, at the configured rate', async (t) => {
  const hz = startSampling(101);
  t.true(Math.abs(hz - 101) < 0.5, `effective frequency ${hz}`);
  const window = openWindow();
  busyMainFunction(300);
  const profile = await window.close();
  stopSampling();

  const frames = framesNamed(profile, 'busyMainFunction');
  t.true(frames.length > 0, 'busyMainFunction is in the frames');
  const frame = frames[0];
  t.is(frame.abs_path, busyFile);
  t.is(frame.in_app, true);
  const lines = readFileSync(busyFile, 'utf8').split('\n');
  const first = lines.findIndex((l) => l.includes('export function busyMainFunction')) + 1;
  const last = first + lines.slice(first).findIndex((l) => l.startsWith('}')) + 1;
  // Frames carry the line executing in the function (docs/ARCHITECTURE.md, "Lines"):
  // where V8 ran code it inlined from another script it names that script's line.
  const inside = frames.filter((f) => f.lineno >= first && f.lineno <= last);
  t.true(inside.length > 0, `lines ${frames.map((f) => f.lineno)} include one within ${first}-${last}`);

  const durationS = (profile.endNs - profile.startNs) / 1e9;
  const expected = durationS * 101;
  const got = profile.samples.length;
  t.true(Math.abs(got - expected) <= 0.3 * expected, `${got} samples, expected ~${expected.toFixed(1)}`);

  const inBusy = samplesIn(profile, 0, 'busyMainFunction');
  t.true(inBusy >= 0.7 * got, `${inBusy}/${got} samples in busyMainFunction`);

  for (let i = 1; i < profile.samples.length; i++) {
    t.true(profile.samples[i].tsNs > profile.samples[i - 1].tsNs, 'timestamps strictly increase');
  }
  t.true(profile.samples.every((s) => s.tsNs >= profile.startNs && s.tsNs <= profile.endNs));
  t.true(profile.complete);
  t.is(profile.threadNames['0'], 'main');
});

test.serial('two overlapping windows share one V8 profile', async (t) => {
  startSampling(101);
  const before = getSamplerStats();
  const a = openWindow();
  busyMainFunction(100);
  const b = openWindow();
  busyMainFunction(100);
  const pa = a.close();
  busyMainFunction(50);
  const pb = b.close();
  const [wa, wb] = await Promise.all([pa, pb]);
  const after = getSamplerStats();
  stopSampling();
  t.is(after.samplerStarts - before.samplerStarts, 0, 'no new V8 profile for the windows');
  t.true(wa.samples.length > 10 && wb.samples.length > 10);
  // The overlap [b.start, a.end] is in both windows, from the same samples.
  const overlap = wa.samples.filter((s) => s.tsNs >= wb.startNs).map((s) => s.tsNs);
  const inB = new Set(wb.samples.map((s) => s.tsNs));
  t.true(overlap.length > 3);
  t.true(overlap.every((ts) => inB.has(ts)));
});

test.serial('windows opened with no sampler running start it once and share it', async (t) => {
  // Let the previous test's sampler stop after its linger time.
  const before = getSamplerStats();
  const a = openWindow();
  const b = openWindow();
  busyMainFunction(60);
  await Promise.all([a.close(), b.close()]);
  const after = getSamplerStats();
  t.true(after.samplerStarts - before.samplerStarts <= 1, 'at most one start for two windows');
});
