/**
 * The types of `ferroprof/sentry`: its options and statistics (public), and the slice
 * of `@sentry/core`'s types it uses (the same in 10.x and 11.x). Internal module.
 */
import type { SamplerStats } from '../binding.js';

/** What `profilesSampler` receives for a root span. */
export interface ProfilesSamplingContext {
  name: string;
  attributes: Record<string, unknown> | undefined;
  parentSampled: boolean | undefined;
  transactionContext: { name: string; parentSampled: boolean | undefined };
  [key: string]: unknown;
}

/** Options of `ferroprofIntegration()`. Options not given here are read from `Sentry.init`. */
export interface FerroprofIntegrationOptions {
  /** Sampling frequency in Hz, 1–10 000 (default 101). Anything else throws a `RangeError`. */
  frequency?: number;
  /** Probability that this process's profiling session is sampled (default: the client option, else 1 in the legacy setup without rates). */
  profileSessionSampleRate?: number;
  /** `manual` (default): `Sentry.profiler.startProfiler()`/`stopProfiler()`; `trace`: while at least one sampled root span runs. */
  profileLifecycle?: 'manual' | 'trace';
  /** Per-transaction profiles: probability that a sampled transaction is profiled (default: the client option). */
  profilesSampleRate?: number;
  /** Per-transaction profiles: decides per root span (a rate in [0, 1] or a boolean). */
  profilesSampler?: (context: ProfilesSamplingContext) => number | boolean;
  /** Length of a `profile_chunk`, 100–60 000 ms (default 60 000). */
  chunkDurationMs?: number;
  /** A transaction profile stops at this length, 1–30 000 ms (default 30 000). */
  maxProfileDurationMs?: number;
  /** Profile this worker thread as a thread of the process's session (default `true`). Main thread: ignored. */
  workerThreads?: boolean;
}

/** The integration's counters, this thread. */
export interface IntegrationCounters {
  chunksSent: number;
  chunksTooShort: number;
  chunksFailed: number;
  profilesStarted: number;
  profilesSent: number;
  profilesTooShort: number;
  profilesFailed: number;
  profilesTimedOut: number;
  transactionsLinked: number;
  spansLinked: number;
}

/** What `getProfilerStats()` returns. */
export interface SentryProfilerStats extends SamplerStats, IntegrationCounters {
  /** `host` on the thread that cuts the chunks, `worker` on a worker joining it, `none` before setup. */
  role: 'host' | 'worker' | 'none';
  sessionSampled: boolean;
  sessionRunning: boolean;
  profilerId: string | undefined;
  lifecycle: 'manual' | 'trace';
  frequency: number;
}

/** The `_profiler` object `Sentry.profiler.startProfiler()` / `stopProfiler()` call. */
export interface FerroprofProfiler {
  start(): void;
  stop(): void;
}

/** The integration object, in the shape `@sentry/core` expects. */
export interface FerroprofSentryIntegration {
  name: 'ProfilingIntegration';
  _profiler: FerroprofProfiler;
  setup(client: unknown): void;
  /** Adds the profile (or the link to the chunks) to transaction events; other events pass. */
  processEvent<E>(event: E, hint: unknown, client: unknown): E | PromiseLike<E>;
}

// --- the slice of @sentry/core's types this integration uses (the same in 10.x and 11.x) ---

export interface SpanLike {
  spanContext(): { traceId: string; spanId: string; traceFlags: number };
  setAttribute(key: string, value: unknown): unknown;
}

export type Envelope = [Record<string, unknown>, [Record<string, unknown>, unknown][]];

export interface ClientLike {
  getOptions(): Record<string, unknown>;
  getDsn(): unknown;
  getSdkMetadata(): { sdk?: { name?: string; version?: string } } | undefined;
  on(hook: string, callback: (...args: never[]) => void): unknown;
  sendEnvelope(envelope: Envelope): unknown;
  emit?(hook: string, ...args: unknown[]): void;
  recordDroppedEvent?(reason: string, category: string, count?: number): void;
  _process?: (producer: unknown, category?: string) => void;
}

export interface EventLike {
  type?: string;
  event_id?: string;
  transaction?: string;
  start_timestamp?: number;
  timestamp?: number;
  contexts?: Record<string, Record<string, unknown> | undefined>;
}

export interface StreamedSpanJsonLike {
  start_timestamp: number;
  end_timestamp?: number;
  attributes?: Record<string, unknown>;
}
