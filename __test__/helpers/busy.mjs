// Named busy functions for the tests: each spins the CPU for a given time.

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
