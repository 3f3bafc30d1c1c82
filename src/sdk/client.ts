import { release as osRelease, type as osType } from 'node:os';
import { isMainThread, threadId } from 'node:worker_threads';

import {
  configureSampler,
  minSampleSpacingMs,
  profilerBackend,
  setProfileMeta,
  startSampling,
  stopSampling,
} from '../binding.js';
import { LocalTransport } from '../transport/local.js';
import { IdleWaiters } from '../transport/support.js';
import type { DataCategory, Transport } from '../transport/types.js';
import { type ChunkOutcome, ContinuousSession } from './continuous.js';
import type { EnvelopeHeader, EnvelopeItemInput, ItemHeader } from '../envelope.js';
import { sdkEnvelope, transactionJson } from './event.js';
import { uuid4 } from './ids.js';
import { errorLine, logger } from './logger.js';
import type { ResolvedOptions, SamplingContext, TransactionContext } from './options.js';
import { Profile, type ProfileOutcome } from './profile.js';
import { Transaction, type TransactionSink } from './span.js';
import { nowSeconds } from './time.js';
import { SDK_NAME, SDK_VERSION } from './version.js';
import { decideProfiling, decideTracing, profilingConfigured } from './decisions.js';
import { type ProfilerStats, type SdkCounters, newCounters, profilerStats, summaryLine } from './stats.js';
import { chooseTransport } from './transport-choice.js';

export type { ProfilerStats, SdkCounters } from './stats.js';

const EXIT_FLUSH_MS = 2000;
/** What a transport's own bounded flush/close may overrun its budget by (timer slack). */
const SETTLE_GRACE_MS = 50;

// Frozen: the envelope model serializes each of these item headers once.
const TRANSACTION_ITEM: ItemHeader = Object.freeze({ type: 'transaction', content_type: 'application/json' });
const PROFILE_ITEM: ItemHeader = Object.freeze({ type: 'profile', content_type: 'application/json' });
const CHUNK_ITEM: ItemHeader = Object.freeze({ type: 'profile_chunk', platform: 'node', content_type: 'application/json' });
const SDK_INFO = Object.freeze({ name: SDK_NAME, version: SDK_VERSION });
const TRANSACTION_ONLY: readonly DataCategory[] = Object.freeze(['transaction']);
const TRANSACTION_AND_PROFILE: readonly DataCategory[] = Object.freeze(['transaction', 'profile']);
const CHUNK_ONLY: readonly DataCategory[] = Object.freeze(['profile_chunk']);

/** The SDK client: options, transport, sessions, and what happens to transactions. */
export class Client implements TransactionSink {
  readonly options: ResolvedOptions;
  readonly transport: Transport;
  readonly transportKind: 'local' | 'http' | 'custom';
  private readonly dsnHeader: string | undefined;
  private readonly inflight = new Set<Promise<void>>();
  /** Transactions waiting for their profile's outcome before they are sent. */
  private readonly profilesPending = new Set<PendingTransaction>();
  private readonly profilesIdle = new IdleWaiters(() => this.profilesPending.size === 0);
  private session: ContinuousSession | undefined;
  private closed = false;
  private exitHooked = false;
  /** Recent sessions, newest first, to link transactions that overlapped them. */
  private readonly lastSessions: { profilerId: string; startedAt: number; stoppedAt: number | undefined }[] = [];
  /** The client holds the isolate's sampler for transaction profiles. */
  private holdsSampler = false;
  /** Profiles shorter than this cannot hold two samples at the sampler's rate (ms). */
  private minProfileMs = 0;
  readonly counters: SdkCounters = newCounters();

  constructor(options: ResolvedOptions) {
    this.options = options;
    logger.setDebug(options.debug);
    const { transport, kind, dsnHeader } = chooseTransport(options);
    this.transport = transport;
    this.transportKind = kind;
    this.dsnHeader = dsnHeader;
    this.sendProfileMeta();
    this.hookExit();
    this.holdSamplerForProfiles();
    if (options.profilerMode === 'continuous' && options.continuousProfilingAutoStart) this.startProfiler();
    logger.debug(
      `init: ${transport instanceof LocalTransport ? `local mode, writing envelopes to ${transport.dir}` : `${kind} transport`}, profiler mode ${options.profilerMode}, ${options.scheduler.constructor.name} at ${options.scheduler.frequency} Hz`,
    );
  }

  private sendProfileMeta(): void {
    try {
      // Transaction profiles start the shared sampler at the scheduler's frequency.
      // With profiling configured, the isolate's V8 profiler is created now, with
      // eager code logging, while the heap is small: no later start walks a big heap
      // (hundreds of ms on a warmed-up service). Without, nothing is created: eager
      // logging taxes compiling and C++ calls even while nothing is sampled.
      configureSampler({ defaultHz: this.options.scheduler.frequency, eagerLogging: profilingConfigured(this.options) });
      setProfileMeta({
        sdk: { name: SDK_NAME, version: SDK_VERSION },
        runtime: { name: 'node', version: process.version },
        os: { name: osType(), version: osRelease() },
        device: { architecture: process.arch },
        release: this.options.release,
        environment: this.options.environment,
      });
      if (this.options.debug) {
        const { backend, reason } = profilerBackend();
        logger.debug(`profiling backend: ${backend} (${reason})`);
      }
    } catch (err) {
      logger.warnOnce('native', `profiling is unavailable: ${errorLine(err)}`);
    }
  }

  // With transaction profiling on, the sampler starts now and runs until `close`. V8's
  // lazy code logging walks the heap when a sampler starts: at init the heap is small
  // (a few ms), while the first profiled request of a warmed-up app could stall for
  // hundreds of ms (measured: ~300 ms with a 260 MB heap). Profiles are then windows
  // over the running sampler and never start or stop V8 profiling.
  private holdSamplerForProfiles(): void {
    const profiling =
      this.options.profilerMode !== 'continuous' &&
      (this.options.profilesSampler !== undefined || (this.options.profilesSampleRate ?? 0) > 0);
    if (!profiling) return;
    try {
      const hz = startSampling(this.options.scheduler.frequency);
      this.holdsSampler = true;
      this.minProfileMs = minSampleSpacingMs(hz);
    } catch (err) {
      logger.warnOnce('native', `profiling is unavailable: ${errorLine(err)}`);
    }
  }

  private releaseSampler(): void {
    if (!this.holdsSampler) return;
    this.holdsSampler = false;
    stopSampling();
  }

  // Deliver what is queued when the event loop empties; at a hard `process.exit()`
  // only synchronous work runs, so the last chunk is written to disk in local mode.
  private readonly onBeforeExit = (): void => {
    if (this.closed) return;
    void this.close(EXIT_FLUSH_MS);
  };

  private readonly onExit = (): void => {
    if (this.closed) return;
    this.settlePendingSync();
    if (!this.session?.running) return;
    for (const outcome of this.session.stopSync(500)) {
      if (outcome.kind === 'encoded') this.writeChunkSync(outcome);
    }
  };

  // An uncaught exception (or an unhandled rejection, which Node turns into one) that
  // will end the process: nothing asynchronous runs any more, so finished transactions
  // still waiting for their profile are written now (local mode) or counted. With an
  // app handler the process lives on and this does nothing.
  private readonly onUncaught = (): void => {
    if (this.closed || process.listenerCount('uncaughtException') > 0) return;
    this.settlePendingSync();
  };

  private hookExit(): void {
    if (this.exitHooked) return;
    this.exitHooked = true;
    process.once('beforeExit', this.onBeforeExit);
    process.once('exit', this.onExit);
    process.on('uncaughtExceptionMonitor', this.onUncaught);
  }

  private unhookExit(): void {
    process.removeListener('beforeExit', this.onBeforeExit);
    process.removeListener('exit', this.onExit);
    process.removeListener('uncaughtExceptionMonitor', this.onUncaught);
  }

  /**
   * The process is ending and no callback will run: each finished transaction still
   * waiting for its profile is written now without it (local transports), or counted
   * as dropped (`internal_sdk_error`) with its profile.
   */
  private settlePendingSync(): void {
    if (this.profilesPending.size === 0) return;
    const local = this.localTransport();
    for (const pending of this.takePending()) {
      const { txn } = pending;
      this.transport.recordDroppedEvent?.('internal_sdk_error', 'profile');
      this.counters.profilesUnsent += 1;
      if (!txn.profilerId) txn.profilerId = this.sessionDuring(txn);
      const written =
        local?.writeSync(this.transactionEnvelope(txn, undefined), { categories: TRANSACTION_ONLY, eventId: txn.eventId }) ??
        false;
      if (written) {
        this.counters.transactionsSent += 1;
      } else {
        this.transport.recordDroppedEvent?.('internal_sdk_error', 'transaction');
        this.counters.transactionsUnsent += 1;
      }
    }
  }

  /** Empties the set of transactions waiting for a profile; their callbacks then do nothing. */
  private takePending(): PendingTransaction[] {
    const taken = [...this.profilesPending];
    for (const p of taken) p.abandoned = true;
    this.profilesPending.clear();
    this.profilesIdle.check();
    return taken;
  }

  /** Starts a transaction: the tracing decision, then the profiling decision. */
  startTransaction(ctx: TransactionContext, customSamplingContext: Record<string, unknown> = {}): Transaction {
    this.counters.transactionsStarted += 1;
    const context = normalizeContext(ctx);
    const samplingContext: SamplingContext = {
      ...customSamplingContext,
      transactionContext: context,
      parentSampled: context.parentSampled,
      environment: this.options.environment,
    };
    const sampled = this.closed ? false : decideTracing(this.options, context, samplingContext);
    const txn = new Transaction({
      name: context.name,
      op: context.op,
      description: context.description,
      traceId: context.traceId,
      parentSpanId: context.parentSpanId,
      sampled,
      tags: context.tags,
      data: context.data,
      sink: this,
    });
    txn.threadId = threadId;
    txn.threadName = isMainThread ? 'main' : `worker ${threadId}`;
    if (!sampled) return txn;
    this.counters.transactionsSampled += 1;
    if (this.session?.running) {
      txn.profilerId = this.session.profilerId;
    } else if (this.options.profilerMode !== 'continuous' && decideProfiling(this.options, samplingContext)) {
      this.startProfile(txn);
    }
    return txn;
  }

  /** Binds a new profile to `txn` (what `new Profile(txn)` does through the client). */
  startProfile(txn: Transaction): Profile {
    this.counters.profilesStarted += 1;
    return new Profile(txn, {
      maxDurationMs: this.options.maxProfileDurationMs,
      timeoutWarning: this.options.profileTimeoutWarning,
      // Only while this client holds the sampler is its rate known.
      minDurationMs: this.holdsSampler ? this.minProfileMs : 0,
    });
  }

  /** Called when a transaction finishes: sends it, with its profile if it has one. */
  captureTransaction(txn: Transaction): void {
    txn.profile?.finish();
    if (!txn.isSampled) {
      this.transport.recordDroppedEvent?.('sample_rate', 'transaction');
      return;
    }
    if (this.closed) return;
    const profile = txn.profile;
    if (!profile) {
      // The common case sends at once, without a promise per transaction.
      try {
        this.sendTransaction(txn, undefined);
      } catch (err) {
        logger.warnOnce('send-failed', `could not send an event: ${err instanceof Error ? err.message : String(err)}`);
      }
      return;
    }
    // A callback, not a promise chain: a profiled transaction costs no promise.
    const pending: PendingTransaction = { txn, abandoned: false };
    this.profilesPending.add(pending);
    profile.onSettled((outcome) => {
      // Given up on at close or exit: counted there.
      if (pending.abandoned) return;
      try {
        this.sendTransaction(txn, outcome);
      } catch (err) {
        logger.warnOnce('send-failed', `could not send an event: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        this.profilesPending.delete(pending);
        this.profilesIdle.check();
      }
    });
  }

  private sendTransaction(txn: Transaction, outcome: ProfileOutcome | undefined): void {
    // A session that ran during the transaction (even one started inside it) holds
    // its samples; a transaction profile, when sent, takes precedence.
    if (!txn.profilerId && outcome?.kind !== 'encoded') txn.profilerId = this.sessionDuring(txn);
    if (txn.profile?.timedOut) this.counters.profilesTimedOut += 1;
    this.countProfile(outcome);
    const profiled = outcome?.kind === 'encoded';
    const envelope = this.transactionEnvelope(txn, outcome);
    this.counters.envelopesSent += 1;
    this.counters.bytesSent += envelope.length;
    this.transport.send(envelope, { categories: profiled ? TRANSACTION_AND_PROFILE : TRANSACTION_ONLY, eventId: txn.eventId });
    this.counters.transactionsSent += 1;
    if (profiled) this.counters.profilesSent += 1;
  }

  /** A transaction's envelope, with its profile when it was encoded. */
  private transactionEnvelope(txn: Transaction, outcome: ProfileOutcome | undefined): Uint8Array {
    const event: EnvelopeItemInput = { header: TRANSACTION_ITEM, payload: transactionJson(txn, this.options, outcome) };
    const items = outcome?.kind === 'encoded' ? [event, { header: PROFILE_ITEM, payload: outcome.payload }] : [event];
    // The dynamic sampling context of the trace, `undefined` fields left out.
    const trace: Record<string, string> = { trace_id: txn.traceId };
    if (this.options.environment !== undefined) trace.environment = this.options.environment;
    if (this.options.release !== undefined) trace.release = this.options.release;
    trace.transaction = txn.name;
    trace.sampled = 'true';
    return this.envelope(txn.eventId, items, trace);
  }

  private countProfile(outcome: ProfileOutcome | undefined): void {
    if (outcome?.kind !== 'rejected') return;
    if (outcome.reason === 'not_enough_samples') {
      this.counters.profilesTooShort += 1;
      logger.debug('a profile had fewer than two samples and was not sent (too_short)');
      this.transport.recordDroppedEvent?.('insufficient_data', 'profile');
      return;
    }
    this.counters.profilesRejected[outcome.reason] = (this.counters.profilesRejected[outcome.reason] ?? 0) + 1;
    logger.warnOnce(`profile-rejected:${outcome.reason}`, `a profile was not sent: ${outcome.message}`);
    this.transport.recordDroppedEvent?.('internal_sdk_error', 'profile');
  }

  private envelope(eventId: string, items: EnvelopeItemInput[], trace?: Record<string, string>): Uint8Array {
    const header: EnvelopeHeader = { event_id: eventId, sdk: SDK_INFO };
    if (this.dsnHeader) header.dsn = this.dsnHeader;
    if (trace) header.trace = trace;
    return sdkEnvelope(header, items);
  }

  private send(eventId: string, items: EnvelopeItemInput[], categories: readonly DataCategory[]): void {
    const envelope = this.envelope(eventId, items);
    this.counters.envelopesSent += 1;
    this.counters.bytesSent += envelope.length;
    this.transport.send(envelope, { categories, eventId });
  }

  private track(work: Promise<void>): void {
    const guarded = work.catch((err: unknown) => {
      logger.warnOnce('send-failed', `could not send an event: ${err instanceof Error ? err.message : String(err)}`);
    });
    this.inflight.add(guarded);
    void guarded.finally(() => this.inflight.delete(guarded));
  }

  /** Starts a continuous session; a second call is a no-op. Returns whether one runs. */
  startProfiler(): boolean {
    if (this.closed) return false;
    if (this.session?.running) return true;
    const session = new ContinuousSession({
      frequency: this.options.scheduler.frequency,
      chunkDurationMs: this.options.chunkDurationMs,
      onChunk: (outcome) => this.onChunk(session, outcome),
    });
    if (!session.start()) return false;
    this.session = session;
    this.lastSessions.unshift({ profilerId: session.profilerId, startedAt: nowSeconds(), stoppedAt: undefined });
    this.lastSessions.length = Math.min(this.lastSessions.length, 8);
    logger.debug(`continuous profiling started (profiler_id ${session.profilerId})`);
    return true;
  }

  /** Stops the session, sending its last chunk; a no-op without one. */
  stopProfiler(): Promise<void> {
    const session = this.session;
    if (!session?.running) return Promise.resolve();
    const record = this.lastSessions.find((x) => x.profilerId === session.profilerId);
    if (record) record.stoppedAt = nowSeconds();
    const done = session.stop();
    this.track(done);
    return done;
  }

  /** The profiler id of a session that overlapped the transaction, if any. */
  private sessionDuring(txn: Transaction): string | undefined {
    const end = txn.endTimestamp ?? Number.POSITIVE_INFINITY;
    const s = this.lastSessions.find((x) => x.startedAt < end && (x.stoppedAt ?? Number.POSITIVE_INFINITY) > txn.startTimestamp);
    return s?.profilerId;
  }

  get profilerId(): string | undefined {
    return this.session?.running ? this.session.profilerId : undefined;
  }

  private onChunk(session: ContinuousSession, outcome: ChunkOutcome): void {
    if (outcome.kind === 'encoded') {
      this.send(uuid4(), [{ header: CHUNK_ITEM, payload: outcome.payload }], CHUNK_ONLY);
      this.counters.chunksSent += 1;
      return;
    }
    if (outcome.kind === 'rejected' && outcome.reason === 'not_enough_samples') {
      this.counters.chunksTooShort += 1;
      logger.debug('a profile chunk had fewer than two samples and was not sent (too_short)');
      this.transport.recordDroppedEvent?.('insufficient_data', 'profile_chunk');
      return;
    } else {
      const reason = outcome.kind === 'rejected' ? outcome.reason : 'failed';
      this.counters.chunksRejected[reason] = (this.counters.chunksRejected[reason] ?? 0) + 1;
      logger.warnOnce(
        `chunk-rejected:${reason}`,
        `a profile chunk of session ${session.profilerId} was not sent: ${outcome.message}`,
      );
    }
    this.transport.recordDroppedEvent?.('internal_sdk_error', 'profile_chunk');
  }

  // At a hard exit only synchronous work runs: a local transport (the default one or a
  // LocalTransport given as `transport`) writes the last chunk now; others cannot send.
  private writeChunkSync(outcome: Extract<ChunkOutcome, { kind: 'encoded' }>): void {
    const local = this.localTransport();
    if (!local) return;
    const eventId = uuid4();
    const envelope = sdkEnvelope({ event_id: eventId, sdk: SDK_INFO }, [{ header: CHUNK_ITEM, payload: outcome.payload }]);
    if (local.writeSync(envelope, { categories: CHUNK_ONLY, eventId })) this.counters.chunksSent += 1;
  }

  /** The local transport envelopes can be written through synchronously, if any. */
  private localTransport(): LocalTransport | undefined {
    const given = this.options.transport;
    return this.transport instanceof LocalTransport ? this.transport : given instanceof LocalTransport ? given : undefined;
  }

  /**
   * Waits (at most `timeoutMs`, whatever the sampler, workers or transport do) until
   * everything queued was delivered or written; `false` if anything was left.
   */
  async flush(timeoutMs = 2000): Promise<boolean> {
    const deadline = Date.now() + Math.max(0, timeoutMs);
    const settled = await withTimeout(this.settleInflight(timeoutMs), timeoutMs);
    return (await this.flushTransport(deadline)) && settled;
  }

  private flushTransport(deadline: number): Promise<boolean> {
    const left = Math.max(0, deadline - Date.now());
    // A custom transport's flush is bounded by its wrapper; this bounds every other.
    return withTimeout(this.transport.flush(left), left + SETTLE_GRACE_MS);
  }

  /** Whether every transaction got its profile and every session chunk was handed on. */
  private async settleInflight(timeoutMs: number): Promise<boolean> {
    const idle = await this.profilesIdle.wait(timeoutMs);
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    await this.session?.settled();
    return idle && this.profilesPending.size === 0;
  }

  /**
   * Stops the session, flushes, and closes the transport, all within `timeoutMs`
   * (plus a few ms); later events are dropped. `true` only if everything was
   * delivered: transactions still waiting for their profile at the deadline are
   * dropped and counted (`internal_sdk_error`), as is whatever the transport holds.
   */
  async close(timeoutMs = 2000): Promise<boolean> {
    if (this.closed) return this.transport.flush(0).catch(() => false);
    const deadline = Date.now() + Math.max(0, timeoutMs);
    this.unhookExit();
    // A session's last chunk may wait for a busy worker's samples: not past the deadline.
    const stopped = await withTimeout(this.stopProfiler(), timeoutMs);
    const settled = await withTimeout(
      this.settleInflight(Math.max(0, deadline - Date.now())),
      Math.max(0, deadline - Date.now()),
    );
    this.closed = true;
    this.releaseSampler();
    const abandoned = this.takePending();
    for (const _ of abandoned) {
      this.transport.recordDroppedEvent?.('internal_sdk_error', 'transaction');
      this.transport.recordDroppedEvent?.('internal_sdk_error', 'profile');
      this.counters.transactionsUnsent += 1;
      this.counters.profilesUnsent += 1;
    }
    if (abandoned.length > 0) {
      logger.warnOnce(
        'close-pending',
        `close(${timeoutMs}): ${abandoned.length} finished transaction(s) were still waiting for their profile and were dropped (counted as internal_sdk_error)`,
      );
    }
    const left = Math.max(0, deadline - Date.now());
    const closed = await withTimeout(this.transport.close(left), left + SETTLE_GRACE_MS);
    if (this.options.debug) logger.debug(summaryLine(this.stats()));
    return stopped && settled && abandoned.length === 0 && closed;
  }

  /** The profiler's own measurements. */
  stats(): ProfilerStats {
    return profilerStats({
      counters: this.counters,
      transport: this.transportKind,
      ...(this.transport instanceof LocalTransport ? { localDir: this.transport.dir } : {}),
      dropped: this.transport.getDroppedCounts?.() ?? [],
      sessionRunning: this.session?.running ?? false,
      profilerId: this.profilerId,
    });
  }
}

function normalizeContext(ctx: TransactionContext): TransactionContext {
  if (ctx === null || typeof ctx !== 'object') {
    logger.warnOnce('txn-context', 'startTransaction() expects { name, op }; using name "<unlabeled transaction>"');
    return { name: '<unlabeled transaction>' };
  }
  if (typeof ctx.name !== 'string' || ctx.name === '') {
    logger.warnOnce('txn-name', 'a transaction needs a non-empty name; using "<unlabeled transaction>"');
    return { ...ctx, name: '<unlabeled transaction>' };
  }
  return ctx;
}

/**
 * `work`'s result (`true` for a void promise), or `false` once `timeoutMs` has passed
 * or if it rejects: the caller never waits longer.
 */
async function withTimeout(work: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolveTimeout) => {
    timer = setTimeout(() => resolveTimeout(false), Math.max(0, timeoutMs));
  });
  try {
    return await Promise.race([
      work.then(
        (ok) => ok !== false,
        () => false,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A transaction finished before its profile: sent once the profile settles. */
interface PendingTransaction {
  readonly txn: Transaction;
  /** Given up on (close deadline, process exit); counted there. */
  abandoned: boolean;
}
