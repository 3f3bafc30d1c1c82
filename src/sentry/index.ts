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
import { isMainThread, threadId } from 'node:worker_threads';

import { SDK_VERSION, debug, getRootSpan, spanIsSampled, spanToJSON } from '@sentry/core';

import {
  DEFAULT_FREQUENCY_HZ,
  type SamplerStats,
  closeWindowAs,
  configureSampler,
  failureText,
  getSamplerStats,
  openWindowId,
  setProfileMeta,
  startSampling,
  stopSampling,
  validateFrequency,
} from '../sampler.js';
import type { ChunkOutcome } from '../sdk/continuous.js';
import { uuid4 } from '../sdk/ids.js';
import { errorLine } from '../sdk/logger.js';
import { type ProcessSession, SessionClient, SessionHost } from './session.js';

/** The integration name `Sentry.profiler.startProfiler()` looks up. */
export const INTEGRATION_NAME = 'ProfilingIntegration';

/** What `profilesSampler` receives for a root span. */
export interface ProfilesSamplingContext {
  name: string;
  attributes: Record<string, unknown> | undefined;
  parentSampled: boolean | undefined;
  transactionContext: { name: string; parentSampled: boolean | undefined };
  [key: string]: unknown;
}

/** Options of {@link ferroprofIntegration}. Options not given here are read from `Sentry.init`. */
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

/** What {@link getProfilerStats} returns. */
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
  name: typeof INTEGRATION_NAME;
  _profiler: FerroprofProfiler;
  setup(client: unknown): void;
  /** Adds the profile (or the link to the chunks) to transaction events; other events pass. */
  processEvent<E>(event: E, hint: unknown, client: unknown): E | PromiseLike<E>;
}

// --- the slice of @sentry/core's types this integration uses (the same in 10.x and 11.x) ---

interface SpanLike {
  spanContext(): { traceId: string; spanId: string; traceFlags: number };
  setAttribute(key: string, value: unknown): unknown;
}

type Envelope = [Record<string, unknown>, [Record<string, unknown>, unknown][]];

interface ClientLike {
  getOptions(): Record<string, unknown>;
  getDsn(): unknown;
  getSdkMetadata(): { sdk?: { name?: string; version?: string } } | undefined;
  on(hook: string, callback: (...args: never[]) => void): unknown;
  sendEnvelope(envelope: Envelope): unknown;
  emit?(hook: string, ...args: unknown[]): void;
  recordDroppedEvent?(reason: string, category: string, count?: number): void;
  _process?: (producer: unknown, category?: string) => void;
}

interface EventLike {
  type?: string;
  event_id?: string;
  transaction?: string;
  start_timestamp?: number;
  timestamp?: number;
  contexts?: Record<string, Record<string, unknown> | undefined>;
}

interface StreamedSpanJsonLike {
  start_timestamp: number;
  end_timestamp?: number;
  attributes?: Record<string, unknown>;
}

interface ProfileRecord {
  windowId: number | undefined;
  profileId: string;
  idToken: string;
  nameToken: string;
  timer: NodeJS.Timeout | undefined;
  outcome: Promise<Outcome> | undefined;
}

type Outcome =
  | { kind: 'encoded'; payload: string }
  | { kind: 'rejected'; reason: string; message: string }
  | { kind: 'failed'; message: string };

const THREAD_NAME = isMainThread ? 'main' : `worker ${threadId}`;
const THREAD_ID = String(threadId);
const PROFILE_WAIT_MS = 15_000;
const WORKER_ANSWER_WAIT_MS = 1000;
const MAX_PENDING_PROFILES = 256;
/** A profile whose transaction is never captured (dropped by a processor) is forgotten after this. */
const PROFILE_FORGET_MS = 60_000;

let current: FerroprofProfilerImpl | undefined;

function checkRange(name: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(`ferroprof: ${name} must be a number between ${min} and ${max}, got ${String(value)}`);
  }
  return value;
}

function rate(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 1 ? value : undefined;
}

function warn(message: string): void {
  try {
    console.warn(`ferroprof: ${message}`);
  } catch {
    // A broken console must not break the application.
  }
}

/** Fresh counters of the integration. */
function newIntegrationCounters(): IntegrationCounters {
  return {
    chunksSent: 0,
    chunksTooShort: 0,
    chunksFailed: 0,
    profilesStarted: 0,
    profilesSent: 0,
    profilesTooShort: 0,
    profilesFailed: 0,
    profilesTimedOut: 0,
    transactionsLinked: 0,
    spansLinked: 0,
  };
}

class FerroprofProfilerImpl implements FerroprofProfiler {
  readonly frequency: number;
  readonly counters: IntegrationCounters = newIntegrationCounters();
  lifecycle: 'manual' | 'trace' = 'manual';
  sessionSampled = false;
  session: ProcessSession | undefined;
  private client: ClientLike | undefined;
  private readonly chunkDurationMs: number;
  private readonly maxProfileDurationMs: number;
  private profilesRate = 0;
  private profilesSampler: FerroprofIntegrationOptions['profilesSampler'];
  private holdsSampler = false;
  private activeRoots = 0;
  private readonly countedRoots = new WeakSet<object>();
  private readonly profiles = new Map<string, ProfileRecord>();
  /** Encoded profiles waiting for their transaction's envelope, by event id. */
  private readonly readyProfiles = new Map<string, string>();
  private closed = false;
  /** 10.x with no profiling option: `start()` while running cuts the chunk, as the incumbent's legacy API. */
  private legacyContinuous = false;

  constructor(private readonly options: FerroprofIntegrationOptions) {
    this.frequency = validateFrequency(options.frequency ?? DEFAULT_FREQUENCY_HZ);
    this.chunkDurationMs = checkRange('chunkDurationMs', options.chunkDurationMs, 100, 60_000, 60_000);
    this.maxProfileDurationMs = checkRange('maxProfileDurationMs', options.maxProfileDurationMs, 1, 30_000, 30_000);
    if (options.profileLifecycle !== undefined && options.profileLifecycle !== 'manual' && options.profileLifecycle !== 'trace') {
      throw new RangeError(`ferroprof: profileLifecycle must be 'manual' or 'trace', got ${String(options.profileLifecycle)}`);
    }
  }

  get role(): 'host' | 'worker' | 'none' {
    if (!this.session) return 'none';
    return this.session instanceof SessionHost ? 'host' : 'worker';
  }

  setup(client: ClientLike): void {
    if (current && current !== this) current.teardown();
    current = this;
    this.client = client;
    const clientOptions = client.getOptions();
    const opt = <K extends keyof FerroprofIntegrationOptions>(key: K): unknown =>
      this.options[key] !== undefined ? this.options[key] : clientOptions[key];

    const checkedRate = (name: 'profilesSampleRate' | 'profileSessionSampleRate'): number | undefined => {
      const value = opt(name);
      if (value === undefined) return undefined;
      const r = rate(value);
      if (r === undefined) warn(`${name} must be a number between 0 and 1, got ${String(value)}; treating it as 0`);
      return r ?? 0;
    };
    this.profilesRate = checkedRate('profilesSampleRate') ?? 0;
    const sampler = opt('profilesSampler');
    this.profilesSampler = typeof sampler === 'function' ? (sampler as FerroprofIntegrationOptions['profilesSampler']) : undefined;
    const lifecycle = opt('profileLifecycle');
    this.lifecycle = lifecycle === 'trace' ? 'trace' : 'manual';
    const perTransaction = this.profilesSampler !== undefined || this.profilesRate > 0;
    // As with @sentry/profiling-node: with no rate at all, start()/stop() profile unsampled.
    // As with @sentry/profiling-node 10.x: with no profiling option at all, start()/stop()
    // profile unsampled (the legacy continuous API); 11.x has no such API and profiles nothing.
    const legacyMajor = Number(String(SDK_VERSION).split('.')[0]) < 11;
    const explicitRate = checkedRate('profileSessionSampleRate');
    this.legacyContinuous = explicitRate === undefined && !perTransaction && lifecycle === undefined && legacyMajor;
    const sessionRate = explicitRate ?? (this.legacyContinuous ? 1 : 0);
    this.sessionSampled = sessionRate > 0 && Math.random() < sessionRate;

    this.setMeta(client);
    if (isMainThread) {
      this.session = new SessionHost({
        frequency: this.frequency,
        chunkDurationMs: this.chunkDurationMs,
        sampled: this.sessionSampled,
        onChunk: (outcome, profilerId) => this.sendChunk(outcome, profilerId),
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
    client.on('processSpan', (json: never) => this.onProcessSpan(json as StreamedSpanJsonLike));
    client.on('beforeEnvelope', (envelope: never) => this.onBeforeEnvelope(envelope as Envelope));
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
    if (this.holdsSampler && !this.session?.runningProfilerId) this.maybeProfile(span);
  }

  private onSpanEnd(span: SpanLike): void {
    if (this.countedRoots.has(span)) {
      this.countedRoots.delete(span);
      this.activeRoots -= 1;
      if (this.activeRoots === 0) this.session?.want('trace', false);
    }
    const context = span.spanContext();
    const record = this.profiles.get(context.spanId);
    if (record) this.finishProfile(record, context.spanId, context.traceId);
  }

  /** 11.x streamed spans: the link to the chunks is the `sentry.profiler_id` attribute. */
  private onProcessSpan(json: StreamedSpanJsonLike): void {
    const end = json.end_timestamp ?? json.start_timestamp;
    const profilerId = this.session?.profilerIdDuring(json.start_timestamp, end);
    if (!profilerId) return;
    const attributes = (json.attributes ??= {});
    if (!('sentry.profiler_id' in attributes)) {
      attributes['sentry.profiler_id'] = profilerId;
      this.counters.spansLinked += 1;
    }
    attributes['thread.id'] ??= THREAD_ID;
    attributes['thread.name'] ??= THREAD_NAME;
  }

  // --- per-transaction profiles ---

  private maybeProfile(span: SpanLike): void {
    const json = spanToJSON(span as never) as { description?: string; name?: string; data?: Record<string, unknown> };
    const name = json.description ?? json.name ?? (span as { name?: string }).name ?? '<unlabeled transaction>';
    let profileRate = this.profilesRate;
    if (this.profilesSampler) {
      try {
        const answer = this.profilesSampler({
          name,
          attributes: json.data,
          parentSampled: undefined,
          transactionContext: { name, parentSampled: undefined },
        });
        profileRate = typeof answer === 'boolean' ? (answer ? 1 : 0) : (rate(answer) ?? 0);
      } catch (err) {
        warn(`profilesSampler threw (${errorLine(err)}); not profiling this transaction`);
        profileRate = 0;
      }
    }
    if (!(profileRate > 0 && (profileRate >= 1 || Math.random() < profileRate))) return;
    if (this.profiles.size >= MAX_PENDING_PROFILES) return;
    if (this.session instanceof SessionClient && !this.session.hostKnown) {
      // As documented: a worker whose main thread has no integration is not profiled.
      this.session.expectHost();
      return;
    }
    let windowId: number;
    try {
      // Ended natively at the limit, event loop or not; the timer below only frees
      // the record of a span that never ends.
      windowId = openWindowId(this.maxProfileDurationMs);
    } catch (err) {
      warn(`profiling is unavailable: ${errorLine(err)}`);
      return;
    }
    this.counters.profilesStarted += 1;
    const record: ProfileRecord = {
      windowId,
      profileId: uuid4(),
      idToken: uuid4(),
      nameToken: `ferroprof-transaction-name-${uuid4()}`,
      timer: undefined,
      outcome: undefined,
    };
    record.timer = setTimeout(() => {
      this.counters.profilesTimedOut += 1;
      const context = span.spanContext();
      this.finishProfile(record, context.spanId, context.traceId);
    }, this.maxProfileDurationMs);
    record.timer.unref();
    this.profiles.set(span.spanContext().spanId, record);
  }

  private finishProfile(record: ProfileRecord, spanId: string, traceId: string): void {
    const id = record.windowId;
    if (id === undefined) return;
    record.windowId = undefined;
    // Relay drops a profile whose trace id is no UUID; the encoder refuses it (counted).
    if (traceId.length !== 32) debugLog(`[Profiling] Invalid traceId: ${traceId} on profiled event`);
    clearTimeout(record.timer);
    // The transaction's event id and final name are known only when it is captured:
    // the profile is cut now with placeholders, which processEvent fills in.
    const meta = JSON.stringify({
      profileId: record.profileId,
      id: record.idToken,
      name: record.nameToken,
      traceId,
      activeThreadId: threadId,
    });
    const forget = setTimeout(() => {
      if (this.profiles.get(spanId) === record) this.profiles.delete(spanId);
    }, PROFILE_FORGET_MS);
    forget.unref();
    record.outcome = closeWindowAs(id, { encoding: 'v1', meta }).then(
      (result): Outcome => {
        if (result.kind === 'encoded') return { kind: 'encoded', payload: result.data };
        if (result.kind === 'rejected') {
          const r = JSON.parse(result.data) as { reason: string; message: string };
          return { kind: 'rejected', reason: r.reason, message: r.message };
        }
        return { kind: 'failed', message: failureText(result) };
      },
      (err: unknown): Outcome => ({ kind: 'failed', message: errorLine(err) }),
    );
  }

  /** Transactions: their profile, or the link to the chunks that hold their samples. */
  processEvent(event: EventLike): EventLike | Promise<EventLike> {
    if (event.type !== 'transaction') return event;
    const spanId = event.contexts?.trace?.span_id;
    const record = typeof spanId === 'string' ? this.profiles.get(spanId) : undefined;
    if (record && typeof spanId === 'string') {
      this.profiles.delete(spanId);
      return this.attachProfile(event, record);
    }
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
    const start = event.start_timestamp;
    const end = event.timestamp ?? start;
    if (start === undefined || end === undefined) return event;
    const profilerId = this.session?.profilerIdDuring(start, end);
    if (!profilerId) return event;
    const contexts = (event.contexts ??= {});
    contexts.profile = { ...(contexts.profile ?? {}), profiler_id: profilerId };
    this.setThreadData(event);
    this.counters.transactionsLinked += 1;
    return event;
  }

  private setThreadData(event: EventLike): void {
    const contexts = (event.contexts ??= {});
    const trace = (contexts.trace ??= {});
    const data = (trace.data as Record<string, unknown> | undefined) ?? {};
    trace.data = { ...data, 'thread.id': data['thread.id'] ?? THREAD_ID, 'thread.name': data['thread.name'] ?? THREAD_NAME };
  }

  private async attachProfile(event: EventLike, record: ProfileRecord): Promise<EventLike> {
    const traceId = event.contexts?.trace?.trace_id;
    if (record.windowId !== undefined && typeof spanIdOf(event) === 'string' && typeof traceId === 'string') {
      // Captured before its root span ended: the profile ends here.
      this.finishProfile(record, spanIdOf(event) as string, traceId);
    }
    const outcome = await withTimeout(record.outcome, PROFILE_WAIT_MS);
    const client = this.client;
    if (outcome?.kind === 'encoded' && event.event_id) {
      const payload = outcome.payload
        .split(record.idToken)
        .join(event.event_id)
        .split(JSON.stringify(record.nameToken))
        .join(JSON.stringify(event.transaction ?? '<unlabeled transaction>'));
      const contexts = (event.contexts ??= {});
      contexts.profile = { ...(contexts.profile ?? {}), profile_id: record.profileId };
      this.setThreadData(event);
      const eventId = event.event_id;
      this.readyProfiles.set(eventId, payload);
      // Dropped after processing (beforeSendTransaction, sampling): no envelope comes.
      setTimeout(() => this.readyProfiles.delete(eventId), PROFILE_FORGET_MS).unref();
      return event;
    }
    if (outcome?.kind === 'rejected' && outcome.reason === 'not_enough_samples') {
      this.counters.profilesTooShort += 1;
      debugLog('[Profiling] Discarding profile because it contains less than 2 samples');
      client?.recordDroppedEvent?.('insufficient_data', 'profile');
    } else {
      this.counters.profilesFailed += 1;
      client?.recordDroppedEvent?.('internal_sdk_error', 'profile');
    }
    return this.link(event);
  }

  /** Adds a transaction's profile to the transaction's own envelope. */
  private onBeforeEnvelope(envelope: Envelope): void {
    if (this.readyProfiles.size === 0) return;
    const eventId = envelope[0]?.event_id;
    if (typeof eventId !== 'string') return;
    const payload = this.readyProfiles.get(eventId);
    if (payload === undefined) return;
    if (!envelope[1].some(([header]) => header.type === 'transaction')) return;
    this.readyProfiles.delete(eventId);
    envelope[1].push([{ type: 'profile', content_type: 'application/json' }, this.processProfile(payload, eventId)]);
    this.counters.profilesSent += 1;
  }

  /**
   * The profile through the client's `preprocessEvent` and `postprocessEvent` hooks,
   * as `@sentry/profiling-node` does (hooks may read or change it). Parsing costs the
   * JS thread about 1 ms per 1000 samples, so it happens only when a hook is there.
   */
  private processProfile(payload: string, eventId: string): string | object {
    const client = this.client;
    if (!client?.emit || !hasHook(client, 'preprocessEvent', 'postprocessEvent')) return payload;
    try {
      const profile = JSON.parse(payload) as object;
      client.emit('preprocessEvent', profile, { event_id: eventId });
      client.emit('postprocessEvent', profile, { event_id: eventId });
      return profile;
    } catch (err) {
      warn(`a profile hook failed (${errorLine(err)}); the profile is sent as encoded`);
      return payload;
    }
  }

  // --- chunks ---

  private sendChunk(outcome: ChunkOutcome, profilerId: string): void {
    const client = this.client;
    if (!client) return;
    if (outcome.kind === 'encoded') {
      const sdk = client.getSdkMetadata()?.sdk;
      const options = client.getOptions();
      const header: Record<string, unknown> = {
        event_id: uuid4(),
        sent_at: new Date().toISOString(),
      };
      if (sdk?.name && sdk.version) header.sdk = { name: sdk.name, version: sdk.version };
      const dsn = client.getDsn();
      if (options.tunnel && dsn) header.dsn = dsnString(dsn);
      try {
        void client.sendEnvelope([header, [[{ type: 'profile_chunk', platform: 'node' }, outcome.payload]]]);
        this.counters.chunksSent += 1;
      } catch (err) {
        this.counters.chunksFailed += 1;
        warn(`a profile chunk of session ${profilerId} could not be sent: ${errorLine(err)}`);
      }
      return;
    }
    if (outcome.kind === 'rejected' && outcome.reason === 'not_enough_samples') {
      this.counters.chunksTooShort += 1;
      debugLog('[Profiling] Discarding profile chunk because it contains less than 2 samples');
      client.recordDroppedEvent?.('insufficient_data', 'profile_chunk');
      return;
    }
    this.counters.chunksFailed += 1;
    client.recordDroppedEvent?.('internal_sdk_error', 'profile_chunk');
    warn(`a profile chunk of session ${profilerId} was not sent: ${outcome.message}`);
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
    for (const record of this.profiles.values()) {
      clearTimeout(record.timer);
      if (record.windowId !== undefined) void closeWindowAs(record.windowId, {}).catch(() => {});
      record.windowId = undefined;
    }
    this.profiles.clear();
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

/** Whether the client has a listener on one of `hooks` (`_hooks` of `@sentry/core` 10/11; unknown shape: yes). */
function hasHook(client: ClientLike, ...hooks: string[]): boolean {
  const registry = (client as { _hooks?: Record<string, { size?: number; length?: number } | undefined> })._hooks;
  if (!registry || typeof registry !== 'object') return true;
  return hooks.some((h) => {
    const set = registry[h];
    return set !== undefined && (set.size ?? set.length ?? 1) > 0;
  });
}

/** `@sentry/core`'s debug logger (prints only with `debug: true`), as the incumbent logs. */
function debugLog(message: string): void {
  try {
    debug.log(message);
  } catch {
    // Logging must never break profiling.
  }
}

function spanIdOf(event: EventLike): unknown {
  return event.contexts?.trace?.span_id;
}

function dsnString(dsn: unknown): string {
  const d = dsn as { protocol: string; publicKey?: string; host: string; port?: string; path?: string; projectId: string };
  return `${d.protocol}://${d.publicKey ?? ''}@${d.host}${d.port ? `:${d.port}` : ''}/${d.path ? `${d.path}/` : ''}${d.projectId}`;
}

async function withTimeout<T>(work: Promise<T> | undefined, ms: number): Promise<T | undefined> {
  if (!work) return undefined;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
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
