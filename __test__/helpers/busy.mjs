// Named busy functions for the tests: each spins the CPU for a given time.
import { readFileSync } from 'node:fs';

/** Spins for `ms` milliseconds inside a function the tests look for by name. */
export function busyMainFunction(ms) {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x += Math.sqrt(x + 1);
  return x;
}

/** Spins in slices of `sliceMs`, yielding to the event loop between slices. */
export async function busyWithYields(totalMs, sliceMs = 10) {
  const end = performance.now() + totalMs;
  while (performance.now() < end) {
    busyMainFunction(sliceMs);
    await new Promise((r) => setImmediate(r));
  }
}

/** Names of the leaf frames of every sample of a thread. */
export function leafNames(profile, threadId) {
  return profile.samples
    .filter((s) => s.threadId === threadId)
    .map((s) => profile.frames[profile.stacks[s.stackId][0]]?.function)
    .filter(Boolean);
}

/** For each sample of a thread, the function names on its stack (leaf first). */
export function stackNames(profile, threadId) {
  return profile.samples
    .filter((s) => s.threadId === threadId)
    .map((s) => profile.stacks[s.stackId].map((i) => profile.frames[i]?.function));
}

/** How many samples of a thread have `name` anywhere on their stack. */
export function samplesIn(profile, threadId, name) {
  return stackNames(profile, threadId).filter((names) => names.includes(name)).length;
}

/** Every frame of a given function name that appears in the profile. */
export function framesNamed(profile, name) {
  return profile.frames.filter((f) => f.function === name);
}

/**
 * CPU time of the calling thread so far, in ms (Linux: /proc/thread-self/stat, clock
 * ticks of 10 ms); the process's elsewhere. On a loaded machine a busy thread gets a
 * share of a core, and V8 samples it only while it runs: bounds on sample counts are
 * derived from this, not from the wall clock.
 */
export function threadCpuMs() {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  }
}

/**
 * Spins until this thread has had `ms` of CPU (10 ms resolution on Linux), so that a
 * loaded machine, which gives it a share of a core, still gets the samples `ms` of
 * work holds; at most `20 × ms` of wall time.
 */
export function busyCpu(ms) {
  const start = threadCpuMs();
  const wallEnd = performance.now() + 20 * ms;
  let x = 0;
  while (threadCpuMs() - start < ms && performance.now() < wallEnd) {
    for (let i = 0; i < 10_000; i++) x += Math.sqrt(x + 1);
  }
  return x;
}

/**
 * `more()` is true until this thread has had `ms` of CPU (or `20 × ms` of wall time
 * passed); checked every 2000 calls, so a spin loop stays in its own function. Named
 * busy functions spin on it so that a loaded machine still gives them their samples.
 */
export function cpuBudget(ms) {
  const start = threadCpuMs();
  const wallEnd = performance.now() + 20 * ms;
  let calls = 0;
  let going = true;
  return () => {
    if (going && ++calls % 2000 === 0) going = threadCpuMs() - start < ms && performance.now() < wallEnd;
    return going;
  };
}
