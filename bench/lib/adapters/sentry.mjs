// @sentry/node + @sentry/profiling-node through their public SDK paths, with a
// transport that counts the envelopes instead of sending them.
import * as Sentry from '@sentry/node';
import { nodeProfilingIntegration } from '@sentry/profiling-node';

// Requests are wrapped explicitly by the benchmark (as for every profiler), so the
// automatic HTTP instrumentations would only add a second transaction per request.
const SKIP = new Set(['Http', 'NodeFetch']);

export async function createSentryAdapter(cfg, calls, wire) {
  const continuous = cfg.mode === 'continuous';
  const profiled = continuous || cfg.mode === 'txn';
  const tracing = cfg.mode === 'tracing' || cfg.mode === 'txn';
  Sentry.init({
    dsn: 'http://public@127.0.0.1:9/1',
    // v11 has no per-transaction profile sampling: profilesSampleRate < 1 is
    // emulated by sampling that share of transactions (trace lifecycle).
    tracesSampleRate: tracing ? (cfg.mode === 'txn' ? cfg.sampleRate : 1) : undefined,
    profileSessionSampleRate: profiled ? 1 : 0,
    profileLifecycle: continuous ? 'manual' : 'trace',
    integrations: (defaults) => [
      ...defaults.filter((i) => !SKIP.has(i.name)),
      ...(profiled ? [nodeProfilingIntegration()] : []),
    ],
    transport: (options) =>
      Sentry.createTransport(options, async (request) => {
        wire.addEnvelope(request.body);
        return { statusCode: 200 };
      }),
  });
  const startSpan = (name, op) =>
    Sentry.startInactiveSpan({ name, op, forceTransaction: true });
  return {
    info: { profiler: 'sentry', api: 'sdk', hz: 'fixed (V8 default in @sentry/node-cpu-profiler)' },
    // Its integration cuts chunks on its own 60 s timer.
    externalRotation: false,
    start() {
      if (continuous) calls.time('start', () => Sentry.profiler.startProfiler());
    },
    txn(name, fn) {
      if (!tracing) return fn();
      const span = calls.time('txnStart', () => startSpan(name, 'bench'));
      try {
        return fn();
      } finally {
        calls.time('txnFinish', () => span.end());
      }
    },
    async txnAsync(name, fn) {
      if (!tracing) return fn();
      const span = calls.time('txnStart', () => startSpan(name, 'http.server'));
      try {
        return await fn();
      } finally {
        calls.time('txnFinish', () => span.end());
      }
    },
    rotate() {
      // What the integration's 60 s chunk timer does: stop (encode + send), then start.
      if (!continuous) return;
      calls.time('rotate', () => Sentry.profiler.stopProfiler());
      calls.time('rotate', () => Sentry.profiler.startProfiler());
    },
    async stop() {
      if (continuous) calls.time('stop', () => Sentry.profiler.stopProfiler());
      await Sentry.flush(10_000);
      await Sentry.close(10_000);
      return { self: null };
    },
  };
}
