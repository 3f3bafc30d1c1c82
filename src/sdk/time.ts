import { clockAnchor } from '../sampler.js';

let anchor: { monoNs: bigint; unixNs: bigint } | null | undefined;

/**
 * Now as Unix seconds (Sentry's timestamp form). Computed from the same pairing of
 * the monotonic clock with wall-clock time that profiles use, so a transaction's
 * start and end agree with its samples to the microsecond. `process.hrtime` reads
 * the monotonic clock V8 stamps samples with.
 */
export function nowSeconds(): number {
  if (anchor === undefined) {
    const a = clockAnchor();
    anchor = a ? { monoNs: BigInt(Math.round(a[0])), unixNs: BigInt(Math.round(a[1])) } : null;
  }
  if (anchor === null) return Date.now() / 1000;
  const unixNs = anchor.unixNs + (process.hrtime.bigint() - anchor.monoNs);
  return Number(unixNs / 1000n) / 1e6;
}
