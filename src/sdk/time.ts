import { clockAnchor } from '../binding.js';

// Unix seconds at `performance.now() === 0`, from the process's pairing of the
// monotonic clock with wall-clock time that profiles use. `performance.now()` reads
// the same monotonic clock V8 stamps samples with (libuv's hrtime), so a
// transaction's start and end agree with its samples to the microsecond, and one
// read plus an addition is all a timestamp costs (BigInt arithmetic cost ~10× more).
let originSeconds: number | undefined;

function origin(): number {
  if (originSeconds !== undefined) return originSeconds;
  const a = clockAnchor();
  if (!a) {
    originSeconds = (Date.now() - performance.now()) / 1000;
  } else {
    // The monotonic nanoseconds at performance.now() === 0, from readings on both
    // sides of one hrtime read. The first performance.now() of a process is slow
    // (~1 ms, perf_hooks loads): unwarmed, it put transactions 1 ms early.
    performance.now();
    const before = performance.now();
    const hr = Number(process.hrtime.bigint());
    const after = performance.now();
    const monoAtZeroNs = hr - ((before + after) / 2) * 1e6;
    originSeconds = (a[1] - a[0] + monoAtZeroNs) / 1e9;
  }
  return originSeconds;
}

/** Now as Unix seconds, to the microsecond (Sentry's timestamp form). */
export function nowSeconds(): number {
  return Math.round((origin() + performance.now() / 1000) * 1e6) / 1e6;
}

let isoSecond = -1;
let isoPrefix = '';

/** Now as an RFC 3339 timestamp with milliseconds (`2026-12-01T09:37:28.123Z`). */
export function isoTimestamp(): string {
  const ms = Date.now();
  const second = Math.floor(ms / 1000);
  if (second !== isoSecond) {
    // `toISOString` costs ~0.5 µs; the date and time up to the second change once a second.
    isoSecond = second;
    isoPrefix = new Date(second * 1000).toISOString().slice(0, 20);
  }
  return `${isoPrefix}${String(ms - second * 1000).padStart(3, '0')}Z`;
}
