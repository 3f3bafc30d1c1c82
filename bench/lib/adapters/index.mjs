// Picks the adapter for a variant. Every adapter has the same shape:
// start() / txn(name, fn) / txnAsync(name, fn) / rotate() / stop() -> { self }.
export async function createAdapter(cfg, calls, wire) {
  switch (cfg.profiler) {
    case 'none':
      return (await import('./none.mjs')).createNoneAdapter();
    case 'ferroprof':
      return (await import('./ferroprof.mjs')).createFerroprofAdapter(cfg, calls, wire);
    case 'sentry':
    case 'sentry-ferroprof':
      return (await import('./sentry.mjs')).createSentryAdapter(cfg, calls, wire);
    case 'datadog':
      return (await import('./datadog.mjs')).createDatadogAdapter(cfg, calls, wire);
    default:
      throw new Error(`unknown profiler ${cfg.profiler}`);
  }
}
