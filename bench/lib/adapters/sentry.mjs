// @sentry/node through its public SDK paths, with a transport that counts the envelopes
// instead of sending them, and as its profiling integration either the incumbent's
// nodeProfilingIntegration() (`sentry`) or ferroprof's ferroprofIntegration()
// (`sentry-ferroprof`): the one-line change of docs/SENTRY.md, everything else equal.
import * as Sentry from '@sentry/node';
import { nodeProfilingIntegration } from '@sentry/profiling-node';

import { ensureFerroprofPackage } from '../ferroprof-package.mjs';

async function integrationFor(profiler) {
  if (profiler === 'sentry')
    return { make: () => nodeProfilingIntegration(), hz: 'fixed (V8 default in @sentry/node-cpu-profiler)', stats: () => null };
  ensureFerroprofPackage();
  const { ferroprofIntegration, getProfilerStats } = await import('ferroprof/sentry');
  return { make: () => ferroprofIntegration(), hz: 101, stats: () => getProfilerStats() };
}

// Requests are wrapped explicitly by the benchmark (as for every profiler), so the
// automatic HTTP instrumentations would only add a second transaction per request.
const SKIP = new Set(['Http', 'NodeFetch']);

export async function createSentryAdapter(cfg, calls, wire) {
  const continuous = cfg.mode === 'continuous';
  const profiled = continuous || cfg.mode === 'txn';
  const tracing = cfg.mode === 'tracing' || cfg.mode === 'txn';
  const integration = await integrationFor(cfg.profiler);
  Sentry.init({
    dsn: 'http://public@127.0.0.1:9/1',
    // v11 has no per-transaction profile sampling: profilesSampleRate < 1 is
    // emulated by sampling that share of transactions (trace lifecycle).
    tracesSampleRate: tracing ? (cfg.mode === 'txn' ? cfg.sampleRate : 1) : undefined,
    profileSessionSampleRate: profiled ? 1 : 0,
    profileLifecycle: continuous ? 'manual' : 'trace',
    integrations: (defaults) => [...defaults.filter((i) => !SKIP.has(i.name)), ...(profiled ? [integration.make()] : [])],
    transport: (options) =>
      Sentry.createTransport(options, async (request) => {
        wire.addEnvelope(request.body);
        return { statusCode: 200 };
      }),
  });
  const startSpan = (name, op) => Sentry.startInactiveSpan({ name, op, forceTransaction: true });
  return {
    info: { profiler: cfg.profiler, api: 'sdk', hz: integration.hz },
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
      // What the incumbent's 60 s chunk timer does: stop (encode + send), then start.
      // ferroprof's chunks are cut on the native side, with no call on the JS thread.
      if (!continuous || cfg.profiler === 'sentry-ferroprof') return;
      calls.time('rotate', () => Sentry.profiler.stopProfiler());
      calls.time('rotate', () => Sentry.profiler.startProfiler());
    },
    async stop() {
      if (continuous) calls.time('stop', () => Sentry.profiler.stopProfiler());
      await Sentry.flush(10_000);
      const self = profiled ? integration.stats() : null;
      await Sentry.close(10_000);
      return { self };
    },
  };
}
