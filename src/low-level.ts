/**
 * `ferroprof/sampler` — the low-level API, for embedding SDKs and tools: start the
 * isolate's V8 sampler, open and close time windows over it, read its counters, and
 * rank a window's functions. Applications use the SDK (`ferroprof`) instead.
 *
 * @packageDocumentation
 */
export {
  DEFAULT_FREQUENCY_HZ,
  MAX_FREQUENCY_HZ,
  MIN_FREQUENCY_HZ,
  closeWindow,
  closeWindowSync,
  configureSampler,
  flush,
  getSamplerStats,
  isSampling,
  monotonicNowNs,
  openWindow,
  profilerBackend,
  startSampling,
  stopSampling,
  validateFrequency,
} from './sampler.js';
export type {
  NativeConfig,
  ProfileFrame,
  ProfileWindow,
  SamplerStats,
  VmState,
  WindowProfile,
  WindowSample,
} from './sampler.js';
export { NativeBindingError } from './loader.js';
export { formatTopTable, topFunctions } from './report.js';
export type { FunctionCost } from './report.js';
