/**
 * ferroprof — a sampling CPU profiler for Node.js with a Rust core.
 *
 * This entry point currently exposes the low-level sampler API (one shared V8 sampler
 * per isolate, time windows sliced out of a bounded store) that the Sentry-style SDK
 * is built on.
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
export { NativeBindingError, binaryFileName, loadNativeBinding } from './loader.js';
export { formatTopTable, topFunctions } from './report.js';
export type { FunctionCost } from './report.js';
export { nodeAbi, platformTag } from './platform.js';
