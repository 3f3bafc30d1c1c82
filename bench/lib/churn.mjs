// The function churn of bench/churn.mjs and bench/churn-live.mjs: a service-like loop
// that compiles new functions (templating, `new Function`, eval-heavy libraries do).

/** One 20 ms slice's worth at `rate` new functions/s (each called a few times, so sampled). */
export function churnSlice(rate, state) {
  const n = Math.max(1, Math.round(rate / 50));
  let acc = 0;
  for (let i = 0; i < n; i++) {
    const k = state.i++;
    const f = new Function('x', `return (x * ${k % 97}) ^ ${k}; // ${k}`);
    for (let j = 0; j < 4; j++) acc += f(j);
  }
  // Some ordinary allocation too, as a service has.
  state.keep = Array.from({ length: 2000 }, (_, i) => ({ i, s: `v${i}${acc & 7}` }));
  return acc;
}
