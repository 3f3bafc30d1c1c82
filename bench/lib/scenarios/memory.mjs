// Continuous profiling of a lightly loaded process for `durationMs`: RSS and heap
// over time (after a GC when --expose-gc is on), and the bytes sent meanwhile.
import { steadyWorkload } from '../workload.mjs';
import { setTimeout as sleep } from 'node:timers/promises';

function snapshot(t0) {
  globalThis.gc?.();
  const m = process.memoryUsage();
  return {
    s: Math.round((performance.now() - t0) / 1000),
    rssMb: m.rss / 2 ** 20,
    heapMb: m.heapUsed / 2 ** 20,
    externalMb: m.external / 2 ** 20,
  };
}

export async function memory(cfg, adapter) {
  adapter.start();
  const t0 = performance.now();
  const series = [];
  let nextSnap = t0;
  let nextRotate = t0 + cfg.chunkMs;
  while (performance.now() - t0 < cfg.durationMs) {
    steadyWorkload(cfg.unitsPerTick); // about 20 % of one core
    if (adapter.externalRotation && performance.now() >= nextRotate) {
      adapter.rotate();
      nextRotate += cfg.chunkMs;
    }
    if (performance.now() >= nextSnap) {
      series.push(snapshot(t0));
      nextSnap += cfg.snapshotMs;
    }
    await sleep(cfg.tickMs);
  }
  const last = snapshot(t0);
  series.push(last);
  return {
    wallMs: performance.now() - t0,
    series,
    rssMb: last.rssMb,
    heapMb: last.heapMb,
    durationMs: cfg.durationMs,
  };
}
