// A small program with one clearly hottest function, used by `ferroprof run` tests
// and as a quick demo: `npx ferroprof run examples/cpu-hot.mjs [milliseconds]`.
// `hotLoop` burns about 70 % of the time, `warmLoop` about 20 %, `coolLoop` the rest.

/** Square roots in a tight loop: the hottest function by design. */
export function hotLoop(iterations) {
  let x = 0;
  for (let i = 0; i < iterations; i++) x += Math.sqrt(i + x) % 7;
  return x;
}

/** String building and hashing: second hottest. */
export function warmLoop(iterations) {
  let h = 0;
  for (let i = 0; i < iterations; i++) {
    const s = `k${i}`;
    for (let j = 0; j < s.length; j++) h = (h * 31 + s.charCodeAt(j)) | 0;
  }
  return h;
}

/** Array sorting: a little. */
export function coolLoop(count) {
  const a = Array.from({ length: count }, (_, i) => (i * 7919) % count);
  return a.sort((p, q) => p - q)[0];
}

/** Runs the three for about `ms` milliseconds, in slices so each is sampled throughout. */
export function runCpuHot(ms = 1500) {
  const end = performance.now() + ms;
  let sink = 0;
  while (performance.now() < end) {
    const t0 = performance.now();
    while (performance.now() - t0 < 7) sink += hotLoop(20_000);
    const t1 = performance.now();
    while (performance.now() - t1 < 2) sink += warmLoop(500);
    const t2 = performance.now();
    while (performance.now() - t2 < 1) sink += coolLoop(500);
  }
  return sink;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const ms = Number(process.argv[2] ?? 1500);
  const result = runCpuHot(ms);
  console.log(`cpu-hot: done (${Number.isFinite(result) ? 'ok' : 'nan'})`);
}
