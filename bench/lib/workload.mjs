// Deterministic CPU-bound work for the benchmarks: a fixed amount of work per call
// (never "spin for N ms"), so that a slower run means real overhead. Built from the
// named functions of the bundled example workload so profiles show recognisable frames.
import { fibonacci, hashStrings, sortNumbers } from '../../examples/workload.mjs';

let sink = 0;

/** One unit of mixed work, about 0.5 ms on a 2026 server core. */
export function workUnit(i) {
  sink ^= fibonacci(19 + (i % 3));
  sink ^= sortNumbers(300 + (i % 5) * 40);
  sink ^= hashStrings(60);
  return sink;
}

/** `units` units of work in one synchronous stretch (the steady scenario). */
export function steadyWorkload(units) {
  for (let i = 0; i < units; i++) workUnit(i);
  return sink;
}

/**
 * Size, in units, of short transaction number `i`: a fixed LCG walk over 2–10 units
 * (about 1–5 ms), the same sequence in every process.
 */
export function shortTransactionUnits(i) {
  const x = (Math.imul(i + 1, 1103515245) + 12345) >>> 0;
  return 2 + ((x >>> 16) % 9);
}

/** The CPU part of one short transaction. */
export function shortTransactionWork(i) {
  const units = shortTransactionUnits(i);
  for (let u = 0; u < units; u++) workUnit(i + u);
  return sink;
}

/** Yields to the event loop (lets timers, I/O and profiler callbacks run). */
export function yieldToLoop() {
  return new Promise((resolve) => setImmediate(resolve));
}
