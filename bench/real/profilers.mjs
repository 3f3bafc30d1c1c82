// Each profiler through the path a user takes, at a given frequency. `--cpu-prof` needs
// no code: the parent passes Node's flags (see FLAGS in real.mjs).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dist = new URL('../../dist/', import.meta.url);
const syncWrap = (_name, fn) => fn();

/** `{ wrap(name, fn), stop() }` for one profiler; `wrap` profiles a unit where the profiler binds to transactions. */
export async function setup(profiler, hz, native) {
  switch (profiler) {
    case 'none':
    case 'cpu-prof':
      return { wrap: syncWrap, stop: async () => null };
    case 'ferroprof':
    case 'ferroprof-txn':
    case 'ferroprof-tracing': {
      // ferroprof-tracing: every unit a transaction, none profiled. It is the baseline
      // of ferroprof-txn's profiling cost: both write every transaction (local mode
      // writes and fsyncs one file per envelope), which the profilers without tracing
      // do not do.
      const sdk = await import(new URL('index.js', dist).href);
      const continuous = profiler === 'ferroprof';
      // Local mode, as a user without a DSN runs it (writes envelopes under localDir).
      sdk.init({
        localDir: mkdtempSync(join(tmpdir(), 'ferroprof-bench-')),
        tracesSampleRate: continuous ? 0 : 1,
        profilesSampleRate: profiler === 'ferroprof-txn' ? 1 : 0,
        _experiments: {
          profilerMode: continuous ? 'continuous' : 'thread',
          continuousProfilingAutoStart: false,
          profilerSchedulerFrequency: hz,
        },
      });
      if (native) (await import(new URL('sampler.js', dist).href)).configureSampler(native);
      if (continuous) sdk.startProfiler();
      const wrap = continuous
        ? syncWrap
        : (name, fn) => {
            const t = sdk.startTransaction({ name, op: 'bench' });
            let out;
            try {
              out = fn();
            } catch (err) {
              t.finish();
              throw err;
            }
            if (out && typeof out.then === 'function') return out.finally(() => t.finish());
            t.finish();
            return out;
          };
      return {
        wrap,
        stop: async () => {
          if (continuous) sdk.stopProfiler();
          const stats = sdk.getProfilerStats?.();
          await sdk.close(10_000);
          return stats
            ? {
                jsNsMax: stats.jsNsMax,
                bytesHeld: stats.bytesHeld,
                samplesHeld: stats.samplesHeld,
                deliveredHz: stats.deliveredHz,
              }
            : null;
        },
      };
    }
    case 'ferroprof-sampler': {
      const s = await import(new URL('sampler.js', dist).href);
      if (native) s.configureSampler(native);
      s.startSampling(hz);
      return {
        wrap: syncWrap,
        stop: async () => {
          const stats = s.getSamplerStats?.();
          s.stopSampling();
          return stats ? { jsNsMax: stats.jsNsMax, bytesHeld: stats.bytesHeld } : null;
        },
      };
    }
    case 'sentry': {
      const { initSentryManual } = await import('../lib/sentry-manual.mjs');
      const Sentry = await initSentryManual();
      Sentry.profiler.startProfiler();
      return {
        wrap: syncWrap,
        stop: async () => {
          Sentry.profiler.stopProfiler();
          await Sentry.flush(10_000);
          return null;
        },
      };
    }
    case 'datadog': {
      const pprof = await import('@datadog/pprof');
      pprof.time.start({ intervalMicros: Math.round(1e6 / hz) });
      return {
        wrap: syncWrap,
        stop: async () => {
          await pprof.encode(pprof.time.stop());
          return null;
        },
      };
    }
    default:
      throw new Error(`unknown profiler ${profiler}`);
  }
}
