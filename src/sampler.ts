/**
 * `ferroprof/sampler` — the low-level API, for embedding SDKs and tools: start the
 * isolate's V8 sampler, open and close time windows over it, read its counters, and
 * rank a window's functions. Applications use the SDK (`ferroprof`) instead.
 *
 * @packageDocumentation
 */
import { handOverSamples } from './binding.js';

export {
  DEFAULT_FREQUENCY_HZ,
  MAX_FREQUENCY_HZ,
  MIN_FREQUENCY_HZ,
  closeWindow,
  closeWindowSync,
  configureSampler,
  getSamplerStats,
  handOverSamples,
  isSampling,
  monotonicNowNs,
  openWindow,
  profilerBackend,
  startSampling,
  stopSampling,
  validateFrequency,
} from './binding.js';
export type {
  NativeConfig,
  ProfileFrame,
  ProfileWindow,
  SamplerStats,
  VmState,
  WindowProfile,
  WindowSample,
} from './binding.js';
export { NativeBindingError } from './loader.js';
export { formatTopTable, topFunctions } from './report.js';
export type { FunctionCost } from './report.js';

/**
 * The former name of {@link handOverSamples}: hands this isolate's samples to the
 * engine thread now and returns how many moved.
 * @deprecated Use `handOverSamples()`. In `ferroprof`, `flush(timeoutMs)` means
 * "deliver everything queued"; this one never delivered anything.
 */
export const flush: () => number = handOverSamples;
