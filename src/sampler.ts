import { isMainThread, threadId } from 'node:worker_threads';

import { loadNativeBinding } from './loader.js';
import type { NativeBinding, NativeConfig, SamplerStats } from './native-types.js';

export type { NativeConfig, SamplerStats } from './native-types.js';

/** Lowest and highest accepted sampling frequency, in Hz. */
export const MIN_FREQUENCY_HZ = 1;
export const MAX_FREQUENCY_HZ = 10_000;
/** The default sampling frequency (Sentry's Python SDK uses 101 Hz). */
export const DEFAULT_FREQUENCY_HZ = 101;

/** V8's VM state when a sample was taken. */
export type VmState =
  | 'js'
  | 'gc'
  | 'parser'
  | 'bytecode_compiler'
  | 'compiler'
  | 'other'
  | 'external'
  | 'atomics_wait'
  | 'idle'
  | 'unknown';

/** A frame, in the field names of Sentry's profile formats. */
export interface ProfileFrame {
  function?: string;
  abs_path?: string;
  filename?: string;
  module?: string;
  lineno?: number;
  colno?: number;
  in_app?: boolean;
}

export interface WindowSample {
  /** Monotonic nanoseconds (same clock as {@link monotonicNowNs}). */
  tsNs: number;
  /** `0` for the main thread, a worker's `threadId` otherwise. */
  threadId: number;
  /** Index into {@link WindowProfile.stacks}. */
  stackId: number;
  state: VmState;
}

/** The samples of every profiled thread within a window. */
export interface WindowProfile {
  id: number;
  /** False when busy threads did not deliver their samples in time. */
  complete: boolean;
  /** The thread the window was opened on. */
  activeThreadId: number;
  startNs: number;
  endNs: number;
  /** Wall-clock time of `startNs`, in Unix milliseconds. */
  startUnixMs: number;
  frames: ProfileFrame[];
  /** Frame indices, leaf first. An empty stack is an idle sample. */
  stacks: number[][];
  samples: WindowSample[];
  threadNames: Record<string, string>;
}

interface Pending {
  resolve(profile: WindowProfile): void;
  reject(err: Error): void;
}

const pending = new Map<number, Pending>();
const early = new Map<number, string>();
let keepAlive: NodeJS.Timeout | undefined;
let binding: NativeBinding | undefined;

function settle(id: number, json: string): void {
  const waiter = pending.get(id);
  if (!waiter) {
    // Delivered before `closeWindow` registered its promise: keep it for that call.
    early.set(id, json);
    return;
  }
  pending.delete(id);
  updateKeepAlive();
  try {
    waiter.resolve(JSON.parse(json) as WindowProfile);
  } catch (err) {
    waiter.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

// While windows are waiting for their samples, keep the process alive so that an
// awaited `close()` resolves; otherwise the profiler never holds the event loop.
function updateKeepAlive(): void {
  if (pending.size > 0 && !keepAlive) {
    keepAlive = setInterval(() => {}, 1 << 30);
  } else if (pending.size === 0 && keepAlive) {
    clearInterval(keepAlive);
    keepAlive = undefined;
  }
}

/** The native addon, attached to this isolate (main thread or worker). */
function native(): NativeBinding {
  if (binding) return binding;
  const b = loadNativeBinding();
  b.attach(settle, threadId, isMainThread ? 'main' : `worker ${threadId}`);
  binding = b;
  return b;
}

/**
 * Checks a sampling frequency: a number (or a string of digits) of Hz within
 * [1, 10 000]. Throws a `RangeError` naming the accepted range otherwise.
 */
export function validateFrequency(hz: unknown): number {
  const value =
    typeof hz === 'number' ? hz : typeof hz === 'string' && /^\s*\d+\s*$/.test(hz) ? Number(hz) : NaN;
  if (!Number.isFinite(value) || value < MIN_FREQUENCY_HZ || value > MAX_FREQUENCY_HZ) {
    throw new RangeError(
      `ferroprof: sampling frequency must be between ${MIN_FREQUENCY_HZ} and ${MAX_FREQUENCY_HZ} Hz, got ${String(hz)}`,
    );
  }
  return value;
}

/**
 * Starts sampling this isolate (or joins the sampler already running: one V8 profile
 * per isolate serves every consumer). Returns the frequency in effect, which stays
 * the first consumer's until the sampler stops.
 */
export function startSampling(hz: number = DEFAULT_FREQUENCY_HZ): number {
  return native().startSampling(validateFrequency(hz));
}

/** Leaves sampling; a no-op returning `false` when it was not started. */
export function stopSampling(): boolean {
  return binding ? binding.stopSampling() : false;
}

/** Whether V8 profiling runs on this isolate. */
export function isSampling(): boolean {
  return binding ? binding.isSampling() : false;
}

/** A time window over the shared sampler. */
export interface ProfileWindow {
  readonly id: number;
  /** Ends the window now; resolves with its samples after the next rotation. */
  close(): Promise<WindowProfile>;
}

/**
 * Opens a window starting now. It shares the isolate's sampler: opening or closing a
 * window never restarts V8 profiling while the sampler runs (it starts the sampler at
 * the default frequency if nothing else did).
 */
export function openWindow(): ProfileWindow {
  const id = native().openWindow();
  return { id, close: () => closeWindow(id) };
}

/** Closes a window by id; see {@link ProfileWindow.close}. */
export function closeWindow(id: number): Promise<WindowProfile> {
  if (!binding || !binding.closeWindow(id)) {
    return Promise.reject(new Error(`ferroprof: window ${id} is not open`));
  }
  return new Promise<WindowProfile>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    updateKeepAlive();
    const delivered = early.get(id);
    if (delivered !== undefined) {
      early.delete(id);
      settle(id, delivered);
    }
  });
}

/** Hands this isolate's samples to the worker thread now. Returns how many moved. */
export function flush(): number {
  return binding ? binding.flush() : 0;
}

/** The sampler's counters (process-wide, plus this isolate's frequency). */
export function getSamplerStats(): SamplerStats {
  return native().getStats();
}

/** Changes the native sampler's tunables; throws a `RangeError` for values out of range. */
export function configureSampler(options: NativeConfig): void {
  try {
    native().configure(options);
  } catch (err) {
    throw new RangeError(err instanceof Error ? err.message : String(err));
  }
}

/** Now, in nanoseconds of the monotonic clock samples are stamped with. */
export function monotonicNowNs(): number {
  return native().monotonicNowNs();
}
