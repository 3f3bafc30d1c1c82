import { chosenBackend, getSamplerStats } from '../binding.js';
import type { SamplerStats } from '../binding.js';
import type { BackendName } from '../backend/index.js';
import type { DroppedCount } from '../transport/types.js';

/** The SDK's own counters (see {@link getProfilerStats}). */
export interface SdkCounters {
  transactionsStarted: number;
  transactionsSampled: number;
  transactionsSent: number;
  profilesStarted: number;
  profilesSent: number;
  /** Profiles with fewer than two samples: not sent (Sentry would reject them). */
  profilesTooShort: number;
  profilesTimedOut: number;
  /** Profiles refused for another reason, by reason. */
  profilesRejected: Record<string, number>;
  chunksSent: number;
  chunksTooShort: number;
  chunksRejected: Record<string, number>;
  envelopesSent: number;
  bytesSent: number;
  /**
   * Finished transactions not sent because the process ended or `close` reached its
   * deadline while they waited for their profile (also in `dropped`, as
   * `internal_sdk_error`).
   */
  transactionsUnsent: number;
  /** Their profiles, and those of transactions written without one at process exit. */
  profilesUnsent: number;
}

/** Everything the profiler knows about itself. */
export interface ProfilerStats extends SamplerStats, SdkCounters {
  /** `local`, `http` or `custom`. */
  transport: string;
  /** Local mode: the absolute folder envelopes are written to. */
  localDir?: string;
  /** Items the transport dropped, by reason and category. */
  dropped: DroppedCount[];
  sessionRunning: boolean;
  profilerId: string | undefined;
  /**
   * The profiling backend: `native` (the addon) or `inspector` (the `node:inspector`
   * fallback, where no native binary fits this platform or Node ABI); `none` when
   * neither could start.
   */
  backend: BackendName | 'none';
}

/** Fresh SDK counters. */
export function newCounters(): SdkCounters {
  return {
    transactionsStarted: 0,
    transactionsSampled: 0,
    transactionsSent: 0,
    profilesStarted: 0,
    profilesSent: 0,
    profilesTooShort: 0,
    profilesTimedOut: 0,
    profilesRejected: {},
    chunksSent: 0,
    chunksTooShort: 0,
    chunksRejected: {},
    envelopesSent: 0,
    bytesSent: 0,
    transactionsUnsent: 0,
    profilesUnsent: 0,
  };
}

/** What the client knows that the sampler does not. */
export interface ClientFacts {
  counters: SdkCounters;
  transport: string;
  localDir?: string;
  dropped: DroppedCount[];
  sessionRunning: boolean;
  profilerId: string | undefined;
}

/** The sampler's counters (zeros without a backend) and the client's, as one object. */
export function profilerStats(facts: ClientFacts): ProfilerStats {
  let native: SamplerStats;
  try {
    native = getSamplerStats();
  } catch {
    native = emptySamplerStats();
  }
  const { counters, ...rest } = facts;
  return { ...native, ...counters, ...rest, backend: chosenBackend() ?? 'none' };
}

/** Every item that was not sent or written, each with its reason (empty when none). */
export function notSentItems(s: ProfilerStats): string[] {
  const out: string[] = [];
  const add = (n: number, what: string) => {
    if (n > 0) out.push(`${n} ${what}`);
  };
  add(s.profilesTooShort, `profile(s) too short (fewer than two samples)`);
  add(s.profilesTimedOut, 'profile(s) cut at maxProfileDurationMs (sent, shortened)');
  for (const [reason, n] of Object.entries(s.profilesRejected)) add(n, `profile(s) rejected (${reason})`);
  add(s.chunksTooShort, 'chunk(s) too short (fewer than two samples)');
  for (const [reason, n] of Object.entries(s.chunksRejected)) add(n, `chunk(s) rejected (${reason})`);
  for (const d of s.dropped) add(d.quantity, `${d.category} item(s) dropped by the transport (${d.reason})`);
  return out;
}

/** The summary `debug: true` prints at `close`: where items went, and every item that did not. */
export function summaryLine(s: ProfilerStats): string {
  const dropped = s.samplesDroppedCapacity + s.samplesDroppedQueue + s.samplesOutOfOrder + s.samplesLostReset;
  const where = s.localDir ? `written to ${s.localDir}` : 'sent';
  const missing = notSentItems(s);
  return (
    `profiler summary: ${s.samplesIngested} samples, ${dropped} dropped, ${s.rotations} rotations, ` +
    `JS-thread ${(s.jsNsTotal / 1e6).toFixed(2)} ms total (max ${(s.jsNsMax / 1e6).toFixed(2)} ms), ` +
    `${s.bytesHeld} bytes held, ${s.profilesSent} profiles and ${s.chunksSent} chunks ${where}; ` +
    `not ${s.localDir ? 'written' : 'sent'}: ${missing.length === 0 ? 'none' : missing.join(', ')}`
  );
}

/** Zeros, when the native addon is unavailable; the type keeps it complete. */
function emptySamplerStats(): SamplerStats {
  const zero: Record<keyof SamplerStats, number> = {
    samplerStarts: 0,
    samplerStops: 0,
    rotations: 0,
    rotationsByInterrupt: 0,
    v8StartFailures: 0,
    samplerStartsRefused: 0,
    samplesCopied: 0,
    samplesDuplicate: 0,
    samplesNearDuplicate: 0,
    samplesDroppedQueue: 0,
    samplesInFlight: 0,
    samplesIngested: 0,
    samplesHeld: 0,
    samplesPruned: 0,
    samplesDroppedCapacity: 0,
    samplesOutOfOrder: 0,
    samplesLostReset: 0,
    stacksTruncated: 0,
    bytesHeld: 0,
    threads: 0,
    storeCompactions: 0,
    windowsOpened: 0,
    windowsWithdrawn: 0,
    windowsClosed: 0,
    chunksCut: 0,
    windowsDelivered: 0,
    windowsTimedOut: 0,
    windowsFailed: 0,
    windowsDropped: 0,
    enginePanics: 0,
    jsCalls: 0,
    jsNsTotal: 0,
    jsNsMax: 0,
    jsNsP50: 0,
    jsNsP99: 0,
    samplingHz: 0,
    deliveredHz: 0,
    windowsAbandoned: 0,
    resultsUnclaimed: 0,
  };
  return zero;
}
