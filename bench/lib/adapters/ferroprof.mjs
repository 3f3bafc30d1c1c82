// ferroprof through its SDK when dist/ exports one (`init`, `startTransaction`, ...),
// otherwise through the low-level sampler API (startSampling / openWindow).
import { gzipSync } from 'node:zlib';

// The SDK (`ferroprof`) and the low-level API (`ferroprof/sampler`); the SDK's `flush` wins.
const mod = { ...(await import('../../../dist/sampler.js')), ...(await import('../../../dist/index.js')) };

/** True when the built package exposes the Sentry-style SDK. */
export const hasSdk =
  typeof mod.init === 'function' && typeof mod.startTransaction === 'function' && typeof mod.startProfiler === 'function';

function finishTxn(t) {
  if (typeof t.finish === 'function') return t.finish();
  return t.end();
}

function pickSelfStats(s) {
  if (!s) return null;
  const keys = [
    'jsCalls',
    'jsNsTotal',
    'jsNsMax',
    'jsNsP50',
    'jsNsP99',
    'bytesHeld',
    'samplesHeld',
    'samplesIngested',
    'samplesDroppedQueue',
    'samplesDroppedCapacity',
    'rotations',
    'samplerStarts',
    'profilesSent',
    'profilesTooShort',
    'chunksSent',
    'envelopesSent',
    'bytesSent',
  ];
  const out = {};
  for (const k of keys) if (k in s) out[k] = s[k];
  return out;
}

async function createSdkAdapter(cfg, calls, wire) {
  const continuous = cfg.mode === 'continuous';
  mod.init({
    tracesSampleRate: cfg.mode === 'tracing' || cfg.mode === 'txn' ? 1 : 0,
    profilesSampleRate: cfg.mode === 'txn' ? cfg.sampleRate : 0,
    transport: (envelope) => {
      wire.addEnvelope(envelope);
    },
    _experiments: {
      profilerMode: continuous ? 'continuous' : 'thread',
      continuousProfilingAutoStart: false,
      profilerSchedulerFrequency: cfg.hz,
      ...(cfg.chunkMs ? { chunkDurationMs: cfg.chunkMs } : {}),
    },
  });
  const tracing = cfg.mode === 'tracing' || cfg.mode === 'txn';
  return {
    info: { profiler: 'ferroprof', api: 'sdk', hz: cfg.hz },
    externalRotation: false,
    start() {
      if (continuous) calls.time('start', () => mod.startProfiler());
    },
    txn(name, fn) {
      if (!tracing) return fn();
      const t = calls.time('txnStart', () => mod.startTransaction({ name, op: 'bench' }));
      try {
        return fn();
      } finally {
        calls.time('txnFinish', () => finishTxn(t));
      }
    },
    async txnAsync(name, fn) {
      if (!tracing) return fn();
      const t = calls.time('txnStart', () => mod.startTransaction({ name, op: 'http.server' }));
      try {
        return await fn();
      } finally {
        calls.time('txnFinish', () => finishTxn(t));
      }
    },
    rotate() {
      // Rotation is internal (the native scheduler); its cost is in the jsNs stats.
    },
    statsSnapshot() {
      return pickSelfStats(mod.getProfilerStats?.());
    },
    async stop() {
      if (continuous) {
        let p;
        calls.time('stop', () => {
          p = mod.stopProfiler();
        });
        await p;
      }
      await mod.flush(10_000);
      const self = pickSelfStats(mod.getProfilerStats?.());
      await mod.close(10_000);
      return { self };
    },
  };
}

async function createLowLevelAdapter(cfg, calls, wire) {
  const continuous = cfg.mode === 'continuous';
  const profiled = cfg.mode === 'txn';
  const pending = [];
  let session;
  // Window profiles stand in for envelopes: gzipped JSON of frames, stacks and samples,
  // counted after the run so that gzip does not land on the measured JS thread.
  const profiles = [];
  const countProfile = (p) => {
    profiles.push(p);
  };
  let txnCount = 0;
  return {
    info: { profiler: 'ferroprof', api: 'low-level', hz: cfg.hz },
    externalRotation: false,
    start() {
      if (!continuous) return;
      calls.time('start', () => {
        mod.startSampling(cfg.hz);
        session = mod.openWindow();
      });
    },
    txn(_name, fn) {
      if (!profiled || (cfg.sampleRate < 1 && txnCount++ % Math.round(1 / cfg.sampleRate) !== 0)) return fn();
      const w = calls.time('txnStart', () => mod.openWindow());
      try {
        return fn();
      } finally {
        calls.time('txnFinish', () => pending.push(w.close().then(countProfile, () => {})));
      }
    },
    async txnAsync(_name, fn) {
      if (!profiled || (cfg.sampleRate < 1 && txnCount++ % Math.round(1 / cfg.sampleRate) !== 0)) return fn();
      const w = calls.time('txnStart', () => mod.openWindow());
      try {
        return await fn();
      } finally {
        calls.time('txnFinish', () => pending.push(w.close().then(countProfile, () => {})));
      }
    },
    rotate() {},
    statsSnapshot() {
      return pickSelfStats(mod.getSamplerStats());
    },
    async stop() {
      if (continuous) {
        let p;
        calls.time('stop', () => {
          p = session.close();
        });
        countProfile(await p);
        mod.stopSampling();
      }
      await Promise.all(pending);
      for (const p of profiles) wire.addPprof(gzipSync(JSON.stringify(p)), p.samples.length);
      const self = pickSelfStats(mod.getSamplerStats());
      return { self };
    },
  };
}

export async function createFerroprofAdapter(cfg, calls, wire) {
  if (cfg.mode === 'continuous' || cfg.mode === 'txn') {
    mod.configureSampler?.({ rotationIntervalMs: cfg.rotationMs ?? 500 });
  }
  // FERROPROF_BENCH_API=low-level measures the sampler API even when the SDK exists.
  const useSdk = hasSdk && process.env.FERROPROF_BENCH_API !== 'low-level';
  return useSdk ? createSdkAdapter(cfg, calls, wire) : createLowLevelAdapter(cfg, calls, wire);
}
