import { DiscardCounter, IdleWaiters, OnceLogger, defaultLogger } from './support.js';
import type { DataCategory, DiscardReason, DroppedCount, EnvelopeInfo, Transport, TransportLogger } from './types.js';

/** A positive whole number from an option, or the default. */
export function positiveInt(value: unknown, fallback: number): number {
  return typeof value === 'number' && value >= 1 ? Math.floor(value) : fallback;
}

/** Default bounds of envelopes in flight: generous in count, bounded by bytes. */
export const DEFAULT_MAX_PENDING = 10_000;
export const DEFAULT_MAX_PENDING_BYTES = 16 * 1024 * 1024;

/**
 * What the callback and local transports share: envelopes in flight bounded by
 * bytes (and a generous count), `flush`/`close` that wait for them, and the
 * counting of discards.
 */
export abstract class PendingWorkTransport implements Transport {
  protected readonly log: OnceLogger;
  protected readonly discards = new DiscardCounter();
  private pending = 0;
  private pendingBytes = 0;
  private failures = 0;
  /** `failures` as of the last flush that resolved. */
  private failuresReported = 0;
  private accepting = true;
  private readonly idle = new IdleWaiters(() => this.pending === 0);

  protected constructor(
    protected readonly maxPending: number,
    logger: TransportLogger | undefined,
    protected readonly maxPendingBytes: number = DEFAULT_MAX_PENDING_BYTES,
  ) {
    this.log = new OnceLogger(logger ?? defaultLogger);
  }

  abstract send(envelope: Uint8Array | string, info: EnvelopeInfo): void;

  /** Whether a new envelope may start; when not, the discard is counted and logged once. */
  protected admit(info: EnvelopeInfo, bytes: number, overflowMessage: () => string): boolean {
    if (!this.accepting) {
      this.discards.recordEnvelope('internal_sdk_error', info, false);
      this.log.log('closed', 'ferroprof: an envelope was sent after the transport was closed; dropped');
      return false;
    }
    if (this.pending >= this.maxPending || this.pendingBytes + bytes > this.maxPendingBytes) {
      this.discards.recordEnvelope('queue_overflow', info);
      this.log.log('overflow', overflowMessage());
      return false;
    }
    return true;
  }

  /** Counts `work` (of `bytes`) as in flight until it settles (it must not reject). */
  protected track(work: Promise<unknown>, bytes: number): void {
    this.pending += 1;
    this.pendingBytes += bytes;
    void work.finally(() => {
      this.pending -= 1;
      this.pendingBytes -= bytes;
      this.idle.check();
    });
  }

  /** An envelope was given up on: counted as `send_error` and spoils the next flush. */
  protected recordFailure(info: EnvelopeInfo): void {
    this.failures += 1;
    this.discards.recordEnvelope('send_error', info);
  }

  /** Resolves `true` when all work settled in time and none failed since the previous flush. */
  flush(timeoutMs?: number): Promise<boolean> {
    return this.idle.wait(timeoutMs).then((idle) => {
      const clean = this.failures === this.failuresReported;
      this.failuresReported = this.failures;
      return idle && clean;
    });
  }

  /** Flushes, then drops later envelopes. */
  close(timeoutMs?: number): Promise<boolean> {
    this.accepting = false;
    return this.flush(timeoutMs);
  }

  /** Cumulative discarded items per (reason, category). */
  getDroppedCounts(): DroppedCount[] {
    return this.discards.totals();
  }

  /** Counts discards made elsewhere in the SDK. */
  recordDroppedEvent(reason: DiscardReason, category: DataCategory, quantity = 1): void {
    this.discards.record(reason, category, quantity);
  }
}
