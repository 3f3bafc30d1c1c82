import { argTypeError, checkObject } from '../args.js';
import { type Dsn, dsnToString, parseDsn } from './dsn.js';
import { type Body, HttpSender } from './http-sender.js';
import { CLIENT_REPORT_CATEGORIES, clientReportEnvelope, filterEnvelopeItems } from './items.js';
import { RateLimits } from './rate-limits.js';
import { DiscardCounter, IdleWaiters, OnceLogger, copyInfo, defaultLogger, describeError, toBytes } from './support.js';
import type { DataCategory, DiscardReason, DroppedCount, EnvelopeInfo, Transport, TransportLogger } from './types.js';

/** Retry policy for network errors and 5xx responses. */
export interface RetryOptions {
  /** Retries after the first attempt (default 3, so at most 4 attempts). */
  maxRetries?: number;
  /** Delay before the first retry, doubled each time, ±25 % jitter (default 1000 ms). */
  baseDelayMs?: number;
  /** Upper bound of one delay (default 30 000 ms). */
  maxDelayMs?: number;
}

/** Options of {@link HttpTransport}. */
export interface HttpTransportOptions {
  /** Sentry DSN, as a string or parsed by {@link parseDsn}. */
  dsn: string | Dsn;
  /** Client name in `X-Sentry-Auth` / `User-Agent` (default `ferroprof`). */
  sdkName?: string;
  /** Client version in `X-Sentry-Auth` / `User-Agent` (default `unknown`). */
  sdkVersion?: string;
  /**
   * Most envelopes waiting to be sent (default 10 000: the byte bound is the one that
   * matters); beyond it the oldest is dropped.
   */
  maxQueueSize?: number;
  /** Most bytes waiting to be sent (default 16 MiB); beyond it the oldest are dropped. */
  maxQueueBytes?: number;
  /** Requests in flight at once that are answering in time (default 2). */
  maxConcurrentRequests?: number;
  /**
   * Total deadline of one request — connect, send and answer — in ms (default 30 000);
   * then it is abandoned and retried like a network error.
   */
  timeoutMs?: number;
  /**
   * A request unanswered after this many ms (default 5 000, at most `timeoutMs`) stops
   * holding its place: the queue moves on past it while it runs to its deadline.
   */
  slowRequestMs?: number;
  /** Slow requests allowed in flight besides the others (default 8); beyond, the queue waits. */
  maxSlowRequests?: number;
  /** Bodies larger than this many bytes are gzip-compressed (default 1024). */
  gzipThresholdBytes?: number;
  /** Retry policy for network errors and 5xx. */
  retry?: RetryOptions;
  /** Send client reports of discarded items (default true). */
  sendClientReports?: boolean;
  /** How often pending client reports go out on their own (default 30 000 ms; 0 = only at flush/close). */
  clientReportIntervalMs?: number;
  /** Where problems are logged, once per kind (default `console.warn`). */
  logger?: TransportLogger;
}

interface Entry {
  bytes: Uint8Array;
  info: EnvelopeInfo;
  /** Set on client-report entries: the counts it carries, restored if it cannot be delivered. */
  report?: DroppedCount[];
  /** Delivered or given up on (and counted): nothing more happens to it. */
  settled?: boolean;
}

/** The place an entry being delivered holds: a concurrent one, or (once slow) a slow one. */
interface Slot {
  slow: boolean;
}

function positive(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
}

function nonNegative(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : fallback;
}

/**
 * Sends envelopes to Sentry over HTTP(S) with `node:http`/`node:https`. This class is
 * the policy; one request is {@link HttpSender}'s (`http-sender.ts`).
 *
 * - Bounded queue (count and bytes). When full, the **oldest** queued envelope is dropped
 *   (newest data is the most useful, as everywhere else in ferroprof) and counted as
 *   `queue_overflow`.
 * - At most `maxConcurrentRequests` requests in flight; network errors and 5xx are retried
 *   with exponential backoff and jitter, other 4xx are dropped (`send_error`).
 * - Each request has a total deadline (`timeoutMs`: connect, send, answer). One still
 *   unanswered after `slowRequestMs` gives its place to the next envelope (at most
 *   `maxSlowRequests` such), so a slow or stalled ingest costs what it holds, not
 *   everything after it; this is logged once.
 * - Envelopes queued or in flight when `close` ends are counted (`network_error`).
 * - Honours 429 `Retry-After` and `X-Sentry-Rate-Limits` (on any response) per category:
 *   limited items are dropped without sending (`ratelimit_backoff`), others still flow.
 * - Discards go to Sentry as `client_report` envelopes, periodically and at flush.
 * - Sockets and timers are unref'd: the transport never keeps the process alive by itself,
 *   only an awaited `flush()`/`close()` does.
 */
export class HttpTransport implements Transport {
  private readonly dsn: Dsn;
  private readonly dsnString: string;
  private readonly sender: HttpSender;
  private readonly where: string;
  private readonly maxQueueSize: number;
  private readonly maxQueueBytes: number;
  private readonly maxConcurrent: number;
  private readonly timeoutMs: number;
  private readonly slowRequestMs: number;
  private readonly maxSlow: number;
  private readonly maxRetries: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly sendClientReports: boolean;
  private readonly log: OnceLogger;

  private readonly limits = new RateLimits();
  private readonly discards = new DiscardCounter();
  private readonly queue: Entry[] = [];
  private queuedData = 0;
  private queuedBytes = 0;
  /** Entries being delivered in a concurrent slot / in a slow one. */
  private active = 0;
  private slow = 0;
  private readonly delivering = new Set<Entry>();
  private reportQueued = false;
  /** Envelopes given up on (network or send error); a flush that sees one resolves false. */
  private failures = 0;
  /** `failures` as of the last flush that resolved. */
  private failuresReported = 0;
  private accepting = true;
  private stopped = false;
  private closing: Promise<boolean> | undefined;
  private readonly sleeps = new Set<() => void>();
  private readonly reportTimer: NodeJS.Timeout | undefined;
  private readonly idle = new IdleWaiters(() => this.queue.length === 0 && this.active === 0 && this.slow === 0);

  /**
   * @throws TypeError when `options` is not an object or `options.dsn` neither a string nor a parsed {@link Dsn}.
   * @throws DsnError when `options.dsn` is not a valid DSN.
   */
  constructor(options: HttpTransportOptions) {
    checkObject('new HttpTransport(options)', 'options', options, false);
    if (typeof options.dsn !== 'string' && (options.dsn === null || typeof options.dsn !== 'object')) {
      throw argTypeError('new HttpTransport(options)', 'options.dsn', 'a DSN string or a parsed Dsn (parseDsn())', options.dsn);
    }
    this.dsn = typeof options.dsn === 'string' ? parseDsn(options.dsn) : options.dsn;
    this.dsnString = dsnToString(this.dsn);
    this.maxQueueSize = Math.floor(positive(options.maxQueueSize, 10_000));
    this.maxQueueBytes = positive(options.maxQueueBytes, 16 * 1024 * 1024);
    this.maxConcurrent = Math.floor(positive(options.maxConcurrentRequests, 2));
    this.timeoutMs = positive(options.timeoutMs, 30_000);
    this.slowRequestMs = Math.min(this.timeoutMs, positive(options.slowRequestMs, 5_000));
    this.maxSlow = Math.floor(nonNegative(options.maxSlowRequests, 8));
    this.maxRetries = Math.floor(nonNegative(options.retry?.maxRetries, 3));
    this.baseDelayMs = nonNegative(options.retry?.baseDelayMs, 1000);
    this.maxDelayMs = nonNegative(options.retry?.maxDelayMs, 30_000);
    this.sendClientReports = options.sendClientReports !== false;
    this.log = new OnceLogger(options.logger ?? defaultLogger);

    this.sender = new HttpSender({
      dsn: this.dsn,
      client: `${options.sdkName ?? 'ferroprof'}/${options.sdkVersion ?? 'unknown'}`,
      timeoutMs: this.timeoutMs,
      slowRequestMs: this.slowRequestMs,
      // Room for the slow requests too: the next envelope must not queue behind them in the agent.
      maxSockets: this.maxConcurrent + this.maxSlow,
      gzipThresholdBytes: nonNegative(options.gzipThresholdBytes, 1024),
    });
    this.where = this.sender.where;

    const interval = nonNegative(options.clientReportIntervalMs, 30_000);
    if (this.sendClientReports && interval > 0) {
      this.reportTimer = setInterval(() => this.queueClientReport(), interval);
      this.reportTimer.unref();
    }
  }

  /** Queues an envelope; never throws, never blocks. */
  send(envelope: Uint8Array | string, info: EnvelopeInfo): void {
    try {
      const entry: Entry = { bytes: toBytes(envelope), info: copyInfo(info) };
      if (!this.accepting) {
        this.discards.recordEnvelope('internal_sdk_error', entry.info, false);
        this.log.log('closed', 'ferroprof: an envelope was sent after the transport was closed; dropped');
        return;
      }
      // Everything in it is rate-limited: drop now rather than hold queue space.
      if (entry.info.categories.length > 0 && entry.info.categories.every((c) => this.limits.isLimited(c))) {
        this.discards.recordEnvelope('ratelimit_backoff', entry.info);
        return;
      }
      const size = entry.bytes.length;
      if (size > this.maxQueueBytes) {
        this.overflow(entry, `an envelope of ${size} bytes is larger than maxQueueBytes (${this.maxQueueBytes})`);
        return;
      }
      while (this.queuedData >= this.maxQueueSize || this.queuedBytes + size > this.maxQueueBytes) {
        const oldest = this.queue.findIndex((e) => e.report === undefined);
        if (oldest === -1) break; // cannot happen: the limits only count data entries
        const [evicted] = this.queue.splice(oldest, 1);
        if (!evicted) break;
        this.queuedData -= 1;
        this.queuedBytes -= evicted.bytes.length;
        this.overflow(
          evicted,
          `the send queue is full (${this.maxQueueSize} envelopes / ${this.maxQueueBytes} bytes); dropping the oldest`,
        );
      }
      this.queue.push(entry);
      this.queuedData += 1;
      this.queuedBytes += size;
      this.pump();
    } catch (err) {
      this.log.log('internal', `ferroprof: transport error, envelope dropped: ${describeError(err)}`);
    }
  }

  /**
   * Resolves `true` once everything queued has been handled in time and nothing was given
   * up on (network or send error) since the previous flush; `false` otherwise. Rate-limited and
   * overflowed envelopes are counted, not waited for. Pending client reports are sent too.
   */
  flush(timeoutMs?: number): Promise<boolean> {
    try {
      this.queueClientReport();
      return this.idle.wait(timeoutMs).then((idle) => this.settleFlush(idle));
    } catch {
      return Promise.resolve(false);
    }
  }

  /** Flushes (sending a last client report), then stops; what is still queued after the timeout is dropped. */
  close(timeoutMs?: number): Promise<boolean> {
    if (this.closing) return this.closing;
    this.accepting = false;
    this.closing = this.flush(timeoutMs)
      .then((ok) => {
        this.shutdown();
        return ok;
      })
      .catch(() => false);
    return this.closing;
  }

  /** A flush is clean only if nothing was given up on since the previous flush resolved. */
  private settleFlush(idle: boolean): boolean {
    const clean = this.failures === this.failuresReported;
    this.failuresReported = this.failures;
    return idle && clean;
  }

  /** Cumulative discarded items per (reason, category). */
  getDroppedCounts(): DroppedCount[] {
    return this.discards.totals();
  }

  /** Adds discards made elsewhere in the SDK (e.g. `sample_rate`) to the counts and client reports. */
  recordDroppedEvent(reason: DiscardReason, category: DataCategory, quantity = 1): void {
    this.discards.record(reason, category, quantity);
  }

  private overflow(entry: Entry, why: string): void {
    this.discards.recordEnvelope('queue_overflow', entry.info);
    this.log.log('overflow', `ferroprof: ${why} (counted as queue_overflow)`);
  }

  private queueClientReport(): void {
    if (!this.sendClientReports || this.reportQueued || this.stopped) return;
    const pending = this.discards.takePending();
    if (!pending) return;
    this.reportQueued = true;
    this.queue.push({
      bytes: clientReportEnvelope(pending, this.dsnString),
      info: { categories: CLIENT_REPORT_CATEGORIES },
      report: pending,
    });
    this.pump();
  }

  private pump(): void {
    while (!this.stopped && this.active < this.maxConcurrent && this.queue.length > 0) {
      const entry = this.queue.shift();
      if (!entry) break;
      if (entry.report === undefined) {
        this.queuedData -= 1;
        this.queuedBytes -= entry.bytes.length;
      }
      this.active += 1;
      this.delivering.add(entry);
      const slot: Slot = { slow: false };
      void this.deliver(entry, slot)
        .catch((err: unknown) => {
          this.log.log('internal', `ferroprof: transport error, envelope dropped: ${describeError(err)}`);
        })
        .finally(() => {
          if (entry.report !== undefined) this.reportQueued = false;
          this.delivering.delete(entry);
          if (slot.slow) this.slow -= 1;
          else this.active -= 1;
          this.pump();
          this.idle.check();
        });
    }
    this.idle.check();
  }

  /**
   * A request of `slot` has been unanswered for `slowRequestMs`: it gives its place to
   * the next envelope, if there is room for one more slow request.
   */
  private markSlow(slot: Slot): void {
    this.log.log(
      'slow',
      `ferroprof: Sentry at ${this.where} has not answered a request within ${this.slowRequestMs} ms; sending the next envelopes past it (each request is abandoned after ${this.timeoutMs} ms)`,
    );
    if (slot.slow || this.stopped || this.slow >= this.maxSlow) return;
    slot.slow = true;
    this.slow += 1;
    this.active -= 1;
    this.pump();
  }

  /** Drops an entry that will not be delivered, counting it under `reason`. */
  private giveUp(entry: Entry, reason: DiscardReason, failure: boolean, reportToSentry = true): void {
    if (entry.settled) return;
    entry.settled = true;
    if (entry.report !== undefined) {
      // A client report's counts go back into the pending set for the next report.
      if (!this.stopped) this.discards.restorePending(entry.report);
      return;
    }
    this.discards.recordEnvelope(reason, entry.info, reportToSentry);
    if (failure) this.failures += 1;
  }

  /**
   * Removes rate-limited items. Returns false if nothing is left to send (the entry has
   * then been counted as `ratelimit_backoff`).
   */
  private applyRateLimits(entry: Entry): boolean {
    const now = Date.now();
    const limited = entry.info.categories.filter((c) => this.limits.isLimited(c, now));
    if (limited.length === 0) return true;
    if (limited.length < entry.info.categories.length) {
      const filtered = filterEnvelopeItems(entry.bytes, (c) => this.limits.isLimited(c, now));
      if (filtered instanceof Uint8Array) {
        for (const category of limited) this.discards.record('ratelimit_backoff', category);
        entry.bytes = filtered;
        entry.info = { ...entry.info, categories: entry.info.categories.filter((c) => !this.limits.isLimited(c, now)) };
        return true;
      }
      // Unreadable (e.g. pre-compressed) envelope: it cannot be split, so it waits out the limit as a whole.
    }
    this.giveUp(entry, 'ratelimit_backoff', false);
    return false;
  }

  private async deliver(entry: Entry, slot: Slot): Promise<void> {
    let body: Body | undefined;
    for (let attempt = 0; ; attempt += 1) {
      if (this.stopped) return this.giveUp(entry, 'network_error', true, false);
      if (!this.applyRateLimits(entry)) return;
      // Rate limits may have removed items: a new body then.
      body = await this.sender.body(entry.bytes, body);
      const result = await this.sender.post(body.bytes, body.gzipped, () => this.markSlow(slot));
      if (this.stopped) return this.giveUp(entry, 'network_error', true, false);

      if (result.kind === 'response') {
        const limitedNow = this.limits.update(result.status, result.rateLimits, result.retryAfter);
        const { status } = result;
        if (status >= 200 && status < 300) {
          entry.settled = true;
          this.log.rearm('net:');
          this.log.rearm('5xx:');
          return;
        }
        if (status === 429) {
          this.log.log(
            '429',
            `ferroprof: Sentry is rate-limiting (${limitedNow.join(', ') || 'all'}); matching envelopes are dropped until the limit expires`,
          );
          // The server already counted this one: keep it out of client reports.
          return this.giveUp(entry, 'ratelimit_backoff', false, false);
        }
        if (status >= 500 && attempt < this.maxRetries) {
          this.log.log(`5xx:${status}`, `ferroprof: Sentry at ${this.where} answered HTTP ${status}; will retry`);
          await this.sleep(this.backoff(attempt));
          continue;
        }
        this.log.log(
          `http:${status}`,
          `ferroprof: Sentry at ${this.where} rejected an envelope of ${entry.bytes.length} bytes with HTTP ${status} ${result.statusMessage}; not retrying (counted as send_error)`,
        );
        return this.giveUp(entry, 'send_error', true);
      }

      const why = describeError(result.error);
      if (attempt < this.maxRetries) {
        this.log.log(`net:${why}`, `ferroprof: cannot reach Sentry at ${this.where}: ${why}; will retry`);
        await this.sleep(this.backoff(attempt));
        continue;
      }
      this.log.log(`net:${why}`, `ferroprof: cannot reach Sentry at ${this.where}: ${why}; dropping (counted as network_error)`);
      return this.giveUp(entry, 'network_error', true);
    }
  }

  private backoff(attempt: number): number {
    const delay = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** attempt);
    return delay * (0.75 + Math.random() * 0.5);
  }

  /** An unref'd sleep that {@link shutdown} cuts short. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleeps.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      timer.unref();
      this.sleeps.add(wake);
    });
  }

  /** Stops for good: cancels retries and requests, drops what is left (counted). */
  private shutdown(): void {
    this.stopped = true;
    if (this.reportTimer) clearInterval(this.reportTimer);
    for (const wake of [...this.sleeps]) wake();
    this.sender.destroy();
    // Counted now, not when the destroyed requests report back (the process may be gone by then).
    for (const entry of this.delivering) this.giveUp(entry, 'network_error', true, false);
    for (const entry of this.queue.splice(0)) this.giveUp(entry, 'network_error', true, false);
    this.queuedData = 0;
    this.queuedBytes = 0;
    this.idle.check();
  }
}
