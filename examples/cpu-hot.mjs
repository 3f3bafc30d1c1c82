// A small program with one clearly hottest function, used by `ferroprof run` tests
// and as a quick demo: `npx ferroprof run examples/cpu-hot.mjs [milliseconds]`.
// `hotLoop` burns most of the time (about 85 %); `coolLoop` and `warmLoop` a few per cent each.

/** Square roots in a tight loop: the hottest function by design. */
export function hotLoop(iterations) {
  let x = 0;
  for (let i = 0; i < iterations; i++) x += Math.sqrt(i + x) % 7;
  return x;
}

/** String building and hashing: a little (usually third, after coolLoop). */
export function warmLoop(iterations) {
  let h = 0;
  for (let i = 0; i < iterations; i++) {
    const s = `k${i}`;
    for (let j = 0; j < s.length; j++) h = (h * 31 + s.charCodeAt(j)) | 0;
  }
  return h;
}

/** Array sorting: a little (usually second, counting its comparator). */
export function coolLoop(count) {
  const a = Array.from({ length: count }, (_, i) => (i * 7919) % count);
  return a.sort((p, q) => p - q)[0];
}

/** Runs rounds of the three for about `ms` milliseconds; rounds are a few ms each. */
export function runCpuHot(ms = 1500) {
  const end = performance.now() + ms;
  let sink = 0;
  while (performance.now() < end) {
    sink += hotLoop(400_000);
    sink += warmLoop(12_000);
    sink += coolLoop(3_000);
  }
  return sink;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const ms = Number(process.argv[2] ?? 1500);
  const result = runCpuHot(ms);
  console.log(`cpu-hot: done (${Number.isFinite(result) ? 'ok' : 'nan'})`);
}
