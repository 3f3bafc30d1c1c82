// A small CPU-bound program with named hot functions, used by the README's main
// command, by the tests and by the benchmarks. Deterministic: same work every run.

/** Naive recursive Fibonacci: the hottest function by design. */
export function fibonacci(n) {
  return n < 2 ? n : fibonacci(n - 1) + fibonacci(n - 2);
}

/** Sorts pseudo-random numbers (a fixed LCG, so every run sorts the same data). */
export function sortNumbers(count) {
  let seed = 42;
  const data = new Array(count);
  for (let i = 0; i < count; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    data[i] = seed;
  }
  return data.sort((a, b) => a - b)[count >> 1];
}

/** String hashing over many small strings (allocation plus arithmetic). */
export function hashStrings(count) {
  let h = 0;
  for (let i = 0; i < count; i++) {
    const s = `item-${i}-${i * 7}`;
    for (let j = 0; j < s.length; j++) h = (h * 31 + s.charCodeAt(j)) | 0;
  }
  return h;
}

/** Busy-loops in `fn` for about `ms` milliseconds; returns the iterations made. */
export function spinFor(ms, fn = () => fibonacci(15)) {
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) {
    fn();
    n++;
  }
  return n;
}

/** One round of the mixed workload (about `ms` milliseconds of CPU). */
export function runWorkload(ms = 1000) {
  const third = ms / 3;
  spinFor(third * 1.5, () => fibonacci(20));
  spinFor(third, () => sortNumbers(2000));
  spinFor(third * 0.5, () => hashStrings(500));
}
