// A continuous session over sliced work, with chunk rotations every `rotateMs`:
// the JS-thread time of start / rotation / stop, and the event-loop delay.
import { shortTransactionWork, yieldToLoop } from '../workload.mjs';

export async function stalls(cfg, adapter) {
  adapter.start();
  // The profiler's own counters after the (one-off) start, to tell rotations from it.
  const selfAfterStart = adapter.statsSnapshot?.() ?? null;
  const t0 = performance.now();
  let nextRotate = t0 + cfg.rotateMs;
  for (let i = 0; i < cfg.slices; i++) {
    shortTransactionWork(i);
    // Incumbents cut chunks when told (their own timers use 60 s); ferroprof rotates
    // on its native schedule and its rotate() is a no-op.
    if (performance.now() >= nextRotate) {
      adapter.rotate();
      nextRotate += cfg.rotateMs;
    }
    await yieldToLoop();
  }
  return { wallMs: performance.now() - t0, selfAfterStart };
}
