import { isMainThread, threadId } from 'node:worker_threads';

import { argTypeError, checkInteger, checkObject, checkTimeout } from './args.js';
import { debugIdsByPath } from './debug-ids.js';
import { type Dispatcher, dispatcherFor } from './dispatcher.js';
import type { BackendName } from './backend/index.js';
import { currentBackend, loadBackend } from './backend/index.js';
import { DEFAULT_FREQUENCY_HZ, MAX_FREQUENCY_HZ, MIN_FREQUENCY_HZ } from './limits.generated.js';
import type {
  CloseOptions,
  NativeBinding,
  NativeConfig,
  NativeStats,
  ProfileMetadata,
  RejectionReason,
  ValidatedEnvelope,
  WindowProfile,
  WindowResult,
} from './native-types.js';

export type {
  NativeConfig,
  ProfileFrame,
  ValidatedEnvelope,
  VmState,
  WindowProfile,
  WindowResult,
  WindowSample,
} from './native-types.js';
export { DEFAULT_FREQUENCY_HZ, MAX_FREQUENCY_HZ, MIN_FREQUENCY_HZ };

/**
 * The sampler's counters, process-wide, plus this isolate's frequency. Samples add
 * up exactly: see {@link NativeStats}.
 */
export interface SamplerStats extends NativeStats {
  /** Waits for a window result that reached their deadline (the result was lost). */
  windowsAbandoned: number;
  /** Results that arrived after their waiter had given up. */
  resultsUnclaimed: number;
}

/**
 * How long a JavaScript wait for a window result lasts at most: the native side
 * gives busy threads `maxWindowWaitMs` (5 s unless configured) and then delivers what it has, so
 * this deadline is only reached if the engine thread could not answer at all.
 */
let nativeWindowWaitMs = 5_000;
const resultDeadlineMs = (): number => nativeWindowWaitMs + 3_000;

let binding: NativeBinding | undefined;
let dispatcher: Dispatcher | undefined;

function shutdownOnExit(): void {
  try {
    binding?.shutdown();
  } catch {
    // Exiting: nothing useful to report.
  }
}

/** The native addon, attached to this isolate (main thread or worker). */
function native(): NativeBinding {
  if (binding) return binding;
  // The native addon where a binary fits, else the node:inspector fallback.
  const b = loadBackend().binding;
  dispatcher = dispatcherFor(b, threadId, isMainThread ? 'main' : `worker ${threadId}`, () => {
    // V8's sampler thread must be stopped before a hard `process.exit()` tears the
    // isolate down. Windows closed after this still get their samples: the thread is
    // marked as ended, so nothing waits for it. Once per isolate, whichever copy of
    // the package attached it.
    process.on('exit', shutdownOnExit);
  });
  binding = b;
  return b;
}

function dispatch(): Dispatcher {
  native();
  if (!dispatcher) throw new Error('ferroprof: the native addon is not attached');
  return dispatcher;
}

/**
 * Checks a sampling frequency: a number (or a string of digits) of Hz within
 * [1, 10 000]. Throws a `RangeError` naming the accepted range otherwise.
 */
export function validateFrequency(hz: unknown): number {
  const value = typeof hz === 'number' ? hz : typeof hz === 'string' && /^\s*\d+\s*$/.test(hz) ? Number(hz) : NaN;
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
  /** Ends the window now; resolves with its samples once every sampled thread handed them over. */
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

/**
 * Closes a window by id; see {@link ProfileWindow.close}. Rejects if the window is
 * not open, or if its samples could not be produced.
 * @throws TypeError/RangeError (as a rejection) when `id` is not a window id (an integer ≥ 0).
 */
export async function closeWindow(id: number): Promise<WindowProfile> {
  checkInteger('closeWindow(id)', 'id', id, 0, 0xffff_ffff);
  const result = await closeWindowAs(id, {});
  if (!result.profile) throw new Error(`ferroprof: window ${id}: ${failureText(result)}`);
  return result.profile;
}

/**
 * Closes a window and waits for its samples, blocking the JS thread (at most
 * `timeoutMs`). Meant for `process.on('exit')`, where no callback runs any more.
 * Returns `null` if the window is not open or the samples did not arrive in time.
 */
export function closeWindowSync(id: number, timeoutMs = 2000): WindowProfile | null {
  checkInteger('closeWindowSync(id, timeoutMs)', 'id', id, 0, 0xffff_ffff);
  checkTimeout('closeWindowSync(id, timeoutMs)', 'timeoutMs', timeoutMs, 2000);
  const result = closeWindowSyncAs(id, {}, timeoutMs);
  return result?.profile ?? null;
}

/** The message of a `failed` or `rejected` result. */
export function failureText(result: WindowResult): string {
  if (result.reason) return `${result.reason}: ${result.message ?? ''}`;
  return result.message ?? result.kind;
}

/** What became of a window closed into a Sentry encoding (`v1` or `v2`). */
export type EncodedOutcome =
  | { kind: 'encoded'; payload: string }
  | { kind: 'rejected'; reason: RejectionReason; message: string; samples: number }
  | { kind: 'failed'; message: string };

/** Internal: reads the result of a window closed into a Sentry encoding. */
export function encodedOutcome(result: WindowResult): EncodedOutcome {
  if (result.payload !== undefined) return { kind: 'encoded', payload: result.payload };
  if (result.reason) return { kind: 'rejected', reason: result.reason, message: result.message ?? '', samples: result.samples };
  return { kind: 'failed', message: failureText(result) };
}

/**
 * Internal: closes a window into the given encoding. Rejects if it is not open;
 * otherwise resolves with its result, or with a `failed` one at the deadline.
 */
export function closeWindowAs(id: number, options: CloseOptions): Promise<WindowResult> {
  return new Promise((resolve, reject) => {
    try {
      if (!closeWindowThen(id, options, resolve)) reject(new Error(`ferroprof: window ${id} is not open`));
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}

/**
 * Internal: {@link closeWindowAs} without a promise (one transaction profile each,
 * thousands a second): `onResult` gets the result, or a `failed` one at the
 * deadline. Returns `false` when the window is not open.
 * @throws Error when the native side refuses the options.
 */
export function closeWindowThen(id: number, options: CloseOptions, onResult: (result: WindowResult) => void): boolean {
  refreshDebugIds();
  const ticket = binding ? binding.closeWindow(id, options) : null;
  if (ticket === null) return false;
  dispatch().waitFor(ticket, resultDeadlineMs(), onResult);
  return true;
}

/** Internal: the blocking form of {@link closeWindowAs}. */
export function closeWindowSyncAs(id: number, options: CloseOptions, timeoutMs: number): WindowResult | null {
  if (!binding) return null;
  return binding.closeWindowSync(id, options, timeoutMs);
}

/**
 * Internal: opens a window that the native side cuts into `profile_chunk`s of
 * `periodMs` by itself, on the samples' own clock, whether or not this thread ever
 * yields; each chunk reaches `onChunk`. Close it with {@link closeWindowAs} for the
 * last, partial chunk.
 */
export function openChunkedWindow(periodMs: number, profilerId: string, onChunk: (result: WindowResult) => void): number {
  refreshDebugIds();
  const id = native().openWindow({ chunkPeriodMs: periodMs, profilerId });
  // Files registered meanwhile reach the next chunk's debug_meta.
  dispatch().subscribe(id, (result) => {
    refreshDebugIds();
    onChunk(result);
  });
  return id;
}

/**
 * Internal: the chunks of window `id` already cut but not yet routed (at process
 * exit, when nothing async runs any more); they are taken, not routed.
 */
export function takeChunks(id: number): WindowResult[] {
  const taken: WindowResult[] = [];
  const d = dispatcher;
  if (!d) return taken;
  const previous = d.subscriber(id);
  d.subscribe(id, (r) => taken.push(r));
  d.drain();
  if (previous) d.subscribe(id, previous);
  else d.unsubscribe(id);
  return taken;
}

/** Internal: stops routing chunks of a chunked window (after its last one). */
export function forgetChunkedWindow(id: number): void {
  dispatcher?.unsubscribe(id);
}

let profileMeta: ProfileMetadata | undefined;
let metaDebugIds: Readonly<Record<string, string>> | undefined;

/**
 * Internal: the metadata every encoded profile carries, with the debug IDs
 * registered so far.
 */
export function setProfileMeta(meta: ProfileMetadata): void {
  const debugIds = debugIdsByPath();
  native().setProfileMeta({ ...meta, debugIds });
  profileMeta = meta;
  metaDebugIds = debugIds;
}

/**
 * Internal: passes files registered since the last call (bundles loaded late) on to
 * the encoders; nothing to do, and no native call, when none were. Call it before a
 * profile is cut.
 */
export function refreshDebugIds(): void {
  if (profileMeta === undefined || debugIdsByPath() === metaDebugIds) return;
  setProfileMeta(profileMeta);
}

/**
 * Internal: asks every worker that loads ferroprof (now or later) to sample at `hz`
 * while a continuous session runs; `0` ends that.
 */
export function followSampling(hz: number): void {
  native().followSampling(hz);
}

/**
 * Checks an envelope against the rules of Sentry's ingestion (Relay), with the same
 * validator ferroprof's encoders use before sending. Throws an `Error` whose message
 * starts with the reason (`not_enough_samples: ...`) when Sentry would refuse it.
 * @throws TypeError when `bytes` is not a `Uint8Array` (a `Buffer` is one) or `gzip` not a boolean.
 */
export function validateEnvelope(bytes: Uint8Array, gzip = false): ValidatedEnvelope {
  if (!(bytes instanceof Uint8Array))
    throw argTypeError('validateEnvelope(bytes, gzip)', 'bytes', 'a Uint8Array or Buffer', bytes);
  if (typeof gzip !== 'boolean') throw argTypeError('validateEnvelope(bytes, gzip)', 'gzip', 'a boolean', gzip);
  return native().validateEnvelope(bytes, gzip);
}

/**
 * Internal: opens a window and returns its id. With `maxDurationMs`, the native side
 * ends it there by itself (the result says `truncated`), whatever the event loop does.
 */
export function openWindowId(maxDurationMs?: number): number {
  return native().openWindow(maxDurationMs === undefined ? undefined : { maxDurationMs });
}

/**
 * Internal: the shortest window that can hold two samples at `hz` (ms); a shorter
 * profile is refused by Sentry whatever it holds. `0` when unknown.
 */
export function minSampleSpacingMs(hz: number): number {
  try {
    return native().minSampleSpacingMs(hz);
  } catch {
    return 0;
  }
}

/**
 * Internal: forgets a window whose open has not reached the engine yet, so that it
 * costs nothing more; `false` when it has (close it instead).
 */
export function withdrawWindow(id: number): boolean {
  return binding ? binding.withdrawWindow(id) : false;
}

/**
 * Hands this isolate's samples to the engine thread now, instead of at its next
 * rotation. Returns how many samples moved. (Not a delivery: `flush(timeoutMs)` of
 * `ferroprof` is the one that waits for envelopes to be sent.)
 */
export function handOverSamples(): number {
  return binding ? binding.flush() : 0;
}

/**
 * Which backend profiles this isolate — `native` (the addon) or `inspector` (the
 * `node:inspector` fallback where no binary fits) — and why; chooses it on first call.
 */
export function profilerBackend(): { backend: BackendName; reason: string } {
  const { backend, reason } = loadBackend();
  return { backend, reason };
}

/** The backend chosen so far (`undefined` before the first profiling call). */
export function chosenBackend(): BackendName | undefined {
  return currentBackend()?.backend;
}

/** The sampler's counters (process-wide, plus this isolate's frequency). */
export function getSamplerStats(): SamplerStats {
  const stats = native().getStats();
  const counters = dispatch().counters;
  return { ...stats, windowsAbandoned: counters.windowsAbandoned, resultsUnclaimed: counters.resultsUnclaimed };
}

/**
 * Changes the native sampler's tunables.
 * @throws TypeError when `options` is not an object or a value has the wrong type; RangeError for values out of range.
 */
export function configureSampler(options: NativeConfig): void {
  const call = 'configureSampler(options)';
  checkObject(call, 'options', options, false);
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (key === 'eagerLogging') {
      if (typeof value !== 'boolean') throw argTypeError(call, 'options.eagerLogging', 'a boolean', value);
    } else if (typeof value !== 'number') {
      throw argTypeError(call, `options.${key}`, 'a number', value);
    }
  }
  try {
    native().configure(options);
    if (options.maxWindowWaitMs !== undefined) nativeWindowWaitMs = options.maxWindowWaitMs;
  } catch (err) {
    throw new RangeError(`ferroprof: configureSampler(options): ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * The process's pairing of monotonic and wall-clock time that profiles are timed
 * with, as `[monotonicNs, unixNs]`; `undefined` without the native addon.
 */
export function clockAnchor(): [number, number] | undefined {
  try {
    const [mono, unix] = native().clockAnchor();
    return mono !== undefined && unix !== undefined ? [mono, unix] : undefined;
  } catch {
    return undefined;
  }
}

/** Now, in nanoseconds of the monotonic clock samples are stamped with. */
export function monotonicNowNs(): number {
  return native().monotonicNowNs();
}

// A worker that loads ferroprof attaches at once, so that a continuous session of the
// process (started on any thread, now or later) samples it as one of its threads. The
// main thread attaches lazily, on first use. Failing to load here is not an error: the
// worker simply is not profiled.
if (!isMainThread) {
  try {
    native();
  } catch {
    // No binary for this platform: the main thread reports it when profiling starts.
  }
}
