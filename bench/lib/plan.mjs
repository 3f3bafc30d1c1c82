// Which variants each scenario runs, and the sizes of quick / full / long runs.

export const ALL_SCENARIOS = ['steady', 'short', 'http', 'stalls', 'memory', 'wire'];

/** Scenario sizes by run mode. */
export function sizes({ quick, long }) {
  return {
    steady: { units: quick ? 8000 : 14000 },
    short: { transactions: quick ? 1000 : 1500 },
    http: { durationS: quick ? 4 : 6, warmupS: 1, connections: 8 },
    stalls: { slices: quick ? 800 : 1500, rotateMs: 500 },
    memory: {
      durationMs: long ? 600_000 : quick ? 20_000 : 60_000,
      chunkMs: 60_000,
      snapshotMs: long ? 30_000 : 5_000,
      unitsPerTick: 20,
      tickMs: 40,
    },
  };
}

const v = (id, profiler, mode, extra = {}) => ({ id, profiler, mode, hz: 101, sampleRate: 1, ...extra });

/** Variants of one scenario; the first is that scenario's no-profiler baseline. */
export function variants(scenario, profilers) {
  const has = (p) => profilers.includes(p);
  const list = {
    steady: [
      v('none', 'none', 'none'),
      ...(has('ferroprof')
        ? [
            v('ferroprof continuous 101 Hz', 'ferroprof', 'continuous'),
            v('ferroprof continuous 1001 Hz', 'ferroprof', 'continuous', { hz: 1001 }),
            v('ferroprof transaction', 'ferroprof', 'txn'),
          ]
        : []),
      ...(has('sentry') ? [v('sentry continuous', 'sentry', 'continuous'), v('sentry transaction', 'sentry', 'txn')] : []),
      ...(has('sentry-ferroprof')
        ? [
            v('sentry-ferroprof continuous', 'sentry-ferroprof', 'continuous'),
            v('sentry-ferroprof transaction', 'sentry-ferroprof', 'txn'),
          ]
        : []),
      ...(has('datadog')
        ? [
            v('datadog continuous 101 Hz', 'datadog', 'continuous'),
            v('datadog continuous 1001 Hz', 'datadog', 'continuous', { hz: 1001 }),
            v('datadog transaction (span label)', 'datadog', 'txn'),
          ]
        : []),
    ],
    short: [
      v('none', 'none', 'none'),
      ...(has('ferroprof')
        ? [
            v('ferroprof tracing only', 'ferroprof', 'tracing'),
            v('ferroprof every txn profiled', 'ferroprof', 'txn'),
            // At 101 Hz a 1–5 ms transaction holds 0–1 samples and is not sent (too short);
            // at 1001 Hz most are sent, so the whole path (slicing, encoding, sending) is paid.
            v('ferroprof every txn profiled 1001 Hz', 'ferroprof', 'txn', { hz: 1001 }),
          ]
        : []),
      ...(has('sentry') ? [v('sentry tracing only', 'sentry', 'tracing'), v('sentry every txn profiled', 'sentry', 'txn')] : []),
      ...(has('sentry-ferroprof')
        ? [
            v('sentry-ferroprof tracing only', 'sentry-ferroprof', 'tracing'),
            v('sentry-ferroprof every txn profiled', 'sentry-ferroprof', 'txn'),
          ]
        : []),
      ...(has('datadog') ? [v('datadog every txn labelled', 'datadog', 'txn')] : []),
    ],
    http: [
      v('none', 'none', 'none'),
      ...(has('ferroprof')
        ? [
            v('ferroprof tracing only', 'ferroprof', 'tracing'),
            v('ferroprof continuous', 'ferroprof', 'continuous'),
            v('ferroprof rate 1', 'ferroprof', 'txn'),
            v('ferroprof rate 0.1', 'ferroprof', 'txn', { sampleRate: 0.1 }),
          ]
        : []),
      ...(has('sentry')
        ? [
            v('sentry tracing only', 'sentry', 'tracing'),
            v('sentry continuous', 'sentry', 'continuous'),
            v('sentry rate 1', 'sentry', 'txn'),
            v('sentry rate 0.1', 'sentry', 'txn', { sampleRate: 0.1 }),
          ]
        : []),
      ...(has('sentry-ferroprof')
        ? [
            v('sentry-ferroprof tracing only', 'sentry-ferroprof', 'tracing'),
            v('sentry-ferroprof continuous', 'sentry-ferroprof', 'continuous'),
            v('sentry-ferroprof rate 1', 'sentry-ferroprof', 'txn'),
            v('sentry-ferroprof rate 0.1', 'sentry-ferroprof', 'txn', { sampleRate: 0.1 }),
          ]
        : []),
      ...(has('datadog')
        ? [v('datadog continuous', 'datadog', 'continuous'), v('datadog rate 1 (span label)', 'datadog', 'txn')]
        : []),
    ],
    stalls: [v('none', 'none', 'none'), ...profilers.map((p) => v(`${p} continuous`, p, 'continuous'))],
    // The SDKs' own footprint (profiling off) separates the profiler from the SDK.
    memory: [
      v('none', 'none', 'none'),
      ...profilers.filter((p) => p !== 'datadog').map((p) => v(`${p} SDK, profiling off`, p, 'tracing')),
      ...profilers.map((p) => v(`${p} continuous 101 Hz`, p, 'continuous')),
    ],
  };
  return list[scenario];
}

/** The tracing-only variant an SDK's profiled variant is compared with. */
export function tracingBaseline(scenario, variant) {
  if (scenario !== 'short' && scenario !== 'http') return 'none';
  if (variant.profiler === 'ferroprof') return 'ferroprof tracing only';
  if (variant.profiler === 'sentry') return 'sentry tracing only';
  if (variant.profiler === 'sentry-ferroprof') return 'sentry-ferroprof tracing only';
  return 'none';
}
