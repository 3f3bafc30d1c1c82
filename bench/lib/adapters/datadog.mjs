// @datadog/pprof's wall-time profiler, driven the way dd-trace drives it: one
// continuous profile cut every period with stop(true), encoded (gzipped pprof) for upload.
// "Transaction" profiling is dd-trace's span context: a label set on the sampler.
import * as pprof from '@datadog/pprof';

function sampleCount(profile) {
  let n = 0;
  for (const s of profile.sample ?? []) n += Number(s.value?.[0] ?? 0);
  return n;
}

export async function createDatadogAdapter(cfg, calls, wire) {
  const profiled = cfg.mode === 'continuous' || cfg.mode === 'txn';
  const withContexts = cfg.mode === 'txn';
  const pending = [];
  const ship = (profile) => {
    pending.push(pprof.encode(profile).then((buf) => wire.addPprof(buf, sampleCount(profile))));
  };
  let txnCount = 0;
  const labelled = () => cfg.sampleRate >= 1 || txnCount++ % Math.round(1 / cfg.sampleRate) === 0;
  return {
    info: { profiler: 'datadog', api: 'pprof time profiler', hz: cfg.hz },
    // dd-trace's exporter cuts the profile every period; here the benchmark does.
    externalRotation: true,
    start() {
      if (!profiled) return;
      calls.time('start', () =>
        pprof.time.start({
          intervalMicros: Math.round(1e6 / cfg.hz),
          durationMillis: cfg.chunkMs ?? 60_000,
          withContexts,
        }),
      );
    },
    txn(name, fn) {
      if (!withContexts || !labelled()) return fn();
      calls.time('txnStart', () => pprof.time.setContext({ name, span: txnCount }));
      try {
        return fn();
      } finally {
        calls.time('txnFinish', () => pprof.time.setContext({}));
      }
    },
    async txnAsync(name, fn) {
      if (!withContexts || !labelled()) return fn();
      calls.time('txnStart', () => pprof.time.setContext({ name, span: txnCount }));
      try {
        return await fn();
      } finally {
        calls.time('txnFinish', () => pprof.time.setContext({}));
      }
    },
    rotate() {
      if (!profiled) return;
      ship(calls.time('rotate', () => pprof.time.stop(true)));
    },
    async stop() {
      if (profiled) ship(calls.time('stop', () => pprof.time.stop()));
      await Promise.all(pending);
      return { self: null };
    },
  };
}
