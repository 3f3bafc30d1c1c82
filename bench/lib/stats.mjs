// Small statistics helpers: medians and percentiles of plain number arrays.

/** The q-quantile (0..1) of `values` by nearest rank; NaN for an empty array. */
export function quantile(values, q) {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx];
}

export function median(values) {
  const v = values.filter((x) => Number.isFinite(x));
  if (!v.length) return NaN;
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function summarize(values) {
  return {
    n: values.length,
    p50: quantile(values, 0.5),
    p99: quantile(values, 0.99),
    max: values.length ? Math.max(...values) : NaN,
  };
}

/** RSS growth in MB per minute over the second half of `{ t (s), rssMb }` readings; NaN with fewer than two. */
export function rssGrowthPerMinute(readings) {
  const half = readings.slice(Math.floor(readings.length / 2));
  if (half.length < 2) return NaN;
  const a = half[0];
  const b = half[half.length - 1];
  return ((b.rssMb - a.rssMb) / (b.t - a.t)) * 60;
}
