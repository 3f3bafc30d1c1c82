/**
 * `ferroprof` — the SDK: a sampling CPU profiler for Node.js with a Rust core, with the
 * profiling API of Sentry's Python SDK in TypeScript. Only what an application uses:
 * `init`, transactions and spans, transaction profiles, continuous sessions, stats.
 *
 * @packageDocumentation
 */
export {
  Profile,
  close,
  flush,
  getActiveSpan,
  getClient,
  getProfilerStats,
  init,
  startProfileSession,
  startProfiler,
  startSpan,
  startTransaction,
  stopProfileSession,
  stopProfiler,
  withSpan,
  withTransaction,
} from './sdk/api.js';
export type { Client, ProfilerStats, SdkCounters } from './sdk/client.js';
export type { Experiments, Options, ProfilerMode, SamplingContext, SamplingFunction, TransactionContext } from './sdk/options.js';
export type { ProfileOutcome } from './sdk/profile.js';
export type { RejectionReason } from './native-types.js';
export { GeventScheduler, Scheduler, SleepScheduler, ThreadScheduler } from './sdk/schedulers.js';
export type { SchedulerOptions } from './sdk/schedulers.js';
export { Span, Transaction } from './sdk/span.js';
export type { MeasurementUnit, SpanContext, SpanStatus } from './sdk/span.js';

// The low-level API is `ferroprof/sampler`, transports and the envelope model are
// `ferroprof/transport`, the envelope validator is `ferroprof/testing`.
export type { EnvelopeCallback, EnvelopeInfo, Transport } from './transport/index.js';
