/**
 * `ferroprof/sentry`: ferroprof as the profiling integration of `@sentry/node` (10.x and
 * 11.x), a drop-in for `nodeProfilingIntegration()` of `@sentry/profiling-node`:
 *
 * ```ts
 * import * as Sentry from '@sentry/node';
 * import { ferroprofIntegration } from 'ferroprof/sentry';
 * Sentry.init({ dsn, integrations: [ferroprofIntegration()], profileSessionSampleRate: 1, profileLifecycle: 'trace' });
 * ```
 *
 * It uses the application's own `@sentry/core` (a peer dependency), and sends every
 * envelope through the host client's `sendEnvelope()`, so the client's rate limits,
 * client reports, tunnel, proxy and envelope hooks apply.
 *
 * @packageDocumentation
 */
import { release as osRelease, type as osType } from 'node:os';
import { isMainThread } from 'node:worker_threads';

import { getRootSpan, spanIsSampled } from '@sentry/core';

import { configureSampler, getSamplerStats, setProfileMeta, startSampling, stopSampling } from '../binding.js';
import { errorLine } from '../sdk/logger.js';
import { sendChunk } from './chunks.js';
import { PROFILE_WAIT_MS, THREAD_ID, THREAD_NAME, debugLog, newIntegrationCounters, warn, withTimeout } from './common.js';
import { linkStreamedSpan, linkTransaction } from './linking.js';
import { checkOptions, resolveOptions } from './options.js';
import { TransactionProfiles } from './profiles.js';
import { type ProcessSession, SessionClient, SessionHost } from './session.js';
import type {
  ClientLike,
  Envelope,
  EventLike,
  FerroprofIntegrationOptions,
  FerroprofProfiler,
  FerroprofSentryIntegration,
  IntegrationCounters,
  SentryProfilerStats,
  SpanLike,
  StreamedSpanJsonLike,
} from './types.js';

export type {
  FerroprofIntegrationOptions,
  FerroprofProfiler,
  FerroprofSentryIntegration,
  IntegrationCounters,
  ProfilesSamplingContext,
  SentryProfilerStats,
} from './types.js';

/** The integration name `Sentry.profiler.startProfiler()` looks up. */
export const INTEGRATION_NAME = 'ProfilingIntegration';

const WORKER_ANSWER_WAIT_MS = 1000;

let current: FerroprofProfilerImpl | undefined;

/**
 * One integration: options, the session (chunks, on the main thread) and the
 * transaction profiles, wired to the host client's hooks. The modes live in their own
 * modules: `profiles.ts` (per-transaction profiles), `chunks.ts` (sending chunks),
 * `linking.ts` (transactions and spans to the session).
 */
class FerroprofProfilerImpl implements FerroprofProfiler {
  readonly frequency: number;
  readonly counters: IntegrationCounters = newIntegrationCounters();
  lifecycle: 'manual' | 'trace' = 'manual';
  sessionSampled = false;
  session: ProcessSession | undefined;
  private hostClient: ClientLike | undefined;
  private readonly chunkDurationMs: number;
  private readonly maxProfileDurationMs: number;
  private profiles: TransactionProfiles | undefined;
  private holdsSampler = false;
  private activeRoots = 0;
  private readonly countedRoots = new WeakSet<object>();
  private closed = false;
  /** 10.x with no profiling option: `start()` while running cuts the chunk, as the incumbent's legacy API. */
  private legacyContinuous = false;

  constructor(private readonly options: FerroprofIntegrationOptions) {
    const checked = checkOptions(options);
    this.frequency = checked.frequency;
    this.chunkDurationMs = checked.chunkDurationMs;
    this.maxProfileDurationMs = checked.maxProfileDurationMs;
  }

  get role(): 'host' | 'worker' | 'none' {
    if (!this.session) return 'none';
    return this.session instanceof SessionHost ? 'host' : 'worker';
  }

  /** The host client, once set up (read by the profiles and chunks). */
  get client(): ClientLike | undefined {
    return this.hostClient;
  }

  setup(client: ClientLike): void {
    if (current && current !== this) current.teardown();
    current = this;
    this.hostClient = client;
    const resolved = resolveOptions(this.options, client.getOptions());
    this.lifecycle = resolved.lifecycle;
    this.legacyContinuous = resolved.legacyContinuous;
    this.sessionSampled = resolved.sessionRate > 0 && Math.random() < resolved.sessionRate;
    const perTransaction = resolved.profiles.sampler !== undefined || resolved.profiles.rate > 0;
    const policy = { ...resolved.profiles, maxDurationMs: this.maxProfileDurationMs };
    if (this.profiles) this.profiles.policy = policy;
    else this.profiles = new TransactionProfiles(this, policy);

    this.setMeta(client);
    if (isMainThread) {
      this.session = new SessionHost({
        frequency: this.frequency,
        chunkDurationMs: this.chunkDurationMs,
        sampled: this.sessionSampled,
        onChunk: (outcome, profilerId) => sendChunk(this.client, outcome, profilerId, this.counters),
        onStartFailed: () => warn('continuous profiling could not start (see the line above)'),
        // The incumbent's legacy start() begins a new profiler_id each time.
        newIdPerStart: this.legacyContinuous,
      });
    } else if (this.options.workerThreads !== false) {
      this.session = new SessionClient();
    }

    // A worker profiles only as a thread of the main thread's setup (see maybeProfile).
    if (perTransaction && (isMainThread || this.session)) {
      try {
        // Transaction profiles are windows over a sampler that runs from now on: no
        // V8 start per transaction, and V8's one heap walk happens while the heap is small.
        startSampling(this.frequency);
        this.holdsSampler = true;
      } catch (err) {
        warn(`profiling is unavailable: ${errorLine(err)}`);
      }
    }

    client.on('spanStart', (span: never) => this.onSpanStart(span as SpanLike));
    client.on('spanEnd', (span: never) => this.onSpanEnd(span as SpanLike));
    client.on('processSpan', (json: never) => linkStreamedSpan(json as StreamedSpanJsonLike, this.session, this.counters));
    client.on('beforeEnvelope', (envelope: never) => this.profiles?.onBeforeEnvelope(envelope as Envelope));
    // A flush delivers what was profiled up to now: the current chunk is cut (the session goes on).
    client.on('flush', () => this.track(this.session?.cutChunk() ?? Promise.resolve(), 'profile_chunk'));
    client.on('close', () => this.teardown());
  }

  private setMeta(client: ClientLike): void {
    const o = client.getOptions();
    const sdk = client.getSdkMetadata()?.sdk;
    try {
      // A profiling integration profiles: create this isolate's V8 profiler now, with
      // eager code logging, while the heap is small, so no later start walks it.
      configureSampler({ eagerLogging: true });
      setProfileMeta({
        sdk: { name: sdk?.name ?? 'sentry.javascript.node', version: sdk?.version ?? '0.0.0' },
        runtime: { name: 'node', version: process.version },
        os: { name: osType(), version: osRelease() },
        device: { architecture: process.arch },
        release: typeof o.release === 'string' ? o.release : undefined,
        environment: typeof o.environment === 'string' ? o.environment : 'production',
      });
    } catch (err) {
      warn(`profiling is unavailable: ${errorLine(err)}`);
    }
  }

  // --- Sentry.profiler.startProfiler() / stopProfiler() ---

  start(): void {
    if (this.closed || !this.session) return;
    if (this.lifecycle === 'trace') {
      warn("profileLifecycle is 'trace': Sentry.profiler.startProfiler() is ignored, the profiler follows root spans");
      return;
    }
    if (!this.sessionSampled) debugLog('[Profiling] Profile session not sampled, no-op.');
    else if (this.session.runningProfilerId !== undefined) {
      if (!this.legacyContinuous) debugLog('[Profiling] Profile session already running, no-op.');
      // The legacy API: a second start() ends the running session (its last chunk) and
      // starts the next, with a new profiler_id.
      else this.track(this.session.restart(), 'profile_chunk');
    }
    this.session.want('manual', true);
  }

  stop(): void {
    if (!this.session || this.lifecycle === 'trace') return;
    if (this.session.runningProfilerId === undefined) debugLog('[Profiling] No profile session running, no-op.');
    this.session.want('manual', false);
  }

  // --- spans ---

  private onSpanStart(span: SpanLike): void {
    span.setAttribute('thread.id', THREAD_ID);
    span.setAttribute('thread.name', THREAD_NAME);
    if (this.closed || getRootSpan(span as never) !== (span as unknown) || !spanIsSampled(span as never)) return;
    if (this.lifecycle === 'trace' && this.session) {
      this.countedRoots.add(span);
      this.activeRoots += 1;
      if (this.activeRoots === 1) this.session.want('trace', true);
    }
    if (this.holdsSampler && !this.session?.runningProfilerId) this.profiles?.maybeProfile(span);
  }

  private onSpanEnd(span: SpanLike): void {
    if (this.countedRoots.has(span)) {
      this.countedRoots.delete(span);
      this.activeRoots -= 1;
      if (this.activeRoots === 0) this.session?.want('trace', false);
    }
    const context = span.spanContext();
    this.profiles?.onSpanEnd(context.spanId, context.traceId);
  }

  /** Transactions: their profile, or the link to the chunks that hold their samples. */
  processEvent(event: EventLike): EventLike | Promise<EventLike> {
    if (event.type !== 'transaction') return event;
    const profiled = this.profiles?.take(event);
    if (profiled) return profiled;
    if (this.session instanceof SessionClient) {
      return this.session.settled(WORKER_ANSWER_WAIT_MS).then(() => this.link(event));
    }
    if (this.session instanceof SessionHost && this.lifecycle === 'trace' && this.session.chunksInFlight) {
      // The chunk the last root span's end cut goes out before the transaction, as the
      // incumbent sends it (its spanEnd hook sends the chunk synchronously).
      return withTimeout(this.session.chunksSettled(), PROFILE_WAIT_MS).then(() => this.link(event));
    }
    return this.link(event);
  }

  private link(event: EventLike): EventLike {
    return linkTransaction(event, this.session, this.counters);
  }

  /** Keeps the client's flush() waiting for work that ends in sendEnvelope(). */
  private track(work: Promise<void>, category: string): void {
    const client = this.client;
    const settled = work.then(async () => {
      if (this.session instanceof SessionHost) await this.session.chunksSettled();
    });
    if (client && typeof client._process === 'function') {
      try {
        // 10.27+ takes a task producer, earlier versions a promise: this is both.
        // biome-ignore lint/suspicious/noThenProperty: a deliberate thenable, for SDKs that await it
        const producer = Object.assign(() => settled, { then: settled.then.bind(settled) });
        client._process(producer, category);
        return;
      } catch {
        // An SDK without the internal processing counter: flush() does not wait.
      }
    }
    void settled.catch(() => {});
  }

  teardown(): void {
    if (this.closed) return;
    this.closed = true;
    if (current === this) current = undefined;
    this.profiles?.close();
    if (this.holdsSampler) {
      this.holdsSampler = false;
      stopSampling();
    }
    void this.session?.close();
  }

  stats(): SentryProfilerStats {
    return {
      ...getSamplerStats(),
      ...this.counters,
      role: this.role,
      sessionSampled: this.sessionSampled,
      sessionRunning: this.session?.runningProfilerId !== undefined,
      profilerId: this.session?.runningProfilerId,
      lifecycle: this.lifecycle,
      frequency: this.frequency,
    };
  }
}

/**
 * ferroprof's profiling integration for `@sentry/node` 10.x and 11.x, in place of
 * `nodeProfilingIntegration()`. Throws a `RangeError` for a `frequency` outside
 * 1–10 000 Hz or another option out of its range.
 */
export function ferroprofIntegration(options: FerroprofIntegrationOptions = {}): FerroprofSentryIntegration {
  const profiler = new FerroprofProfilerImpl(options ?? {});
  return {
    name: INTEGRATION_NAME,
    _profiler: profiler,
    setup(client: unknown) {
      profiler.setup(client as ClientLike);
    },
    processEvent<E>(event: E): E | PromiseLike<E> {
      return profiler.processEvent(event as EventLike) as E | PromiseLike<E>;
    },
  };
}

/** The profiler's measurements on this thread (sampler counters are process-wide). */
export function getProfilerStats(): SentryProfilerStats {
  if (current) return current.stats();
  return {
    ...getSamplerStats(),
    ...newIntegrationCounters(),
    role: 'none',
    sessionSampled: false,
    sessionRunning: false,
    profilerId: undefined,
    lifecycle: 'manual',
    frequency: 0,
  };
}
