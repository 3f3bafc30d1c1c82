/**
 * ferroprof — a sampling CPU profiler for Node.js with a Rust core, with the profiling
 * API of Sentry's Python SDK in TypeScript.
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
export type { Experiments, Options, ProfilerMode, Sampler, SamplingContext, TransactionContext } from './sdk/options.js';
export type { ProfileOutcome } from './sdk/profile.js';
export { GeventScheduler, Scheduler, SleepScheduler, ThreadScheduler } from './sdk/schedulers.js';
export type { SchedulerOptions } from './sdk/schedulers.js';
export { Span, Transaction } from './sdk/span.js';
export type { MeasurementUnit, SpanContext, SpanStatus } from './sdk/span.js';

// The low-level sampler API, for embedding SDKs and tools.
export {
  DEFAULT_FREQUENCY_HZ,
  MAX_FREQUENCY_HZ,
  MIN_FREQUENCY_HZ,
  closeWindow,
  closeWindowSync,
  configureSampler,
  flush as flushSampler,
  getSamplerStats,
  isSampling,
  monotonicNowNs,
  openWindow,
  profilerBackend,
  startSampling,
  stopSampling,
  validateEnvelope,
  validateFrequency,
} from './sampler.js';
export type {
  NativeConfig,
  ProfileFrame,
  ProfileWindow,
  SamplerStats,
  ValidatedEnvelope,
  VmState,
  WindowProfile,
  WindowSample,
} from './sampler.js';
export { NativeBindingError, binaryFileName, loadNativeBinding } from './loader.js';
export { formatTopTable, topFunctions } from './report.js';
export type { FunctionCost } from './report.js';
export { nodeAbi, platformTag } from './platform.js';
export * from './transport/index.js';
